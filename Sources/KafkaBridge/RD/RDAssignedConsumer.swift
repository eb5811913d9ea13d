internal import CRdKafka
import Foundation
import Logging

/// A consumer `rd_kafka_t` that reads partitions it assigns itself (`rd_kafka_assign`, never `subscribe`), so it
/// never joins or rebalances a group, and answers metadata and Admin questions.
///
/// Every method blocks the calling thread: callers run them on a dedicated thread, one at a time.
final class RDAssignedConsumer: RDHandleOwner, @unchecked Sendable {
    private var rk: OpaquePointer!

    init(bootstrapServers: String, properties: [String: String], logger: Logger) throws(KafkaError) {
        super.init(logger: logger)
        let conf = RDConf()
        try conf.setOrThrow("bootstrap.servers", bootstrapServers)
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            try conf.setOrThrow(name, value)
        }
        // A group id lets librdkafka assign partitions; without subscribe it never joins, and nothing is committed.
        try conf.setOrThrow("group.id", "kafka-oss-sink-assigned-reader")
        try conf.setOrThrow("enable.auto.commit", "false")
        try conf.setOrThrow("enable.auto.offset.store", "false")
        try conf.setOrThrow("enable.partition.eof", "true")
        try conf.setOrThrow("auto.offset.reset", "earliest")
        install(on: conf)
        rk = try conf.makeHandle(RD_KAFKA_CONSUMER)
        rd_kafka_poll_set_consumer(rk)
    }

    func destroy() {
        guard let handle = rk else { return }
        rk = nil
        rd_kafka_destroy(handle)
    }

    /// Every topic except internal ones, with its partition count. Asks for all topics, so no topic is created.
    func topics(timeoutMs: Int32) throws(KafkaError) -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let err = rd_kafka_metadata(rk, 1, nil, &metadata, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: .consumer, err, "reading the cluster's topic metadata failed")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [String: Int] = [:]
        for topic in UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt)) {
            let name = String(cString: topic.topic)
            if name.hasPrefix("__") || topic.err != RD_KAFKA_RESP_ERR_NO_ERROR { continue }
            result[name] = Int(topic.partition_cnt)
        }
        return result
    }

    /// The topic's configuration entries named in `names` (DescribeConfigs).
    func topicConfig(_ topic: String, names: Set<String>, timeoutMs: Int32) throws(KafkaError) -> [String: String] {
        guard let queue = rd_kafka_queue_new(rk) else {
            throw KafkaError(code: .consumer, message: "could not create a queue for DescribeConfigs")
        }
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        var errstr = [CChar](repeating: 0, count: 256)
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
        var resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic)
        defer { rd_kafka_ConfigResource_destroy(resource) }
        rd_kafka_DescribeConfigs(rk, &resource, 1, options, queue)
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            throw KafkaError(code: .timedOut, message: "describing the configuration of topic \(topic) timed out")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventError = rd_kafka_event_error(event)
        if eventError != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            throw KafkaError(code: .consumer, eventError, "describing the configuration of topic \(topic) failed (\(text))")
        }
        guard let result = rd_kafka_event_DescribeConfigs_result(event) else {
            throw KafkaError(code: .consumer, message: "describing the configuration of topic \(topic) returned no result")
        }
        var count = 0
        guard let resources = rd_kafka_DescribeConfigs_result_resources(result, &count), count > 0, let first = resources[0] else {
            throw KafkaError(code: .consumer, message: "describing the configuration of topic \(topic) returned no resource")
        }
        let resourceError = rd_kafka_ConfigResource_error(first)
        if resourceError != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: .consumer, resourceError, "describing the configuration of topic \(topic) failed")
        }
        var entryCount = 0
        var values: [String: String] = [:]
        if let entries = rd_kafka_ConfigResource_configs(first, &entryCount) {
            for index in 0..<entryCount {
                guard let entry = entries[index], let name = rd_kafka_ConfigEntry_name(entry) else { continue }
                let key = String(cString: name)
                if names.contains(key), let value = rd_kafka_ConfigEntry_value(entry) { values[key] = String(cString: value) }
            }
        }
        return values
    }

    func watermarks(_ tp: KafkaTopicPartition, timeoutMs: Int32) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low, &high, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .consumer, err, "reading the watermarks of \(tp) failed", topicPartition: tp)
        }
        return (low, high)
    }

    /// Records of `tp` from `offset` on, until the end of the partition as librdkafka sees it (partition EOF),
    /// `maxRecords`, or an offset at or past `until`.
    func read(_ tp: KafkaTopicPartition, from offset: Int64, until: Int64?, maxRecords: Int, timeoutMs: Int32) throws(KafkaError) -> [KafkaRecord] {
        let list = RDTopicPartitionList([tp], offset: offset)
        let assigned = rd_kafka_assign(rk, list.pointer)
        guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .partitionOperationFailed, assigned, "assigning \(tp) at offset \(offset) failed", topicPartition: tp)
        }
        defer { _ = rd_kafka_assign(rk, nil) }
        var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        var payloadBytes = 0
        defer { for m in messages { rd_kafka_message_destroy(m) } }
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        while messages.count < maxRecords {
            let left = deadline - ContinuousClock.now
            guard left > .zero else {
                throw KafkaError(code: .timedOut, message: "reading \(tp) from offset \(offset) did not reach the end of the partition within \(timeoutMs) ms", topicPartition: tp)
            }
            guard let m = rd_kafka_consumer_poll(rk, Int32(clamping: min(100, KafkaConsumerConfiguration.milliseconds(left) + 1))) else { continue }
            if m.pointee.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                rd_kafka_message_destroy(m)
                break
            }
            if m.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let err = m.pointee.err
                let text = String(cString: rd_kafka_message_errstr(m))
                rd_kafka_message_destroy(m)
                throw KafkaError(code: .consumer, err, "reading \(tp) from offset \(offset) failed: \(text)", topicPartition: tp)
            }
            // Only the assigned partition is ever returned; records below `offset` cannot arrive.
            messages.append(m)
            payloadBytes += m.pointee.len + m.pointee.key_len
            if let until, m.pointee.offset + 1 >= until { break }
        }
        return messages.withUnsafeBufferPointer { KafkaMessageBatch(messages: $0, payloadBytes: payloadBytes).copied().records }
    }
}
