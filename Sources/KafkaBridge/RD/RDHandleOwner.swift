internal import CRdKafka
import Logging

/// Base of the objects passed to librdkafka as the handle opaque (`rd_kafka_conf_set_opaque`):
/// one per `rd_kafka_t`, alive for as long as the handle is.
class RDHandleOwner: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// True for owners whose handle has an error callback that logs every error (the consumer): librdkafka's
    /// own log line of the same error is then demoted to debug.
    var reportsErrorsItself: Bool { false }

    /// Installs the log callback and this object as the opaque on `conf`.
    func install(on conf: RDConf) {
        rd_kafka_conf_set_opaque(conf.pointer, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_log_cb(conf.pointer, rdLogCallback)
    }

    /// Whether a librdkafka log line is worth passing on; handles drop warnings about settings they chose on purpose.
    func accepts(facility: String, message: String) -> Bool { true }

    static func owner(of rk: OpaquePointer?) -> RDHandleOwner? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDHandleOwner>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka logs (syslog levels) to swift-log. Called from librdkafka's own threads; swift-log is thread-safe.
private func rdLogCallback(_ rk: OpaquePointer?, _ level: Int32, _ facility: UnsafePointer<CChar>?, _ message: UnsafePointer<CChar>?) {
    guard let owner = RDHandleOwner.owner(of: rk) else { return }
    var swiftLevel: Logger.Level
    switch level {
    case ...2: swiftLevel = .critical
    case 3: swiftLevel = .error
    case 4: swiftLevel = .warning
    case 5: swiftLevel = .notice
    case 6: swiftLevel = .info
    default: swiftLevel = .debug
    }
    let fac = facility.map { String(cString: $0) } ?? ""
    // A broker failure (facility FAIL) also reaches the error callback, which logs it once as a warning
    // (RDConsumerCore.handleError): librdkafka's own line would say the same thing a second time.
    if fac == "FAIL" && swiftLevel > .debug && owner.reportsErrorsItself { swiftLevel = .debug }
    guard owner.logger.logLevel <= swiftLevel else { return }
    let text = message.map { String(cString: $0) } ?? ""
    guard owner.accepts(facility: fac, message: text) else { return }
    let name = rk.map { String(cString: rd_kafka_name($0)) } ?? ""
    owner.logger.log(level: swiftLevel, "\(text)", metadata: ["librdkafka.facility": "\(fac)", "librdkafka.client": "\(name)"])
}
