/// A topic and a partition number.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// The timestamp of a record and what it means.
public enum KafkaTimestamp: Hashable, Sendable {
    /// The broker did not report a timestamp.
    case notAvailable
    /// The producer's create time, milliseconds since the Unix epoch.
    case createTime(milliseconds: Int64)
    /// The broker's log append time, milliseconds since the Unix epoch.
    case logAppendTime(milliseconds: Int64)

    /// Milliseconds since the Unix epoch, or `nil` when not available.
    public var milliseconds: Int64? {
        switch self {
        case .notAvailable: nil
        case .createTime(let ms), .logAppendTime(let ms): ms
        }
    }
}

/// One record header. Header values may be null (`nil`).
public struct KafkaHeader: Hashable, Sendable {
    public var key: String
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// One consumed record, as a plain Swift value.
///
/// - Important: `key` and `value` are slices of the storage shared by the whole batch they came
///   in (one copy out of librdkafka per batch). Their indices start at `startIndex`, not 0. Holding
///   any record keeps its batch's storage alive; copy with `Array(record.value!)` to detach.
public struct KafkaRecord: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: KafkaTimestamp
    /// `nil` when the record has no key.
    public var key: ArraySlice<UInt8>?
    /// `nil` for a null value (a tombstone).
    public var value: ArraySlice<UInt8>?
    public var headers: [KafkaHeader]

    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: KafkaTimestamp,
        key: ArraySlice<UInt8>?, value: ArraySlice<UInt8>?, headers: [KafkaHeader] = []
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }

    public var topicPartition: KafkaTopicPartition { .init(topic: topic, partition: partition) }

    /// Key plus value length in bytes.
    public var payloadBytes: Int { (key?.count ?? 0) + (value?.count ?? 0) }
}

/// Records handed over in one delivery, in the order librdkafka returned them: per partition
/// offsets are strictly increasing, and a batch never holds a record of a partition the
/// consumer no longer owns.
public struct KafkaRecordBatch: Sendable {
    public var records: [KafkaRecord]
    /// Key plus value bytes of all records.
    public var payloadBytes: Int

    public init(records: [KafkaRecord], payloadBytes: Int) {
        self.records = records
        self.payloadBytes = payloadBytes
    }
}

/// An offset to commit: the next offset to consume (last processed + 1) and its metadata string.
public struct KafkaCommitOffset: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Stored by the group coordinator next to the offset; read back with `committed`.
    public var metadata: String

    public init(topic: String, partition: Int32, offset: Int64, metadata: String = "") {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.metadata = metadata
    }

    public var topicPartition: KafkaTopicPartition { .init(topic: topic, partition: partition) }
}

/// A committed offset as read back from the group coordinator.
public struct KafkaCommittedOffset: Hashable, Sendable {
    public var topicPartition: KafkaTopicPartition
    /// `nil` when the group has no commit for this partition.
    public var offset: Int64?
    /// The metadata stored with the commit (empty when none).
    public var metadata: String

    public init(topicPartition: KafkaTopicPartition, offset: Int64?, metadata: String) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.metadata = metadata
    }
}

/// The outcome of one commit request, reported once per request.
public struct KafkaCommitResult: Sendable {
    /// The offsets that were requested.
    public var offsets: [KafkaCommitOffset]
    /// A request-level error (for example the coordinator failed), or `nil`.
    public var error: KafkaError?
    /// Errors for single partitions while the request as a whole succeeded.
    public var partitionErrors: [KafkaTopicPartition: KafkaError]

    public init(offsets: [KafkaCommitOffset], error: KafkaError?, partitionErrors: [KafkaTopicPartition: KafkaError]) {
        self.offsets = offsets
        self.error = error
        self.partitionErrors = partitionErrors
    }

    /// True when every offset was committed.
    public var isSuccess: Bool { error == nil && partitionErrors.isEmpty }

    /// The request error or the first partition error (sorted by partition), `nil` on success.
    public var firstError: KafkaError? {
        if let error { return error }
        return partitionErrors.sorted { $0.key < $1.key }.first?.value
    }
}

/// Where to start reading a partition.
public enum KafkaSeekPosition: Hashable, Sendable {
    case beginning
    case end
    case offset(Int64)
}

/// A change of the consumer's partition assignment, delivered on the poll thread.
public enum KafkaRebalanceEvent: Hashable, Sendable {
    /// Partitions are being added to the assignment. The handler runs just before librdkafka
    /// starts fetching them (they already appear in `control.assignment`): `control.seek` there sets
    /// the starting offset and `control.pause` keeps them paused from the start. Without a seek,
    /// delivery starts at the committed offset (or `auto.offset.reset`).
    case assigned([KafkaTopicPartition])
    /// Partitions are about to leave the assignment in an orderly rebalance. They are still
    /// assigned while the handler runs: it may finish in-flight work and commit synchronously.
    case revoked([KafkaTopicPartition])
    /// Partitions were lost (session expired, fenced, or the group moved on without this member).
    /// Another member may already own them: commits would fail or be wrong, so commit nothing.
    case lost([KafkaTopicPartition])
}

/// The partition assignment strategy.
public enum KafkaRebalanceProtocol: String, Hashable, Sendable {
    /// `cooperative-sticky`: incremental assign/unassign, only moved partitions are revoked.
    case cooperativeSticky = "cooperative-sticky"
    /// `range` (eager): every rebalance revokes the whole assignment.
    case eager = "range"
}
