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

/// The outcome of one produced record, as librdkafka reports it.
public struct KafkaDeliveryReport: Sendable {
    /// Whether a failed record may be in the log anyway.
    public enum Persistence: Sendable, Hashable {
        /// The broker acknowledged it (always the case for a delivered record).
        case persisted
        /// It was sent, but no acknowledgement arrived (a timeout, a broken connection).
        case possibly
        /// It never reached the broker, or the broker rejected it.
        case notPersisted
    }

    /// The partition it went to (`-1` when it failed before a partition was chosen).
    public var partition: Int32
    /// Its offset in the partition; `nil` when it failed (or the broker did not report one).
    public var offset: Int64?
    /// The caller's token from ``KafkaProducer/enqueue(_:topic:token:)``.
    public var token: UInt64
    /// `nil` when delivered.
    public var error: KafkaError?
    public var persisted: Persistence

    public init(partition: Int32, offset: Int64?, token: UInt64, error: KafkaError?, persisted: Persistence) {
        self.partition = partition
        self.offset = offset
        self.token = token
        self.error = error
        self.persisted = persisted
    }
}

/// One record header borrowed from memory the caller owns (see ``KafkaOutgoingRecord``).
public struct KafkaHeaderView {
    public var name: UnsafeRawBufferPointer
    /// `nil` for a null value; an empty buffer for an empty one.
    public var value: UnsafeRawBufferPointer?

    public init(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer?) {
        self.name = name
        self.value = value
    }
}

/// One record to produce, borrowed from memory the caller owns: valid for the duration of the
/// ``KafkaProducer/enqueue(_:topic:token:)`` call, which copies it into librdkafka.
public struct KafkaOutgoingRecord {
    /// `nil`: librdkafka's configured partitioner chooses.
    public var partition: Int32?
    /// `nil` for a null key; an empty buffer (with a non-nil base address or not) for an empty key.
    public var key: UnsafeRawBufferPointer?
    /// `nil` for a null value (a tombstone); an empty buffer for an empty value.
    public var value: UnsafeRawBufferPointer?
    /// In order; duplicate names are kept.
    public var headers: [KafkaHeaderView]
    /// The record's CreateTime in milliseconds since the epoch; `nil` for "now".
    public var timestampMilliseconds: Int64?

