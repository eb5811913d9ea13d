public import Logging
import Synchronization

/// A producer for tests, benchmarks and the demo: ``KafkaProducer`` with acknowledged (not idempotent) delivery,
/// counting deliveries.
///
/// Records are enqueued from the calling task (enqueueing never blocks; a full queue is waited for without
/// blocking a thread). Safe to use from several tasks at once.
public final class KafkaTestProducer: Sendable {
    public enum Compression: String, Sendable {
        case none, gzip, snappy, lz4, zstd
    }

    struct Counts {
        var delivered = 0
        var failed = 0
        var firstError: KafkaError?
    }

    final class Tally: Sendable {
        let counts = Mutex(Counts())
    }

    private let tally = Tally()
    private let producer: KafkaProducer

    /// Creates a producer. `properties` are passed to librdkafka after the defaults
    /// (`linger.ms=5`, `acks=all`, large local queue).
    public init(bootstrapServers: String, compression: Compression = .lz4, properties: [String: String] = [:], logger: Logger) throws(KafkaError) {
        let tally = tally
        var settings: [String: String] = [
            "compression.codec": compression.rawValue,
            "linger.ms": "5",
            "queue.buffering.max.messages": "1000000",
            "queue.buffering.max.kbytes": "1048576",
            "batch.num.messages": "10000",
        ]
        settings.merge(properties) { $1 }
        producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: bootstrapServers, delivery: .acknowledged, properties: settings),
            logger: logger
        ) { report in
            tally.counts.withLock { counts in
                if let error = report.error {
                    counts.failed += 1
                    if counts.firstError == nil { counts.firstError = error }
                } else {
                    counts.delivered += 1
                }
            }
        }
    }

    /// Destroys the producer and returns once it is gone (undelivered records are dropped; call `flush` first).
    /// Idempotent.
    public func close() {
        producer.core.closeBlocking()
    }

    deinit { close() }

    /// Records acknowledged by the broker so far.
    public var deliveredCount: Int { tally.counts.withLock { $0.delivered } }
    /// Records that failed delivery so far.
    public var failedCount: Int { tally.counts.withLock { $0.failed } }
    /// The first delivery failure, if any.
    public var firstDeliveryError: KafkaError? { tally.counts.withLock { $0.firstError } }

    /// Enqueues records (waiting for local queue space when needed). Delivery is asynchronous:
    /// `flush` waits for it.
    public func produce(_ records: [KafkaProducerRecord]) async throws(KafkaError) {
        for record in records { try await producer.produce(record) }
    }

    /// Enqueues `count` records made by `make(index)`.
    public func produce(count: Int, _ make: @escaping @Sendable (Int) -> KafkaProducerRecord) async throws(KafkaError) {
        for index in 0..<count { try await producer.produce(make(index)) }
    }

    /// Waits until every enqueued record was delivered or failed.
    /// - Throws: `.timedOut` when records are still in flight after `timeout`; `.produceFailed`
    ///   with the first delivery error when any record failed.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        try await producer.flush(timeout: timeout)
        if let error = firstDeliveryError { throw error }
    }
}
