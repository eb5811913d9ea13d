import OSSChecksum

/// The bytes of one append: slices of rendered buffers, sent back to back without being joined first.
public struct AppendPayload: Sendable, Hashable {
    public let slices: [ArraySlice<UInt8>]
    public let count: Int

    public init(slices: [ArraySlice<UInt8>]) {
        self.slices = slices
        count = slices.reduce(0) { $0 + $1.count }
    }

    public init(_ bytes: [UInt8]) {
        self.init(slices: bytes.isEmpty ? [] : [bytes[...]])
    }

    /// The bytes in one array (a copy).
    public func joined() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for slice in slices { out.append(contentsOf: slice) }
        return out
    }

    /// `CRC64.update(previous, bytes)`.
    public func crc64(continuing previous: UInt64) -> UInt64 {
        slices.reduce(previous) { CRC64.update($0, $1) }
    }

    /// Equal when the bytes are, however they are sliced.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.slices.joined().elementsEqual(rhs.slices.joined())
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
    }
}

/// Append `payload` at `position` of `key` (AppendObject). One per partition is outstanding at any time.
public struct AppendRequest: Sendable, Hashable {
    public var id: RequestID
    public var topicPartition: TopicPartition
    public var key: String
    public var position: Int
    public var payload: AppendPayload
    /// The object's CRC-64 before this append (`C`; 0 for a new object), for clients that verify themselves.
    public var previousCRC64: UInt64
    /// `crc64(C, payload)`: the object's CRC after this append. The core checks the server's value itself; a
    /// client may send or verify it too.
    public var expectedCRC64: UInt64
    /// Position 0 of a new segment: the shell adds its create-time headers (storage class, ACL, meta, tags).
    public var isCreate: Bool
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var recordCount: Int

    public init(id: RequestID, topicPartition: TopicPartition, key: String, position: Int, payload: AppendPayload,
                previousCRC64: UInt64, expectedCRC64: UInt64, isCreate: Bool, firstOffset: Int64, lastOffset: Int64,
                recordCount: Int) {
        self.id = id
        self.topicPartition = topicPartition
        self.key = key
        self.position = position
        self.payload = payload
        self.previousCRC64 = previousCRC64
        self.expectedCRC64 = expectedCRC64
        self.isCreate = isCreate
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.recordCount = recordCount
    }

    /// The payload in one array (a copy: for tests and tools; the service sends ``payload`` as it is).
    public var bytes: [UInt8] { payload.joined() }
}

/// HEAD `key`.
public struct HeadRequest: Sendable, Hashable {
    public var id: RequestID
    public var topicPartition: TopicPartition
    public var key: String

    public init(id: RequestID, topicPartition: TopicPartition, key: String) {
        self.id = id
        self.topicPartition = topicPartition
        self.key = key
    }
}

/// GET `key` with `Range: bytes=<range.lowerBound>-<range.upperBound - 1>`.
public struct RangeRequest: Sendable, Hashable {
    public var id: RequestID
    public var topicPartition: TopicPartition
    public var key: String
    public var range: Range<Int>

    public init(id: RequestID, topicPartition: TopicPartition, key: String, range: Range<Int>) {
        self.id = id
        self.topicPartition = topicPartition
        self.key = key
        self.range = range
    }
}

/// SealAppendObject `key` at `position` (its committed length): a finished segment takes no more appends.
public struct SealRequest: Sendable, Hashable {
    public var id: RequestID
    public var topicPartition: TopicPartition
    public var key: String
    public var position: Int

    public init(id: RequestID, topicPartition: TopicPartition, key: String, position: Int) {
        self.id = id
        self.topicPartition = topicPartition
        self.key = key
        self.position = position
    }
}

/// PutObjectTagging of a finished segment: `tags` (``SegmentTags``) plus the shell's configured tags, which
/// PutObjectTagging would otherwise remove.
public struct TagRequest: Sendable, Hashable {
    public var id: RequestID
    public var topicPartition: TopicPartition
    public var segment: SegmentDescription
    public var tags: [SegmentTag]

