public import SinkCore

/// A topic-partition, as `verify` names it.
public struct VerifyPartitionID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition) }
}

/// A committed offset and its metadata string.
public struct VerifyCommit: Sendable, Hashable {
    /// `nil`: the group has no commit for the partition.
    public var offset: Int64?
    public var metadata: String

    public init(offset: Int64?, metadata: String) {
        self.offset = offset
        self.metadata = metadata
    }
}

/// The consumer group's view `verify` compares the archive with: a Kafka cluster in production
/// (``KafkaCommitReader``), a dictionary in tests.
public protocol CommitReader: Sendable {
    /// Every topic of the cluster with its partition numbers.
    func topicPartitions() async throws -> [String: [Int32]]
    /// The group's commit for each partition (absent or `offset == nil` when there is none).
    func committed(_ partitions: [VerifyPartitionID]) async throws -> [VerifyPartitionID: VerifyCommit]
}

/// How `verify` selects topics and how much it reads.
public struct VerifyOptions: Sendable {
    /// Topic names; a leading `^` makes a POSIX extended regular expression (as in `kafka.topics`).
    public var topics: [String]
    /// Only this partition (of every selected topic).
    public var partition: Int32?
    /// Read every object in full to check its CRC-64 (and, for jsonl, the offsets of every record).
    public var checkCRC: Bool
    /// The first tail range read to find an object's last record; doubled until a whole record is in it.
    public var tailWindow: Int
    /// Range size of the streaming CRC read (memory per partition verified: two of these, plus the decoder's
    /// buffers).
    public var readChunk: Int
    /// Partitions verified at the same time (each reads its segments one after another).
    public var concurrency: Int

    public init(
        topics: [String], partition: Int32? = nil, checkCRC: Bool = true, tailWindow: Int = 64 * 1024,
        readChunk: Int = 8 * 1024 * 1024, concurrency: Int = 4
    ) {
        self.topics = topics
        self.partition = partition
        self.checkCRC = checkCRC
        self.tailWindow = max(16, tailWindow)
        self.readChunk = max(16, readChunk)
        self.concurrency = max(1, concurrency)
    }
}

/// One segment as verified.
public struct VerifiedSegment: Sendable, Hashable {
    public var key: String
    public var firstOffset: Int64
    public var suffix: Int
    /// The offset of the object's last record; `nil` when the format carries no offsets or it could not be read.
    public var lastOffset: Int64?
    /// Records counted in a full read; `nil` when not counted.
    public var records: Int64?
    public var bytes: UInt64
    public var crc64: UInt64?
    /// `true`/`false` after a CRC check; `nil` when skipped.
    public var crcOK: Bool?
    public var appendable: Bool
    /// The object is sealed.
    public var sealed: Bool = false
    /// The sink's `segment.*` tags, when the segment carries them.
    public var tags: SegmentTags.Parsed?
}

/// A problem `verify` found. Its description names the partition, key and offsets.
public struct VerifyProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case gap, overlap, crcMismatch = "crc_mismatch", notAppendable = "not_appendable"
        case unreadable, recordOrder = "record_order", keyOffsetMismatch = "key_offset_mismatch"
        case commitOffsetMismatch = "commit_offset_mismatch", commitMetadataMismatch = "commit_metadata_mismatch"
        case commitMetadataUnparseable = "commit_metadata_unparseable", missingCommit = "missing_commit"
        case commitsUnavailable = "commits_unavailable", unknownKey = "unknown_key"
        /// The `segment.*` tags disagree with the object (offsets, record count, CRC-64, format, sealed).
        case tagMismatch = "tag_mismatch"
        /// The object must be restored from Archive, Cold Archive or Deep Cold Archive before it can be read.
        case needsRestore = "needs_restore"
    }

    public var kind: Kind
    public var partition: VerifyPartitionID?
    public var key: String?
    public var message: String

    public init(_ kind: Kind, _ partition: VerifyPartitionID?, key: String? = nil, _ message: String) {
        self.kind = kind
        self.partition = partition
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = "\(kind.rawValue)"
        if let partition { text += " \(partition)" }
        if let key { text += " \(key)" }
        return text + ": " + message
    }
}

/// The verification of one partition.
public struct PartitionVerification: Sendable {
    public var id: VerifyPartitionID
    public var segments: [VerifiedSegment]
    public var commit: VerifyCommit?
    public var problems: [VerifyProblem]
}

/// Everything `verify` found.
public struct VerifyReport: Sendable {
    public var partitions: [PartitionVerification]
    /// Problems not tied to one partition (for example commits that could not be read).
    public var globalProblems: [VerifyProblem]
    /// Remarks on what could not be checked (for example raw objects carry no offsets).
    public var notes: [String]

    public var problems: [VerifyProblem] { globalProblems + partitions.flatMap(\.problems) }
    public var segmentCount: Int { partitions.reduce(0) { $0 + $1.segments.count } }
}
