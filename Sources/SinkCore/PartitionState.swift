/// Read-only context shared by every partition: the whole sink's settings. What a topic has for itself is the
/// partition's ``PartitionState/topic``.
struct SinkEnvironment: Sendable {
    /// Read only for what belongs to the whole sink (timeouts, retries, memory, rotation): a topic's rendering,
    /// keys, batches and rollover come from ``PartitionState/topic``.
    let global: SinkSettings

    init(settings: SinkSettings) {
        global = settings
    }

    func backoff(attempt: Int) -> Duration {
        var d = global.retryInitialBackoff
        var k = 1
        while k < attempt && d < global.retryMaxBackoff {
            d = d * 2
            k += 1
        }
        return min(d, global.retryMaxBackoff)
    }
}

/// Collects what one partition step produced; the coordinator folds it into global state.
struct Effects {
    var actions: [SinkAction] = []
    var nextID: UInt64
    var earliestDeadline: Duration?
    /// Requests issued during the current partition step (their results must be routed back to it).
    var issued: [RequestID] = []
    var configError: String?
    var ossReachable = false
    var release = false
    /// Sealing is on (`sink.rollover.seal`, and OSS has not said it is not enabled).
    var sealing = false
    /// Set by a partition step when OSS answered SealAppendObject with `OperationNotSupported`.
    var sealNotEnabled: (key: String, reason: String)?
    /// Set while memory is short: a partition holding at least this many rendered bytes sends them without
    /// waiting for a full batch or `linger`.
    var earlyFlushBytes: Int?

    mutating func newID() -> RequestID {
        nextID += 1
        let id = RequestID(rawValue: nextID)
        issued.append(id)
        return id
    }

    mutating func deadline(_ d: Duration) {
        if earliestDeadline.map({ d < $0 }) ?? true { earliestDeadline = d }
    }

    mutating func notice(_ n: SinkNotice) { actions.append(.notice(n)) }
}

/// The open segment of a partition.
struct Segment: Sendable {
    var key: String
    /// First offset rendered into the key (`nil` for a segment adopted by recovery).
    var baseOffset: Int64?
    var suffix: Int
    var position: Int
    var crc: UInt64
    var openedAt: Duration
    /// End of the segment's time bucket (epoch ms); `nil`: set from the next record (adopted segments).
    var bucketEnd: Int64?
    /// The first record's offset (`nil`: unknown, for a segment adopted from version-1 metadata whose key does
    /// not name it).
    var firstOffset: Int64?
    /// Records appended (`nil`: unknown, for a segment adopted from version-1 metadata).
    var records: Int?
    /// When the segment was opened, wall clock (epoch ms), committed so that its age survives restarts.
    var openedAtMs: Int64
}

/// A rolled-over segment whose finishing waits for the commit that says so ("closed"): the next segment's
/// first append waits for it too, so that a restart never continues a segment that was already finished.
struct Closing: Sendable {
    var point: CommitPoint
    /// The close commit was requested (only once the commit before it, at the same offset, was acknowledged).
    var sent: Bool
    /// When to send it again if no answer came.
    var resendAt: Duration?
}

/// A finished segment on its way to being sealed (when sealing is on) and tagged. A partition works on one at
/// a time, in the order they finished.
struct Finishing: Sendable {
    enum Step: Sendable {
        /// The close commit that names the segment finished is not acknowledged yet.
        case waitingClose
        case ready
        case sealing(RequestID)
        case tagging(RequestID)
        case waitingRetry(at: Duration)
    }

    var segment: SegmentDescription
    var step: Step
    /// The seal is done (or skipped because sealing is off): tagging is next.
    var sealDone = false
    /// This sink sealed it (the `segment.sealed` tag).
    var sealed = false
    var attempt = 0
}

/// The latest commit point: every byte it names has been appended successfully.
struct CommitPoint: Sendable, Hashable {
    var offset: Int64
    var metadata: CommitMetadata
}

/// The partition's one outstanding append (with the batch kept until the outcome is known).
struct InFlight: Sendable {
    enum Stage: Sendable {
        case sent(RequestID)
        /// HEAD after a 409 `PositionNotEqualToLength`, to tell a lost response from another writer.
        case verifying(RequestID)
        case waitingRetry(at: Duration, verify: Bool)
    }