    public init(id: RequestID, topicPartition: TopicPartition, segment: SegmentDescription, tags: [SegmentTag]) {
        self.id = id
        self.topicPartition = topicPartition
        self.segment = segment
        self.tags = tags
    }

    public var key: String { segment.key }
}

/// Commit `offset` (the next offset to consume) with `metadata` (``CommitMetadata`` encoded).
public struct CommitRequest: Sendable, Hashable {
    public var topicPartition: TopicPartition
    public var offset: Int64
    public var metadata: String

    public init(topicPartition: TopicPartition, offset: Int64, metadata: String) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.metadata = metadata
    }
}

/// Why a segment was closed and a new key opened.
public enum RolloverReason: String, Sendable, Hashable, CaseIterable {
    case size = "size"
    case age = "age"
    case timeBucket = "time_bucket"
    case objectNotAppendable = "object_not_appendable"
    case recoveryFailed = "recovery_failed"
    case recoveryMismatch = "recovery_mismatch"
    case integrity = "integrity"
    case keyTaken = "key_taken"
    /// The segment's object is sealed (found by recovery, or an append was refused): it never grows again.
    case sealed = "sealed"
}

/// How recovery of an assigned (or fenced) partition ended (docs/architecture.md, "Recovery").
public enum RecoveryOutcome: String, Sendable, Hashable, CaseIterable {
    /// No committed offset: start at `auto.offset.reset` with a new segment.
    case noCommit = "no_commit"
    /// A committed offset without (parseable) metadata: start there with a new segment.
    case noMetadata = "no_metadata"
    /// Length and CRC match the metadata: resume appending.
    case clean = "clean"
    /// A tail after the commit matched the re-rendered records: resume at the object's length.
    case tailProven = "tail_proven"
    /// A tail did not match: new segment (`recovery_mismatch`).
    case tailMismatch = "tail_mismatch"
    case missing = "missing"
    case notAppendable = "not_appendable"
    /// The object is shorter than the committed position.
    case shorter = "shorter"
    /// Same length as committed but a different CRC: the object was rewritten.
    case crcMismatch = "crc_mismatch"
    /// The commit says the segment was finished (rolled over): a new segment starts at the committed offset.
    case finished = "finished"
    /// The object is sealed at the committed length: a new segment starts at the committed offset.
    case sealed = "sealed"
}

/// How finishing a segment (seal, then tags) ended.
public enum FinishOutcome: String, Sendable, Hashable, CaseIterable {
    /// Sealed at its committed length and tagged.
    case sealed = "sealed"
    /// Tagged only: sealing is off (`sink.rollover.seal: false`, or OSS does not have it enabled).
    case tagged = "tagged"
    /// Not sealed and not tagged: the object's length is not the committed one (another writer appended), or
    /// the key holds a Normal object. Alert: the segment's content is not what the sink committed.
    case refused = "refused"
    /// Not sealed and not tagged: the object is gone (deleted).
    case missing = "missing"
}

