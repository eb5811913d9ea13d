internal import CRdKafka
import Synchronization

/// Reads a group's committed offsets and partitions' watermarks over and over on one long-lived
/// consumer handle that never subscribes (so it never joins or rebalances the group, and is safe while the
/// group's members run).
///
/// For callers that poll "has everything been committed yet?" (tests, the demo, benchmarks): unlike
/// ``KafkaClusterInspector``, the handle and its broker connections are reused across calls.
///
/// - Important: Every method blocks the calling thread for up to its timeout (one broker round trip
///   normally). Call it from a dedicated thread, never from the cooperative pool. Thread-safe.
public final class KafkaOffsetReader: @unchecked Sendable {
    private let handle: Mutex<OpaquePointer?>
    public let group: String

    /// Creates the handle. `group` is the consumer group whose commits ``committed(topic:partitions:timeout:)`` reads.
    public init(bootstrapServers: String, group: String) throws(KafkaError) {
        self.group = group
        let conf = RDConf()
        try conf.setOrThrow("bootstrap.servers", bootstrapServers)
        try conf.setOrThrow("group.id", group)
        try conf.setOrThrow("enable.auto.commit", "false")
        try conf.setOrThrow("log_level", "3")
        handle = Mutex(try conf.makeHandle(RD_KAFKA_CONSUMER))
    }

    deinit { close() }

    /// Destroys the handle. Idempotent. Must not run while another call is in progress.
    public func close() {
        if let rk = handle.withLock({ state -> OpaquePointer? in defer { state = nil }; return state }) {
            rd_kafka_destroy(rk)
        }
    }

    /// The group's committed offset per partition of `topic` (partitions without a commit are absent).
    /// - Throws: `.committedFailed` when the coordinator does not answer within `timeout`, `.closed` after ``close()``.
    public func committed(topic: String, partitions: [Int32], timeout: Duration = .seconds(5)) throws(KafkaError) -> [Int32: Int64] {
        try committedWithMetadata(topic: topic, partitions: partitions, timeout: timeout).compactMapValues(\.offset)
    }

    /// Like ``committed(topic:partitions:timeout:)``, with the metadata stored with each commit.
    public func committedWithMetadata(
        topic: String, partitions: [Int32], timeout: Duration = .seconds(5)
    ) throws(KafkaError) -> [Int32: KafkaCommittedOffset] {
        let ms = Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout))
        return try withHandle { rk throws(KafkaError) in
            let list = RDTopicPartitionList(partitions.map { KafkaTopicPartition(topic: topic, partition: $0) })
            let err = rd_kafka_committed(rk, list.pointer, ms)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: .committedFailed, err, "reading the committed offsets of group \(group) failed")
            }
            var result: [Int32: KafkaCommittedOffset] = [:]
            for element in list.elements where element.err == RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0 {
                result[element.partition] = KafkaCommittedOffset(
                    topicPartition: KafkaTopicPartition(topic: topic, partition: element.partition), offset: element.offset,
                    metadata: RDTopicPartitionList.metadata(of: element))
            }
            return result
        }
    }

    /// The low and high watermark (first offset still stored, next offset to be written) of one partition.
    /// - Throws: `.consumer` when the leader does not answer within `timeout`, `.closed` after ``close()``.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(5)) throws(KafkaError) -> (low: Int64, high: Int64) {
        let ms = Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout))
        return try withHandle { rk throws(KafkaError) in
            var low: Int64 = -1
            var high: Int64 = -1
            let err = rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, ms)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: .consumer, err, "reading the watermarks of \(topic)[\(partition)] failed")
            }
            return (low, high)
        }
    }

    private func withHandle<T>(_ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        guard let rk = handle.withLock({ $0 }) else {
            throw KafkaError(code: .closed, message: "the offset reader is closed")
        }
        return try body(rk)
    }
}