    var stage: Stage
    var batch: RenderedRecords
    var payload: AppendPayload
    var key: String
    var position: Int
    var previousCRC: UInt64
    var expectedCRC: UInt64
    var isCreate: Bool
    /// `payload` is a compressed copy (otherwise it is slices of `batch`'s storage).
    var compressed: Bool
    var attempt = 0

    var firstOffset: Int64 { batch.offsets[batch.head] }
    var lastOffset: Int64 { batch.offsets[batch.offsets.count - 1] }
}

/// Recovery of a segment's tail: after assignment, after being fenced, or when a new segment's key is taken.
struct Recovery: Sendable {
    enum Kind: Sendable, Hashable {
        case assignment, fenced
        /// A new segment's first append found an object at its key; prove it is ours or use `~N`.
        case takenKey
    }

    enum Step: Sendable {
        case head(RequestID)
        case range(RequestID, ObjectInfo)
        case proving(Proof)
        case waitingRetry(at: Duration, info: ObjectInfo?)
    }

    var kind: Kind
    var key: String
    var basePosition: Int
    var baseCRC: UInt64
    /// The committed metadata recovery started from (`nil` for `takenKey`).
    var base: CommitMetadata?
    /// The segment a `takenKey` recovery tried to open.
    var intended: Segment?
    var step: Step
    var attempt = 0
}

/// Comparison of an object's tail (decoded) with re-rendered records from the front of `pending`.
struct Proof: Sendable {
    var info: ObjectInfo
    var tail: [UInt8]
    var decodeFailed: Bool
    var cursor = 0
    /// Records at the front of `pending` that matched so far.
    var matched = 0
}

enum Phase: Sendable {
    case writing
    case recovering(Recovery)
    /// Revoked: waiting (until `deadline`) for the in-flight append, then commit and release.
    case revoking(deadline: Duration)
}

/// One assigned partition's writer state.
struct PartitionState: Sendable {
    let tp: TopicPartition
    /// The settings of the partition's topic (rendering, compression, keys, batches, rollover, sealing).
    let topic: TopicEnvironment
    var phase: Phase = .writing
    var pending = RenderedRecords()
    var segment: Segment?
    var inFlight: InFlight?
    var commitPoint: CommitPoint?
    var ackedOffset: Int64?
    var appendedTotal = 0
    var ackedTotal = 0
    var unacked: [(offset: Int64, total: Int)] = []
    var commitRetryAt: Duration?
    var lingerStart: Duration?
    /// Records below this offset are duplicates (already handled) and are dropped.
    var nextOffset: Int64?
    /// The offset the first record after a (re)positioning should have; a later one means expired records.
    var expectFirstOffset: Int64?
    /// After a seek back to `target`: records at `staleFrom` or later were fetched before the seek and are dropped,
    /// until the first record below `staleFrom` shows the new position (or `expires` passes: then seek again).
    var seekGuard: (target: Int64, staleFrom: Int64, expires: Duration)?
    /// Keys this partition must not reuse (recently closed, taken by others, or not provable).
    var avoidKeys: [String] = []
    var flushAll = false
    /// Paused for memory: buffered records are sent without waiting for `linger`.
    var memoryPaused = false
    /// Paused by intake rotation (waiting for a turn, or done for now): keeps what it holds, neither `linger` nor an
    /// early-flush share sends it, so its turn appends it together with the rest of its backlog.
    var parked = false
    /// When its current turn of intake rotation started (nil: not filling in a rotation).
    var turnStartedAt: Duration?
    /// Send what is buffered without waiting for a full batch or `linger` (a rotation turn ended).
    var flushNow = false
    /// When records last arrived.
    var lastIngestAt: Duration?
    /// Rendered bytes ingested during the current rotation turn.
    var turnBytes = 0
    /// The partition's high watermark as last delivered with its records (nil: unknown).
    var highWatermark: Int64?
    /// When the records not yet covered by an acknowledged commit were consumed, oldest first: the last offset of
    /// each ingested run and the moment it arrived. Read by ``freshness(at:)``.
    var uncommittedSince: [(lastOffset: Int64, at: Duration)] = []
    /// The rolled-over segment whose close commit is pending; no new segment opens until it is acknowledged.
    var closing: Closing?
    /// Finished segments to seal and tag, oldest first.
    var finishing: [Finishing] = []
    /// Keys of finished segments left out of the last commit's metadata (reported when this changes).
    var uncommittedFinishing: [String] = []