/// Things the shell logs and counts; none requires an action beyond that.
public enum SinkNotice: Sendable, Hashable {
    case segmentOpened(TopicPartition, key: String, firstOffset: Int64)
    case rolledOver(TopicPartition, fromKey: String, reason: RolloverReason)
    case recovered(TopicPartition, outcome: RecoveryOutcome, key: String?)
    /// Alert: a 200 whose next position or CRC differs from the expected one (the batch is re-sent to a new key).
    case integrityError(TopicPartition, key: String, expectedPosition: Int, actualPosition: Int,
                        expectedCRC64: UInt64, actualCRC64: UInt64?)
    /// Alert: another writer appended to our object; the partition re-runs recovery from `committedOffset`.
    case fenced(TopicPartition, key: String, committedOffset: Int64)
    /// A new segment's key holds an object we did not write; `~suffix` is used instead.
    case keyTaken(TopicPartition, key: String, suffix: Int)
    /// A request is re-sent after `delay` (attempt counts from 1).
    case retryScheduled(TopicPartition, attempt: Int, delay: Duration, reason: String)
    /// Alert (`records_expired_before_archive`): the first record after `expectedOffset` was `firstOffset`; the
    /// records in between are gone from Kafka (retention) and were never archived.
    case recordsExpiredBeforeArchive(TopicPartition, expectedOffset: Int64, firstOffset: Int64)
    /// Records dropped: for a partition not assigned here, or at offsets already handled.
    case recordsIgnored(TopicPartition, count: Int, reason: String)
    /// A commit failed; it is retried.
    case commitFailed(TopicPartition, offset: Int64, reason: String)
    /// Memory is short with many partitions: `filling` partitions fetch at a time, `waiting` wait their turn.
    case rotationStarted(filling: Int, waiting: Int, heldBytes: Int)
    /// The backlog is gone: every partition fetches again.
    case rotationEnded
    /// Shutdown completed without flushing this partition: OSS refuses the sink's requests (`reason`), so its
    /// uncommitted records are left to be consumed again by the next owner.
    case leftUnflushedAtShutdown(TopicPartition, reason: String)
    /// A finished segment was sealed and tagged, tagged only, or left alone (``FinishOutcome``); `reason` says why
    /// for `refused` and `missing`.
    case segmentFinished(TopicPartition, segment: SegmentDescription, outcome: FinishOutcome, reason: String?)
    /// Configuration warning, reported once: OSS answered SealAppendObject with `OperationNotSupported` (the
    /// feature is not enabled for the account or bucket). Sealing is off from now on; segments are tagged only.
    case sealNotEnabled(TopicPartition, key: String, reason: String)
    /// Finished segments not yet sealed or tagged did not fit into the commit metadata: if the process stops
    /// before they are done, the next owner does not know to finish them.
    case finishingNotCommitted(TopicPartition, keys: [String])
}

/// Health as `/readyz` should report it.
public enum SinkHealth: Sendable, Hashable {
    /// OSS accepted a request of the last partition it refused.
    case healthy
    /// The last partitions OSS refused were released (revoked, lost, or stopped): none assigned waits on OSS, but
    /// OSS was not heard from.
    case unaffected
    /// OSS answers with a configuration error; consumption is paused and nothing is committed.
    case unhealthy(reason: String)
}

/// A problem the core cannot work around; the shell stops the service and reports `message`.
public struct SinkFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var message: String
    public var description: String { "\(topicPartition): \(message)" }

    public init(topicPartition: TopicPartition, message: String) {
        self.topicPartition = topicPartition
        self.message = message
    }
}

/// What the shell must do. Execute in order; see ``Sink`` for the protocol.
public enum SinkAction: Sendable, Hashable {
    case append(AppendRequest)
    /// Seal a finished segment; report ``SinkEvent/sealCompleted(_:_:)``.
    case seal(SealRequest)
    /// Tag a finished segment; report ``SinkEvent/tagCompleted(_:_:)``.
    case tag(TagRequest)
    case head(HeadRequest)
    case getRange(RangeRequest)
    case commit(CommitRequest)
    /// Seek the consumer to `offset` (the last commit, after fencing).
    case seek(TopicPartition, offset: Int64)
    case pause([TopicPartition])
    case resume([TopicPartition])
    /// Replace any pending timer with one at `at` (``SinkInstant/monotonic`` scale); then send ``SinkEvent/timerFired``.
    case scheduleTimer(at: Duration)
    /// The revoked or lost partition is finished here: the rebalance may complete. Results of its requests that
    /// arrive later are ignored.
    case released(TopicPartition)
    /// Every buffer is flushed and every commit acknowledged: leave the group and exit.
    case shutdownComplete
    case notice(SinkNotice)
    case health(SinkHealth)
    case fail(SinkFailure)
}
