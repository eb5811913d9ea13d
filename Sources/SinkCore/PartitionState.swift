/// Read-only context shared by every partition.
struct SinkEnvironment: Sendable {
    let settings: SinkSettings
    let renderer: RecordRenderer
    let buckets: TimeBuckets
    let ext: String

    init(settings: SinkSettings) {
        self.settings = settings
        self.renderer = RecordRenderer(format: settings.format)
        self.buckets = TimeBuckets(timeZone: settings.timeZone, granularity: settings.keyTemplate.timeGranularity)
        self.ext = settings.fileExtension
    }

    func backoff(attempt: Int) -> Duration {
        var d = settings.retryInitialBackoff
        var k = 1
        while k < attempt && d < settings.retryMaxBackoff {
            d = d * 2
            k += 1
        }
        return min(d, settings.retryMaxBackoff)
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

    init(tp: TopicPartition) {
        self.tp = tp
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
        let slice = started + env.settings.rotationSlice
        if highWatermark != nil, !caughtUp { return slice }
        return min(max(started, lastIngestAt ?? started) + env.settings.rotationIdle, slice)
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
        switch phase {
        case .revoking(let deadline):
            consider(deadline)
        case .recovering(let r):
            if case .waitingRetry(let at, _) = r.step { consider(at) }
        case .writing:
            if let f = inFlight {
                if case .waitingRetry(let at, _) = f.stage { consider(at) }
            } else if !pending.isEmpty, !parked, let start = lingerStart {
                consider(start + env.settings.linger)
            }
        }
        return d
    }

    /// True when nothing is buffered, nothing is in flight and the last commit is acknowledged.
    var isDrained: Bool {
        switch phase {
        case .recovering: return true
        case .revoking: return false
        case .writing:
            guard pending.isEmpty, inFlight == nil else { return false }
            guard let cp = commitPoint else { return true }
            return (ackedOffset ?? .min) >= cp.offset
        }
    }

    mutating func avoid(_ key: String) {
        if !avoidKeys.contains(key) { avoidKeys.append(key) }
        if avoidKeys.count > 32 { avoidKeys.removeFirst(avoidKeys.count - 32) }
    }

}
