/// A reading of the shell's clocks, passed in with every event; `SinkCore` never reads a clock itself.
public struct SinkInstant: Sendable, Hashable {
    /// Monotonic time since an origin the shell chose (for example `ContinuousClock.now - start`). Timer deadlines
    /// (``SinkAction/scheduleTimer(at:)``) are on this same scale.
    public var monotonic: Duration
    /// Wall clock, milliseconds since the Unix epoch (used for `timestamp_source: wall_clock` and for records
    /// without a timestamp).
    public var wallClockMs: Int64

    public init(monotonic: Duration, wallClockMs: Int64) {
        self.monotonic = monotonic
        self.wallClockMs = wallClockMs
    }
}

/// Identifies one OSS request the core asked for; the shell hands it back with the result.
public struct RequestID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: RequestID, rhs: RequestID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// A partition handed to this member, with the group's committed position for it (`nil`: no commit yet).
public struct PartitionAssignment: Sendable, Hashable {
    public var topicPartition: TopicPartition
    public var committed: CommittedOffset?

    public init(_ topicPartition: TopicPartition, committed: CommittedOffset?) {
        self.topicPartition = topicPartition
        self.committed = committed
    }
}

/// A committed offset and its metadata string, as Kafka returns them.
public struct CommittedOffset: Sendable, Hashable {
    public var offset: Int64
    public var metadata: String?

    public init(offset: Int64, metadata: String?) {
        self.offset = offset
        self.metadata = metadata
    }
}

/// What OSS said about an object (HEAD).
public struct ObjectInfo: Sendable, Hashable {
    public var length: Int
    /// `x-oss-hash-crc64ecma`; `nil` when absent.
    public var crc64: UInt64?
    /// `x-oss-object-type: Appendable`.
    public var appendable: Bool
    /// `x-oss-sealed-time` is present: the object was sealed and never grows again.
    public var sealed: Bool

    public init(length: Int, crc64: UInt64?, appendable: Bool, sealed: Bool = false) {
        self.length = length
        self.crc64 = crc64
        self.appendable = appendable
        self.sealed = sealed
    }
}

/// The result of an ``AppendRequest``, classified by the shell (after its own bounded, jittered retries of
/// timeouts, connection errors, 5xx and 429, all at the same position).
public enum AppendOutcome: Sendable, Hashable {
    /// 200 with `x-oss-next-append-position` and `x-oss-hash-crc64ecma` (`nil` when the header was absent).
    case success(nextPosition: Int, crc64: UInt64?)
    /// 409 `PositionNotEqualToLength`, with the next position the error reported when present.
    case positionNotEqualToLength(nextPosition: Int?)
    /// 409 `ObjectNotAppendable` (a Normal or Multipart object holds the key).
    case objectNotAppendable
    /// 409 `AppendSealedObjectNotAllowed`: the object is sealed (the partition's current owner finished it).
    case objectSealed
    /// Timeout, connection error, 5xx or 429 still failing after the client's retries.
    case transientFailure(String)
    /// 403, 404 `NoSuchBucket`, or another 4xx: the configuration is wrong (credentials, bucket, policy).
    case configurationError(String)
}

/// The result of a ``HeadRequest``.
public enum HeadOutcome: Sendable, Hashable {
    case found(ObjectInfo)
    /// 404 `NoSuchKey`.
    case notFound
    case transientFailure(String)
    case configurationError(String)
}

/// The result of a ``RangeRequest``.
public enum RangeOutcome: Sendable, Hashable {
    /// Exactly the requested bytes.
    case success([UInt8])
    /// 404 `NoSuchKey` or 416 `InvalidRange`: the object is gone or shorter than it was.
    case unavailable
    case transientFailure(String)
    case configurationError(String)
}

/// The result of a ``SealRequest``, classified by the shell after its own retries.
public enum SealOutcome: Sendable, Hashable {
    /// 200: sealed at the requested position now, or earlier at the same length.
    case sealed
    /// 409 `PositionNotEqualToLength`: the object's length is not the committed one (`length` when reported).
    case positionMismatch(length: Int?)
    /// 409 `AppendSealedObjectNotAllowed`: the key holds a Normal object.
    case notAppendable
    /// 404 `NoSuchKey`.
    case notFound
    /// 400 `OperationNotSupported`: SealAppendObject is not enabled for the account or bucket.
    case notEnabled(String)
    case transientFailure(String)
    case configurationError(String)
}

/// The result of a ``TagRequest``.
public enum TagOutcome: Sendable, Hashable {
    case success
    /// 404 `NoSuchKey`.
    case notFound
    case transientFailure(String)
    case configurationError(String)
}

/// The result of a ``CommitRequest``.
public enum CommitOutcome: Sendable, Hashable {
    case success
    case failure(String)
}

/// Everything that can happen to the sink. Feed each one to ``Sink/handle(_:at:)`` in the order it happened.
public enum SinkEvent: Sendable {
    /// Partitions were assigned (incremental for cooperative rebalancing; all of them for eager).
    case assigned([PartitionAssignment])
    /// Consumed records, in offset order per partition (several partitions may be mixed).
    case records([SinkRecord])
    /// Consumed records already rendered (by the shell, off the core's thread), one run per partition, each in
    /// offset order. ``records(_:)`` is rendered into runs like these (with `wallClockMs` of the event's instant)
    /// and handled the same way.
    case rendered([RenderedRun])
    /// The timer requested by ``SinkAction/scheduleTimer(at:)`` fired.
    case timerFired
    case appendCompleted(RequestID, AppendOutcome)
    case headCompleted(RequestID, HeadOutcome)
    case rangeCompleted(RequestID, RangeOutcome)
    case sealCompleted(RequestID, SealOutcome)
    case tagCompleted(RequestID, TagOutcome)
    /// A commit of `offset` for the partition finished.
    case commitCompleted(TopicPartition, offset: Int64, CommitOutcome)
    /// Partitions are being taken away in an orderly way (revoke callback).
    case revoked([TopicPartition])
    /// Partitions were lost (session timeout, fenced member): another member may already own them.
    case lost([TopicPartition])
    /// Graceful shutdown: fetching has stopped; flush every buffer and commit.
    case shutdown
}