    init(tp: TopicPartition, topic: TopicEnvironment) {
        self.tp = tp
        self.topic = topic
    }

    /// Memory held for rendered records, buffered plus in flight, by allocated capacity: what the memory
    /// watermark counts.
    var heldBytes: Int {
        var n = pending.allocatedBytes
        if let f = inFlight {
            n += f.batch.allocatedBytes - f.batch.sharedBytes(with: pending)
            if f.compressed { n += f.payload.count }
        }
        return n
    }

    /// Whether recovery is comparing re-consumed records with an object's tail: it needs its records to go on.
    var needsRecords: Bool {
        if case .recovering(let r) = phase, case .proving = r.step { return true }
        return false
    }

    /// Whether every record up to the high watermark last seen has been delivered: nothing more to fetch for now.
    var caughtUp: Bool {
        guard let h = highWatermark, let n = nextOffset else { return false }
        return n >= h
    }

    /// The age of the oldest record consumed and not yet covered by an acknowledged commit (zero when none).
    func freshness(at now: Duration) -> Duration {
        uncommittedSince.first.map { now - $0.at } ?? .zero
    }

    /// When the current rotation turn ends by itself: after `rotationIdle` without records (unless the high
    /// watermark shows more to fetch), or `rotationSlice`.
    func turnDeadline(_ env: SinkEnvironment) -> Duration? {
        guard let started = turnStartedAt else { return nil }
        let slice = started + env.global.rotationSlice
        if highWatermark != nil, !caughtUp { return slice }
        return min(max(started, lastIngestAt ?? started) + env.global.rotationIdle, slice)
    }

    /// The earliest moment this partition needs a ``SinkEvent/timerFired``.
    func deadline(_ env: SinkEnvironment) -> Duration? {
        var d: Duration?
        func consider(_ x: Duration?) {
            if let x, d.map({ x < $0 }) ?? true { d = x }
        }
        consider(commitRetryAt)
        consider(seekGuard?.expires)
        consider(turnDeadline(env))
        if let head = finishing.first, case .waitingRetry(let at) = head.step { consider(at) }
        consider(closing?.resendAt)
        switch phase {
        case .revoking(let deadline):
            consider(deadline)
        case .recovering(let r):
            if case .waitingRetry(let at, _) = r.step { consider(at) }
        case .writing:
            if let f = inFlight {
                if case .waitingRetry(let at, _) = f.stage { consider(at) }
            } else if !pending.isEmpty, !parked, let start = lingerStart {
                consider(start + topic.settings.linger)
            }
        }
        return d
    }

    /// True when nothing is buffered, nothing is in flight, the last commit is acknowledged, and every finished
    /// segment was tried once (one whose seal or tags wait for a retry is left to the committed metadata).
    var isDrained: Bool {
        switch phase {
        case .recovering: return finishingSettled
        case .revoking: return false
        case .writing:
            guard pending.isEmpty, inFlight == nil, finishingSettled else { return false }
            return !commitUnacknowledged
        }
    }

    /// The latest commit point (or the close commit) is not acknowledged yet.
    var commitUnacknowledged: Bool {
        if closing != nil { return true }
        guard let cp = commitPoint else { return false }
        return (ackedOffset ?? .min) < cp.offset
    }

    /// No finishing request is outstanding and none is about to start.
    var finishingSettled: Bool {
        guard let head = finishing.first else { return true }
        switch head.step {
        case .waitingRetry: return true
        case .waitingClose: return true
        case .ready, .sealing, .tagging: return false
        }
    }

    mutating func avoid(_ key: String) {
        if !avoidKeys.contains(key) { avoidKeys.append(key) }
        if avoidKeys.count > 32 { avoidKeys.removeFirst(avoidKeys.count - 32) }
    }

}
