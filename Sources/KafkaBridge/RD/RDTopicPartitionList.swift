internal import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t`; frees it in `deinit`.
final class RDTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int = 4) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(capacity, 1)))
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    convenience init(_ partitions: [KafkaTopicPartition], offset: Int64 = Int64(RD_KAFKA_OFFSET_INVALID)) {
        self.init(capacity: partitions.count)
        for tp in partitions { add(tp.topic, tp.partition, offset: offset) }
    }

    /// A list of offsets to commit, with each metadata string copied into librdkafka-owned memory.
    convenience init(commits: [KafkaCommitOffset]) {
        self.init(capacity: commits.count)
        for commit in commits {
            let element = add(commit.topic, commit.partition, offset: commit.offset)
            let bytes = Array(commit.metadata.utf8)
            if !bytes.isEmpty {
                // The list frees metadata with free(3) when destroyed.
                let memory = malloc(bytes.count)!
                bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                element.pointee.metadata = memory
                element.pointee.metadata_size = bytes.count
            }
        }
    }

    @discardableResult
    func add(_ topic: String, _ partition: Int32, offset: Int64) -> UnsafeMutablePointer<rd_kafka_topic_partition_t> {
        let element = rd_kafka_topic_partition_list_add(pointer, topic, partition)!
        element.pointee.offset = offset
        return element
    }

    var elements: UnsafeMutableBufferPointer<rd_kafka_topic_partition_t> {
        Self.elements(pointer)
    }

    static func elements(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> UnsafeMutableBufferPointer<rd_kafka_topic_partition_t> {
        UnsafeMutableBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt))
    }

    static func topicPartitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaTopicPartition] {
        guard let list else { return [] }
        return elements(list).map { KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
    }

    static func metadata(of element: rd_kafka_topic_partition_t) -> String {
        guard let metadata = element.metadata, element.metadata_size > 0 else { return "" }
        let buffer = UnsafeRawBufferPointer(start: metadata, count: element.metadata_size)
        return String(decoding: buffer, as: UTF8.self)
    }
}
