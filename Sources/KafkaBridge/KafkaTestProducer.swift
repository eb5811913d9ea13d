internal import CRdKafka
public import Logging
import Synchronization

/// One record to produce.
public struct KafkaProducerRecord: Sendable {
    public var topic: String
    /// `nil`: librdkafka's partitioner chooses (by key).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Create time in milliseconds since the epoch; `nil` for "now".
    public var timestampMilliseconds: Int64?

    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?,
        headers: [KafkaHeader] = [], timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// A simple librdkafka producer for tests, benchmarks and the demo: produce, flush, count deliveries.
///
/// Blocking librdkafka calls (waiting for queue space, flush) run on a dedicated thread per call,
/// never on the cooperative pool. Safe to use from several tasks at once.
public final class KafkaTestProducer: Sendable {
    public enum Compression: String, Sendable {
        case none, gzip, snappy, lz4, zstd
    }

    final class Owner: RDHandleOwner, @unchecked Sendable {
        struct Counts {
            var delivered = 0
            var failed = 0
            var firstError: KafkaError?
        }
        let counts = Mutex(Counts())
    }

    private let owner: Owner
    private let handle: Mutex<OpaquePointer?>

    /// Creates a producer. `properties` are passed to librdkafka after the defaults
    /// (`linger.ms=5`, `acks=all`, large local queue).
    public init(bootstrapServers: String, compression: Compression = .lz4, properties: [String: String] = [:], logger: Logger) throws(KafkaError) {
        owner = Owner(logger: logger)
        let conf = RDConf()
        var settings: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("compression.codec", compression.rawValue),
            ("linger.ms", "5"),
            ("acks", "all"),
            ("queue.buffering.max.messages", "1000000"),
            ("queue.buffering.max.kbytes", "1048576"),
            ("batch.num.messages", "10000"),
        ]
        settings.append(contentsOf: properties.sorted { $0.key < $1.key })
        for (name, value) in settings { try conf.setOrThrow(name, value) }
        owner.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf.pointer, rdDeliveryCallback)
        handle = Mutex(try conf.makeHandle(RD_KAFKA_PRODUCER))
    }

    deinit { close() }

    /// Destroys the handle (undelivered records are dropped; call `flush` first). Idempotent.
    public func close() {
        if let rk = handle.withLock({ state -> OpaquePointer? in defer { state = nil }; return state }) {
            rd_kafka_destroy(rk)
        }
    }

    /// Records acknowledged by the broker so far.
    public var deliveredCount: Int { owner.counts.withLock { $0.delivered } }
    /// Records that failed delivery so far.
    public var failedCount: Int { owner.counts.withLock { $0.failed } }
    /// The first delivery failure, if any.
    public var firstDeliveryError: KafkaError? { owner.counts.withLock { $0.firstError } }

    /// Enqueues records (waiting for local queue space when needed). Delivery is asynchronous:
    /// `flush` waits for it.
    public func produce(_ records: [KafkaProducerRecord]) async throws(KafkaError) {
        try await produce(count: records.count) { records[$0] }
    }

    /// Enqueues `count` records made by `make(index)` on the producer's thread.
    public func produce(count: Int, _ make: @escaping @Sendable (Int) -> KafkaProducerRecord) async throws(KafkaError) {
        guard let rk = handle.withLock({ $0 }) else { throw KafkaError(code: .produceFailed, message: "the producer is closed") }
        let box = UncheckedHandle(rk)
        let error: KafkaError? = await runOnDedicatedThread(name: "kafka-test-producer") {
            for index in 0..<count {
                if let error = Self.enqueue(box.rk, make(index)) { return error }
                _ = rd_kafka_poll(box.rk, 0)
            }
            return nil
        }
        if let error { throw error }
    }

    /// Waits until every enqueued record was delivered or failed.
    /// - Throws: `.timedOut` when records are still in flight after `timeout`; `.produceFailed`
    ///   with the first delivery error when any record failed.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        guard let rk = handle.withLock({ $0 }) else { throw KafkaError(code: .produceFailed, message: "the producer is closed") }
        let box = UncheckedHandle(rk)
        let ms = Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout))
        let err = await runOnDedicatedThread(name: "kafka-test-producer-flush") { rd_kafka_flush(box.rk, ms).rawValue }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR.rawValue {
            throw KafkaError(code: .timedOut, rd_kafka_resp_err_t(err), "flush did not finish within \(timeout)")
        }
        if let error = firstDeliveryError { throw error }
    }

    private static func enqueue(_ rk: OpaquePointer, _ record: KafkaProducerRecord) -> KafkaError? {
        while true {
            var headers: OpaquePointer?
            if !record.headers.isEmpty {
                headers = rd_kafka_headers_new(record.headers.count)
                for header in record.headers {
                    if let value = header.value {
                        _ = value.withUnsafeBytes { rd_kafka_header_add(headers, header.key, -1, $0.baseAddress, $0.count) }
                    } else {
                        _ = rd_kafka_header_add(headers, header.key, -1, nil, 0)
                    }
                }
            }
            let err = withOptionalBytes(record.key) { key in
                withOptionalBytes(record.value) { value in
                    kos_produce(
                        rk, record.topic, record.partition ?? RD_KAFKA_PARTITION_UA,
                        key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0,
                        record.timestampMilliseconds ?? 0, headers
                    )
                }
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return nil }
            if let headers { rd_kafka_headers_destroy(headers) }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                _ = rd_kafka_poll(rk, 50)  // serve delivery reports to make room
                continue
            }
            return KafkaError(code: .produceFailed, err, "producing to \(record.topic) failed")
        }
    }
}

private struct UncheckedHandle: @unchecked Sendable {
    // librdkafka producer handles are thread-safe.
    let rk: OpaquePointer
    init(_ rk: OpaquePointer) { self.rk = rk }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    if bytes.isEmpty {
        // An empty (not null) key or value still needs a non-null pointer.
        var byte: UInt8 = 0
        return withUnsafeBytes(of: &byte) { body(UnsafeRawBufferPointer(rebasing: $0[0..<0])) }
    }
    return bytes.withUnsafeBytes { body($0) }
}

private func rdDeliveryCallback(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let owner = RDHandleOwner.owner(of: rk) as? KafkaTestProducer.Owner, let message else { return }
    let err = message.pointee.err
    owner.counts.withLock { counts in
        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
            counts.delivered += 1
        } else {
            counts.failed += 1
            if counts.firstError == nil {
                counts.firstError = KafkaError(code: .produceFailed, err, "delivery failed")
            }
        }
    }
}
