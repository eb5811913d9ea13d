/// A topic and a partition number: the unit of ownership, ordering and archival.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        lhs.topic != rhs.topic ? lhs.topic < rhs.topic : lhs.partition < rhs.partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// How Kafka stamped a record's timestamp.
public enum TimestampType: Sendable, Hashable {
    case createTime
    case logAppendTime
    case notAvailable

    /// The name rendered into `jsonl` (`CreateTime`, `LogAppendTime`, `NotAvailable`), as Kafka names them.
    public var name: String {
        switch self {
        case .createTime: "CreateTime"
        case .logAppendTime: "LogAppendTime"
        case .notAvailable: "NotAvailable"
        }
    }
}

/// One consumed Kafka record, as plain values, for ``SinkEvent/records(_:)`` (the service renders librdkafka's
/// messages into ``RenderedRun``s instead, without this step).
public struct SinkRecord: Sendable, Hashable {
    /// A record header: a UTF-8 name and an optional byte value.
    public struct Header: Sendable, Hashable {
        public var key: String
        public var value: [UInt8]?

        public init(key: String, value: [UInt8]?) {
            self.key = key
            self.value = value
        }
    }

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the Unix epoch; ignored (rendered as `null`) when `timestampType == .notAvailable`.
    public var timestampMs: Int64
    public var timestampType: TimestampType
    /// `nil` when the record has no key. May be a slice of storage shared with other records of the same
    /// consumer batch: its indices need not start at 0.
    public var key: ArraySlice<UInt8>?
    /// `nil` for a null value (a tombstone). May share storage like `key`.
    public var value: ArraySlice<UInt8>?
    public var headers: [Header]

    public init(
        topic: String, partition: Int32, offset: Int64, timestampMs: Int64,
        timestampType: TimestampType = .createTime, key: [UInt8]? = nil, value: [UInt8]?,
        headers: [Header] = []
    ) {
        self.init(topic: topic, partition: partition, offset: offset, timestampMs: timestampMs,
                  timestampType: timestampType, sharedKey: key?[...], sharedValue: value?[...], headers: headers)
    }

    /// A record whose key and value are slices of a larger buffer (a consumer batch's storage), kept without
    /// copying. Holding the record keeps that whole buffer alive.
    public init(
        topic: String, partition: Int32, offset: Int64, timestampMs: Int64, timestampType: TimestampType,
        sharedKey: ArraySlice<UInt8>?, sharedValue: ArraySlice<UInt8>?, headers: [Header]
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMs = timestampMs
        self.timestampType = timestampType
        self.key = sharedKey
        self.value = sharedValue
        self.headers = headers
    }

    public var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}
