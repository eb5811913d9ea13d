internal import CRdKafka
import Foundation

/// Read-only questions to a Kafka cluster on a short-lived handle that never joins the consumer group:
/// the topics and their partition counts, and a group's committed offsets with their metadata.
///
/// Unlike ``KafkaConsumer`` (which subscribes on creation), these calls do not subscribe, so asking about a
/// group never triggers a rebalance of the consumers running in it. Each call creates one librdkafka consumer
/// handle from `configuration` (bootstrap servers, group id and every pass-through property such as SASL/SSL),
/// runs the blocking librdkafka call on a dedicated thread (never on the cooperative pool), and destroys the
/// handle before returning.
public enum KafkaClusterInspector {
    /// Every topic of the cluster except internal ones (`__consumer_offsets`, …) with its partition numbers, sorted.
    ///
    /// - Throws: ``KafkaError`` `.configuration` for a rejected property, `.timedOut`/`.consumer` when the
    ///   cluster does not answer within `timeout`.
    public static func topicPartitions(
        configuration: KafkaConsumerConfiguration, timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [String: [Int32]] {
        try await onThread(configuration) { rk throws(KafkaError) in
            var metadata: UnsafePointer<rd_kafka_metadata_t>?
            let err = rd_kafka_metadata(rk, 1, nil, &metadata, Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout)))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(code: .consumer, err, "reading the cluster's topic metadata from \(configuration.bootstrapServers) failed")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            var result: [String: [Int32]] = [:]
            for topic in UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt)) {
                let name = String(cString: topic.topic)
                if name.hasPrefix("__") || topic.err != RD_KAFKA_RESP_ERR_NO_ERROR { continue }
                let partitions = UnsafeBufferPointer(start: topic.partitions, count: Int(topic.partition_cnt))
                result[name] = partitions.map(\.id).sorted()
            }
            return result
        }
    }

    /// The committed offset and metadata of each partition for `configuration.groupID`, in the order asked.
    ///
    /// - Throws: ``KafkaError`` `.committedFailed` when the coordinator does not answer within `timeout`.
    public static func committed(
        configuration: KafkaConsumerConfiguration, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)
    ) async throws(KafkaError) -> [KafkaCommittedOffset] {
        if partitions.isEmpty { return [] }
        return try await onThread(configuration) { rk throws(KafkaError) in
            let list = RDTopicPartitionList(partitions)
            let err = rd_kafka_committed(rk, list.pointer, Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout)))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(
                    code: .committedFailed, err,
                    "reading the committed offsets of group \(configuration.groupID) (\(partitions.count) partition(s)) failed")
            }
            var result: [KafkaCommittedOffset] = []
            for element in list.elements {
                let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    throw KafkaError(code: .committedFailed, element.err, "reading the committed offset of \(tp) failed", topicPartition: tp)
                }
                result.append(KafkaCommittedOffset(
                    topicPartition: tp, offset: element.offset >= 0 ? element.offset : nil,
                    metadata: RDTopicPartitionList.metadata(of: element)))
            }
            return result
        }
    }

    /// Creates a consumer handle (not subscribed), runs `body` with it on a new thread, destroys it.
    private static func onThread<T: Sendable>(
        _ configuration: KafkaConsumerConfiguration,
        _ body: @escaping @Sendable (OpaquePointer) throws(KafkaError) -> T
    ) async throws(KafkaError) -> T {
        var configuration = configuration
        configuration.statisticsInterval = nil
        let properties = try configuration.librdkafkaProperties()
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let conf = RDConf()
                for (name, value) in properties {
                    if let reason = conf.set(name, value) {
                        continuation.resume(returning: .failure(KafkaError(
                            code: .configuration, message: "librdkafka property \(name) rejected: \(reason)")))
                        return
                    }
                }
                // Quiet: what goes wrong is thrown to the caller (verify reports it); librdkafka's own lines would
                // go to stderr unformatted, once per retry.
                _ = conf.set("log_level", "0")
                let rk: OpaquePointer
                do throws(KafkaError) {
                    rk = try conf.makeHandle(RD_KAFKA_CONSUMER)
                } catch {
                    continuation.resume(returning: .failure(error))
                    return
                }
                let outcome: Result<T, KafkaError>
                do throws(KafkaError) {
                    outcome = .success(try body(rk))
                } catch {
                    outcome = .failure(error)
                }
                rd_kafka_destroy(rk)
                continuation.resume(returning: outcome)
            }
            thread.name = "kafka-inspect"
            thread.start()
        }
        return try result.get()
    }
}
