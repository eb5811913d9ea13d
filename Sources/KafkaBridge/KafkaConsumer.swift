internal import CRdKafka
public import Logging
import Synchronization

/// A Kafka group consumer with manual offset management, driven by librdkafka on one dedicated
/// poll thread.
///
/// - The poll thread (a `Thread`, never the cooperative pool) owns the `rd_kafka_t`: it polls,
///   runs rebalances, commits, reads committed offsets, pauses, seeks and closes. The `async`
///   methods here enqueue work for it and resume when it is done.
/// - Records, rebalances, lag and errors go to the `KafkaConsumerDelegate`, on the poll thread.
/// - Offsets are never committed or stored automatically.
/// - `close` must be called to leave the group; dropping the last reference closes in the
///   background without a final commit.
public final class KafkaConsumer: Sendable {
    let core: RDConsumerCore

    /// Creates the handle, subscribes and starts the poll thread.
    /// - Throws: `KafkaError` `.configuration` naming a rejected property, `.handleCreation`, `.subscribeFailed`.
    public init(configuration: KafkaConsumerConfiguration, delegate: any KafkaConsumerDelegate, logger: Logger) throws(KafkaError) {
        core = try RDConsumerCore(configuration: configuration, delegate: delegate, logger: logger)
        core.start(name: "kafka-poll-\(configuration.groupID)")
    }

    deinit {
        core.requestClose(finalCommit: [], deadline: .seconds(10)) { _ in }
    }

    /// The current assignment (a snapshot; it changes on the poll thread).
    public var assignment: [KafkaTopicPartition] { core.shared.withLock { $0.assignment } }

    /// Consumer lag (end offset minus committed offset) per assigned partition from the latest
    /// statistics (empty until the first statistics event, or when statistics are disabled).
    public var consumerLag: [KafkaTopicPartition: Int64] { core.shared.withLock { $0.lag } }

    /// The fatal error that stopped this consumer, if any (it must then be closed and recreated).
    public var fatalError: KafkaError? { core.shared.withLock { $0.fatalError } }

    /// Commits offsets with their metadata and returns when the coordinator answered.
    /// - Throws: `KafkaError` `.commitFailed` (request or first partition error), `.closed`.
    public func commit(_ offsets: [KafkaCommitOffset]) async throws(KafkaError) {
        let result = await commitResult(offsets)
        if let error = result.firstError { throw error }
    }

    /// Commits offsets and returns the full result (per-partition errors included).
    public func commitResult(_ offsets: [KafkaCommitOffset]) async -> KafkaCommitResult {
        await withCheckedContinuation { continuation in
            commitAsync(offsets) { continuation.resume(returning: $0) }
        }
    }

    /// Starts a commit; `completion` runs on the poll thread with the result, exactly once.
    public func commitAsync(_ offsets: [KafkaCommitOffset], completion: @escaping @Sendable (KafkaCommitResult) -> Void) {
        let accepted = core.submit { core in core.commitAsync(offsets, completion: completion) }
        if !accepted { completion(KafkaCommitResult(offsets: offsets, error: core.closedError, partitionErrors: [:])) }
    }

    /// Reads the committed offsets and metadata of `partitions` from the group coordinator.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaCommittedOffset] {
        try await run { core in core.committed(partitions, timeout: timeout) }.get()
    }

    /// Pauses fetching of `partitions` (see `KafkaConsumerControl.pause`).
    public func pause(_ partitions: [KafkaTopicPartition]) async throws(KafkaError) {
        if let error = await run({ core in core.pauseOrResume(partitions, pause: true) }) { throw error }
    }

    /// Resumes fetching of `partitions` without loss.
    public func resume(_ partitions: [KafkaTopicPartition]) async throws(KafkaError) {
        if let error = await run({ core in core.pauseOrResume(partitions, pause: false) }) { throw error }
    }

    /// Moves fetch positions of assigned partitions.
    public func seek(_ positions: [KafkaTopicPartition: KafkaSeekPosition], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        if let error = await run({ core in core.seek(positions, timeout: timeout) }) { throw error }
    }

    /// Closes the consumer within `deadline`: commits `finalCommit` synchronously, leaves the group
    /// (the delegate sees `.revoked` for the remaining assignment and may commit there too; with
    /// `group.instance.id` librdkafka does not send LeaveGroup, so on a Kafka broker a restart with the same id
    /// within `session.timeout.ms` gets the same partitions back; librdkafka 2.0.2's mock cluster ignores the id),
    /// then destroys the handle. After the deadline the handle is destroyed
    /// without waiting further.
    /// - Throws: the first error (final commit failure, `.timedOut`, `.closed` when already closed).
    public func close(finalCommit: [KafkaCommitOffset] = [], deadline: Duration = .seconds(30)) async throws(KafkaError) {
        let error: KafkaError? = await withCheckedContinuation { continuation in
            core.requestClose(finalCommit: finalCommit, deadline: deadline) { continuation.resume(returning: $0) }
        }
        if let error { throw error }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (RDConsumerCore) -> T) async -> T where T: ClosedReportable {
        let closed = core.closedError
        return await withCheckedContinuation { continuation in
            let accepted = core.submit { core in continuation.resume(returning: body(core)) }
            if !accepted { continuation.resume(returning: T.closed(closed)) }
        }
    }

    /// Checks one librdkafka consumer property on a scratch configuration.
    /// - Returns: librdkafka's reason when the name is unknown or the value invalid (secret values
    ///   are masked), `nil` when accepted.
    public static func validateConsumerProperty(name: String, value: String) -> String? {
        if let enforced = KafkaConsumerConfiguration.enforced.first(where: { $0.0 == name }), value != enforced.1 {
            return "\(name) must be \(enforced.1): the sink stores and commits offsets itself"
        }
        return RDConf().set(name, value)
    }
}

/// Results that can stand for "the consumer is closed".
protocol ClosedReportable {
    static func closed(_ error: KafkaError) -> Self
}

extension Optional: ClosedReportable where Wrapped == KafkaError {
    static func closed(_ error: KafkaError) -> Self { error }
}

extension Result: ClosedReportable where Failure == KafkaError {
    static func closed(_ error: KafkaError) -> Self { .failure(error) }
}
