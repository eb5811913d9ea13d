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

    /// The consumer's view of its brokers and its group, from the same statistics.
    ///
    /// Brokers: every broker librdkafka knows except its internal and logical ones (`source` `internal` or
    /// `logical`); up means `state` `UP`. Group: `cgrp.state` (`init`, `query-coord`, `wait-coord`, `up`, …) and
    /// `cgrp.join_state` (`init`, `wait-join`, `wait-metadata`, `wait-sync`, `wait-assign-call`, `steady`, …).
    /// `nil` for malformed JSON.
    public static func status(fromStatisticsJSON data: Data) -> KafkaConsumerStatus? {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var known = 0
        var up = 0
        if let brokers = root["brokers"] as? [String: Any] {
            for case let broker as [String: Any] in brokers.values {
                let source = broker["source"] as? String ?? ""
                if source == "internal" || source == "logical" { continue }
                known += 1
                if broker["state"] as? String == "UP" { up += 1 }
            }
        }
        let group = root["cgrp"] as? [String: Any]
        return KafkaConsumerStatus(
            brokersKnown: known, brokersUp: up,
            groupState: group?["state"] as? String, joinState: group?["join_state"] as? String,
            assignedPartitions: (group?["assignment_size"] as? NSNumber)?.intValue)
    }
}

/// Brokers and group membership as librdkafka's statistics report them (see
/// ``KafkaStatistics/status(fromStatisticsJSON:)``).
public struct KafkaConsumerStatus: Sendable, Hashable {
    /// Brokers librdkafka knows (bootstrap and learned).
    public var brokersKnown: Int
    /// Of those, connected (`UP`).
    public var brokersUp: Int
    /// `cgrp.state`; `nil` without a group.
    public var groupState: String?
    /// `cgrp.join_state`.
    public var joinState: String?
    /// `cgrp.assignment_size`.
    public var assignedPartitions: Int?

    public init(brokersKnown: Int, brokersUp: Int, groupState: String?, joinState: String?, assignedPartitions: Int?) {
        self.brokersKnown = brokersKnown
        self.brokersUp = brokersUp
        self.groupState = groupState
        self.joinState = joinState
        self.assignedPartitions = assignedPartitions
    }

    /// What the group membership is waiting for, in an operator's words; `nil` when it waits for nothing.
    public var groupWait: String? {
        switch (groupState, joinState) {
        case (nil, _): return nil
        case ("up", "steady"?): return nil
        case ("up", "wait-join"?), ("up", "wait-metadata"?):
            return "JoinGroup sent; the coordinator holds it until the group's rebalance completes"
        case ("up", "wait-sync"?):
            return "joined; waiting for the leader's partition assignment (SyncGroup)"
        case ("up", let join?) where join.hasPrefix("wait-assign") || join.hasPrefix("wait-unassign") || join.hasPrefix("wait-incr"):
            return "joined; applying the assignment (\(join))"
        case ("up", let join):
            return "the coordinator is known; join state \(join ?? "unknown")"
        case (let state?, _):
            return "looking for the group coordinator (group state \(state))"
        }
    }
}
