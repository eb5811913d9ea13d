public import KafkaBridge

/// Which target partition each replayed record goes to.
public enum TargetMapping: Sendable, Hashable {
    /// Source partition `p` to target partition `p`: the order of every source partition is kept.
    case samePartition
    /// By key hash over the target's partitions (librdkafka's partitioner named by the producer's `partitioner`
    /// property, `consistent_random` by default); null and empty keys, which librdkafka would scatter at random,
    /// go to the source partition modulo the target's partition count, so a rerun sends every record where the
    /// first run did. The order is kept per key.
    case byKey(KafkaPartitioner, partitions: Int32)

    /// The mapping for `sourcePartitions` into a target topic of `targetPartitions` partitions.
    /// - Throws: ``ReplayError`` `.targetTooSmall` when the target lacks a source partition and `repartition` is off.
    public static func choose(
        sourceTopic: String, sourcePartitions: [Int32], targetTopic: String, targetPartitions: Int, repartition: Bool,
        partitioner: KafkaPartitioner
    ) throws(ReplayError) -> TargetMapping {
        if repartition {
            guard targetPartitions > 0 else {
                throw ReplayError(.targetTooSmall, "topic \(targetTopic) has no partitions")
            }
            return .byKey(partitioner, partitions: Int32(targetPartitions))
        }
        let highest = sourcePartitions.max() ?? -1
        guard Int(highest) < targetPartitions else {
            throw ReplayError(.targetTooSmall, """
                topic \(targetTopic) has \(targetPartitions) partition(s) but \(sourceTopic) is archived with partitions up to \(highest): \
                replay sends source partition p to target partition p to keep each partition's order; add partitions \
                to \(targetTopic) (at least \(highest + 1)), replay fewer with --partitions, or pass --repartition to spread \
                the records over \(targetPartitions) partition(s) by key hash (order is then kept per key only)
                """)
        }
        return .samePartition
    }

    /// The target partition of a record of `sourcePartition` with `key` (`nil`: null key).
    public func target(sourcePartition: Int32, key: UnsafeRawBufferPointer?) -> Int32 {
        switch self {
        case .samePartition:
            return sourcePartition
        case .byKey(let partitioner, let partitions):
            guard let key, key.count > 0 else { return sourcePartition % partitions }
            return partitioner.partition(key: key, partitionCount: partitions)
        }
    }
}

/// Whether records about to be replayed are older than the target topic keeps.
public enum RetentionCheck {
    /// A warning when records as old as `oldestTimestampMs` would be past `retention.ms` of the target at `nowMs`:
    /// the broker deletes a log segment once its newest record is older than the retention, so old records
    /// written together may be deleted soon after they are written. `nil` when nothing is at risk (or retention
    /// is infinite, `-1`).
    public static func warning(targetTopic: String, retentionMs: Int64?, oldestTimestampMs: Int64?, nowMs: Int64) -> String? {
        guard let retentionMs, retentionMs >= 0, let oldestTimestampMs else { return nil }
        let cutoff = nowMs - retentionMs
        guard oldestTimestampMs < cutoff else { return nil }
        return "records to replay are as old as \(ReplayTime.format(oldestTimestampMs)) but \(targetTopic) keeps "
            + "\(ReplayTime.duration(ms: retentionMs)) (retention.ms=\(retentionMs)): records older than "
            + "\(ReplayTime.format(cutoff)) may be deleted by the broker soon after they are written; raise retention.ms "
            + "on \(targetTopic) first, or replay newer records only with --from-time"
    }
}
