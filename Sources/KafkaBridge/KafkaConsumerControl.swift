/// Synchronous access to the consumer from inside a delegate callback, on the poll thread.
///
/// - Important: only valid during the callback it was passed to, on the poll thread. It is not
///   `Sendable`; do not store it. From other threads use the `async` methods of `KafkaConsumer`.
public struct KafkaConsumerControl {
    let core: RDConsumerCore

    /// The current assignment. During `.revoked` / `.lost` it still holds the partitions being removed.
    public var assignment: [KafkaTopicPartition] { core.assignmentSet.sorted() }

    /// Commits and blocks the poll thread until the coordinator answered or `timeout` passed.
    /// Intended for the revoke handler and shutdown.
    public func commitSync(_ offsets: [KafkaCommitOffset], timeout: Duration = .seconds(10)) -> KafkaCommitResult {
        core.commitSync(offsets, timeout: timeout)
    }

    /// Starts a commit; `completion` runs later on the poll thread with the result.
    public func commitAsync(_ offsets: [KafkaCommitOffset], completion: @escaping @Sendable (KafkaCommitResult) -> Void) {
        core.commitAsync(offsets, completion: completion)
    }

    /// Reads committed offsets and their metadata (blocks the poll thread up to `timeout`).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaCommittedOffset] {
        try core.committed(partitions, timeout: timeout).get()
    }

    /// The partition's high watermark (the offset the next produced record gets) as of librdkafka's last fetch
    /// response for it: no broker round trip, so it may trail the broker. Nil before any fetch answered.
    public func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        core.cachedHighWatermark(partition)
    }

    /// Stops fetching these partitions; records already fetched but not delivered are dropped by
    /// librdkafka and fetched again after `resume`, so nothing is lost.
    public func pause(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        if let error = core.pauseOrResume(partitions, pause: true) { throw error }
    }

    /// Resumes fetching at the position after the last delivered record.
    public func resume(_ partitions: [KafkaTopicPartition]) throws(KafkaError) {
        if let error = core.pauseOrResume(partitions, pause: false) { throw error }
    }

    /// Moves the fetch positions; the next records delivered for these partitions start there.
    public func seek(_ positions: [KafkaTopicPartition: KafkaSeekPosition], timeout: Duration = .seconds(10)) throws(KafkaError) {
        if let error = core.seek(positions, timeout: timeout) { throw error }
    }
}
