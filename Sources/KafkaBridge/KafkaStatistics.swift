public import Foundation

/// Parsing of librdkafka's statistics JSON (`statistics.interval.ms`).
public enum KafkaStatistics {
    /// Consumer lag per partition: `topics.<name>.partitions.<id>.consumer_lag`, which librdkafka
    /// computes as the partition's end (high watermark, or last stable offset under
    /// `isolation.level=read_committed`) minus this group's committed offset — so it counts records
    /// not yet archived and committed, not records not yet fetched. Skips the internal partition -1
    /// and partitions whose lag is unknown (-1, for example before the first commit is known).
    /// Returns an empty map for malformed JSON.
    public static func consumerLag(fromStatisticsJSON data: Data) -> [KafkaTopicPartition: Int64] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let topics = root["topics"] as? [String: Any]
        else { return [:] }
        var result: [KafkaTopicPartition: Int64] = [:]
        for (topicName, topicValue) in topics {
            guard let topic = topicValue as? [String: Any], let partitions = topic["partitions"] as? [String: Any] else { continue }
            for (partitionKey, partitionValue) in partitions {
                guard let partition = Int32(partitionKey), partition >= 0,
                      let stats = partitionValue as? [String: Any],
                      let lag = (stats["consumer_lag"] as? NSNumber)?.int64Value, lag >= 0
                else { continue }
                result[KafkaTopicPartition(topic: topicName, partition: partition)] = lag
            }
        }
        return result
    }
}
