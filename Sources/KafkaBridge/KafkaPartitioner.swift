internal import CRdKafka

/// librdkafka's key hash partitioners (its `partitioner` property), computed here so the caller knows the partition
/// before it produces.
///
/// Only keyed records are hashed: librdkafka's `*_random` variants send null and empty keys to a random partition,
/// which the caller has to replace with a choice of its own when the choice must be repeatable.
public enum KafkaPartitioner: String, Sendable, Hashable, CaseIterable {
    /// CRC32 of the key, like `consistent` and `consistent_random` (librdkafka's default).
    case consistent
    /// Java client compatible murmur2 of the key, like `murmur2` and `murmur2_random`.
    case murmur2
    /// FNV-1a of the key, like `fnv1a` and `fnv1a_random`.
    case fnv1a

    /// The partitioner librdkafka uses for the `partitioner` property value `name`; `nil` for `random` (not a hash)
    /// and unknown names.
    public init?(property name: String) {
        switch name {
        case "consistent", "consistent_random": self = .consistent
        case "murmur2", "murmur2_random": self = .murmur2
        case "fnv1a", "fnv1a_random": self = .fnv1a
        default: return nil
        }
    }

    /// The partition of a record with a non-empty `key` among `partitionCount` partitions.
    public func partition(key: UnsafeRawBufferPointer, partitionCount: Int32) -> Int32 {
        precondition(key.count > 0 && partitionCount > 0, "hash partitioning needs a key and at least one partition")
        switch self {
        case .consistent: return rd_kafka_msg_partitioner_consistent(nil, key.baseAddress, key.count, partitionCount, nil, nil)
        case .murmur2: return rd_kafka_msg_partitioner_murmur2(nil, key.baseAddress, key.count, partitionCount, nil, nil)
        case .fnv1a: return rd_kafka_msg_partitioner_fnv1a(nil, key.baseAddress, key.count, partitionCount, nil, nil)
        }
    }
}