    public init(
        partition: Int32?, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headers: [KafkaHeaderView] = [],
        timestampMilliseconds: Int64?
    ) {
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// A librdkafka producer: records are enqueued without blocking, delivered by librdkafka's broker threads, and
/// reported one by one to the delivery handler.
///
/// - Threads: ``enqueue(_:topic:token:)`` never blocks and may be called from any thread or task (librdkafka copies
///   the record). A dedicated poll thread (never the cooperative pool) serves delivery reports and errors, runs
///   the delivery handler, flushes and finally destroys the handle.
/// - Ordering: records enqueued for one partition are delivered in enqueue order; with
///   ``KafkaProducerConfiguration/Delivery/idempotentGapless`` each exactly once, or the producer stops with a
///   fatal error (``fatalError``) before a gap could form.
/// - Important: call ``close()`` (after ``flush(timeout:)`` to deliver what is queued); dropping the last
///   reference closes in the background and purges undelivered records.
public final class KafkaProducer: Sendable {
    let core: RDProducerCore

    /// Creates the handle and starts the poll thread.
    ///
    /// - Parameter onDelivery: called once per enqueued record, on the poll thread, in delivery order per partition.
    ///   Keep it short: delivery reports of every partition wait for it.
    /// - Throws: ``KafkaError`` `.configuration` naming a rejected or conflicting property, `.handleCreation`.
    public init(
        configuration: KafkaProducerConfiguration, logger: Logger,
        onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void = { _ in }
    ) throws(KafkaError) {
        core = try RDProducerCore(configuration: configuration, logger: logger, onDelivery: onDelivery)
        core.start(name: "kafka-produce")
    }

    deinit {
        core.requestClose()
    }

    /// Enqueues one record without blocking.
    ///
    /// - Returns: `false` when librdkafka's local queue is full (`queue.buffering.max.messages`/`.kbytes`): nothing
    ///   was enqueued; wait with ``waitForQueueSpace()`` and try again.
    /// - Throws: ``KafkaError`` `.fatal` after a fatal error, `.closed` after ``close()``, `.produceFailed` when
    ///   librdkafka rejects the record (for example larger than `message.max.bytes`, or a partition the topic does
    ///   not have).
    public func enqueue(_ record: KafkaOutgoingRecord, topic: String, token: UInt64 = 0) throws(KafkaError) -> Bool {
        let count = record.headers.count
        let result = withUnsafeTemporaryAllocation(of: kos_header_t.self, capacity: max(count, 1)) { buffer -> Result<Bool, KafkaError> in
            for (index, header) in record.headers.enumerated() {
                buffer[index] = kos_header_t(
                    name: header.name.baseAddress, name_len: header.name.count, value: header.value?.baseAddress,
                    value_len: header.value.map { $0.count } ?? -1)
            }
            do throws(KafkaError) {
                return .success(try core.enqueue(
                    topic: topic, partition: record.partition ?? RD_KAFKA_PARTITION_UA, key: record.key, value: record.value,
                    timestamp: record.timestampMilliseconds ?? 0, headers: UnsafeBufferPointer(rebasing: buffer[..<count]),
                    token: token))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Enqueues one record, waiting for queue space when the queue is full.
    public func produce(_ record: KafkaProducerRecord, token: UInt64 = 0) async throws(KafkaError) {
        while try !record.withOutgoing({ outgoing throws(KafkaError) in try enqueue(outgoing, topic: record.topic, token: token) }) {
            await waitForQueueSpace()
        }
    }

    /// Returns once the poll thread served delivery reports (so queue space may be free again), or the producer is
    /// closed or failed. Waits at most about one poll interval after the queue drained.
    public func waitForQueueSpace() async {
        await core.waitForQueueSpace()
    }

    /// Waits until every enqueued record was delivered or failed (lingering batches are sent at once).
    /// - Throws: `.timedOut` when records are still outstanding after `timeout`; the fatal error when there was one.
    public func flush(timeout: Duration = .seconds(30)) async throws(KafkaError) {
        let flushed = await core.flush(timeout: timeout)
        if let fatal = fatalError { throw fatal }
        if !flushed {
            throw KafkaError(code: .timedOut, message: "\(outstanding) record(s) were still undelivered after \(timeout)")
        }
    }

    /// Records, requests and delivery reports librdkafka still holds (0 once everything was reported).
    public var outstanding: Int { core.outstanding }

    /// The fatal error that stopped the producer, if any: every record still queued then fails.
    public var fatalError: KafkaError? { core.shared.withLock { $0.fatalError } }

    /// The latest error librdkafka reported (broker down, authentication failed, ...), fatal or not.
    public var lastError: KafkaError? { core.shared.withLock { $0.lastError } }

    /// Purges records still queued (each reported as failed with `PURGE_QUEUE`/`PURGE_INFLIGHT`), destroys the
    /// handle and returns. Idempotent.
    public func close() async {
        await core.close()
    }

    /// Checks one librdkafka producer property on a scratch configuration.
    /// - Returns: why it cannot be used with `delivery` or librdkafka's reason when it rejects the name or value
    ///   (secret values masked); `nil` when accepted.
    public static func validateProperty(name: String, value: String, delivery: KafkaProducerConfiguration.Delivery) -> String? {
        if let conflict = KafkaProducerConfiguration.conflict(name: name, value: value, delivery: delivery) { return conflict }
        return RDConf().set(name, value)
    }
}

extension KafkaProducerRecord {
    /// Calls `body` with this record borrowed as a ``KafkaOutgoingRecord``.
    func withOutgoing<R>(_ body: (KafkaOutgoingRecord) throws(KafkaError) -> R) throws(KafkaError) -> R {
        let result: Result<R, KafkaError> = withBorrowedBytes(key) { key in
            withBorrowedBytes(value) { value in
                withHeaderViews(headers[...], collected: []) { views in
                    do throws(KafkaError) {
                        return .success(try body(KafkaOutgoingRecord(
                            partition: partition, key: key, value: value, headers: views,
                            timestampMilliseconds: timestampMilliseconds)))
                    } catch {
                        return .failure(error)
                    }
                }
            }
        }
        return try result.get()
    }
}

/// Borrows each header's name and value in turn, then calls `body` with all of them.
private func withHeaderViews<R>(_ headers: ArraySlice<KafkaHeader>, collected: [KafkaHeaderView], _ body: ([KafkaHeaderView]) -> R) -> R {
    guard let header = headers.first else { return body(collected) }
    return Array(header.key.utf8).withUnsafeBytes { name in
        withBorrowedBytes(header.value) { value in
            withHeaderViews(headers.dropFirst(), collected: collected + [KafkaHeaderView(name: name, value: value)], body)
        }
    }
}

/// Borrows `bytes`: `nil` stays `nil`, an empty array is an empty buffer.
func withBorrowedBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
