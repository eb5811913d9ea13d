public import Logging
import Synchronization

/// Log lines kept in memory, in order, for assertions. Lines at `echo` level and above are also printed, so a
/// failing run explains itself.
public final class CapturedLogs: Sendable {
    /// One captured line.
    public struct Line: Sendable {
        public var label: String
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let stored = Mutex<[Line]>([])
    private let echo: Logger.Level?

    /// - Parameter echo: print lines at this level and above (nil: print nothing).
    public init(echo: Logger.Level? = nil) {
        self.echo = echo
    }

    /// Every line so far.
    public var lines: [Line] { stored.withLock { $0 } }

    /// Lines whose message is `message`.
    public func lines(_ message: String) -> [Line] { lines.filter { $0.message == message } }

    /// A logger writing here at `level` and above.
    public func logger(label: String, level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: label) { label in CapturingLogHandler(logs: self, label: label) }
        logger.logLevel = level
        return logger
    }

    func append(_ line: Line) {
        stored.withLock { $0.append(line) }
        if let echo, line.level >= echo {
            let fields = line.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("\(line.label) \(line.level): \(line.message) \(fields)")
        }
    }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        logs.append(.init(label: label, level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
