/// The whole sink's decisions as a value: events in, actions out. Pure and synchronous — no clock, no I/O, no
/// awaiting; the shell (`SinkService`) executes the actions and reports results as events.
///
/// ## Protocol the shell follows
/// - Call ``handle(_:at:)`` for every event, one at a time, with the current ``SinkInstant`` (monotonic part never
///   going backwards); execute the returned actions in order. Never call it concurrently.
/// - `.records`: records in offset order per partition, any chunking, partitions may be mixed.
/// - `.append/.head/.getRange/.seal/.tag`: run the request (any number concurrently across partitions, bounded by
///   `max_inflight_appends`; the core never has more than one append, and one seal or tag, outstanding per
///   partition) and report exactly one `.appendCompleted/.headCompleted/.rangeCompleted/.sealCompleted/.tagCompleted`
///   with the same ``RequestID``. For `.tag`, write the request's tags together with the configured `oss.tags`
///   (PutObjectTagging replaces every tag). A seal answered `OperationNotSupported` is `.notEnabled`: the core
///   reports it once (``SinkNotice/sealNotEnabled(_:key:reason:)``) and tags only from then on. Results for released
///   partitions are ignored, so late results are harmless. Classify OSS answers as the outcome enums say:
///   timeouts, connection errors, 5xx and 429 that outlive the client's own same-position retries are
///   `transientFailure` (the core re-sends later with backoff); 403, 404 `NoSuchBucket` and other 4xx are
///   `configurationError` (the core pauses everything, reports unhealthy, retries every `configErrorRetryInterval`
///   and commits nothing until OSS answers normally again).
/// - `.commit`: commit asynchronously (later commits of a partition supersede earlier ones) and report
///   `.commitCompleted`. When a `.commit` is followed by `.released` for the same partition in one batch (revoke),
///   commit synchronously before completing the rebalance.
/// - `.seek`: seek the consumer (only after fencing, back to the last commit). Records fetched before the seek
///   may still be delivered: the core drops those beyond what it had already seen until one from the new position
///   arrives, and repeats the seek when none arrives within `revokeTimeout`.
/// - `.pause/.resume`: `rd_kafka_pause_partitions` / `resume_partitions`. The core keeps track of why a partition
///   is paused (memory watermark, configuration error) and only resumes when no reason is left.
/// - `.scheduleTimer(at:)`: one timer; a new one replaces the old; when it fires send `.timerFired` (a deadline
///   already past fires at once; firing early or late is harmless).
/// - `.released`: the partition is done here; in a revoke callback wait for `.released` of every revoked
///   partition (the core bounds that wait by `revokeTimeout`), then let the rebalance proceed. `.lost` releases at
///   once and never commits.
/// - `.shutdown` (after the consumer stopped fetching) → `.shutdownComplete` once every buffer is appended and every
///   commit acknowledged: close the consumer (leave the group) and exit 0. Enforce `shutdown_timeout` in the shell.
/// - `.health`: report on `/readyz`. `.notice`: log and count (rollovers by reason, recoveries by outcome,
///   `records_expired_before_archive`, integrity alerts, fencing). `.fail`: stop the service with the message.
///
/// - Important: Exactly-once rests on the shell committing only what `.commit` says, on records being delivered
///   in offset order per partition, and on the rendering settings staying the same across restarts (a changed
///   format or compression makes recovery treat an uncommitted tail as a mismatch and roll over).
public struct Sink: Sendable {
    let env: SinkEnvironment
    var partitions: [TopicPartition: PartitionState] = [:]
    var owners: [RequestID: TopicPartition] = [:]
    var nextID: UInt64 = 0
    var scheduledTimer: Duration?
    /// Memory held for rendered records across all partitions (buffered + in flight, by allocated capacity).
    public private(set) var heldBytes = 0
    var memoryPaused: Set<TopicPartition> = []
    /// `heldBytes` of the partitions in `memoryPaused`, kept up to date by `step`.
    var memoryPausedBytes = 0
    var configErrors: [TopicPartition: String] = [:]
    var shuttingDown = false
    var shutdownReported = false
    /// Finished segments are sealed before they are tagged: `sealOnRollover`, until OSS says SealAppendObject
    /// is not enabled.
    public private(set) var sealing: Bool

    /// - Throws: ``SinkSettingsError`` when the settings are inconsistent.
    public init(settings: SinkSettings) throws(SinkSettingsError) {
        try settings.validate()
        env = SinkEnvironment(settings: settings)
        sealing = settings.sealOnRollover
    }

    public var settings: SinkSettings { env.settings }

    /// Partitions currently assigned here.
    public var assignedPartitions: [TopicPartition] { partitions.keys.sorted() }

    /// Partitions paused because of memory pressure.
    public var memoryPausedPartitions: Set<TopicPartition> { memoryPaused }

    /// `false` while OSS answers with configuration errors.
    public var isHealthy: Bool { configErrors.isEmpty }

    /// Finished segments of assigned partitions not yet sealed and tagged (waiting for their close commit, in
    /// progress, or waiting for a retry).
    public private(set) var finishingSegments = 0

    /// The finished segments of a partition not yet sealed and tagged, oldest first (for status pages and tests).
    public func finishingSegments(_ tp: TopicPartition) -> [SegmentDescription] {
        partitions[tp]?.finishing.map(\.segment) ?? []
    }

    /// The open segment of a partition: key, position and CRC (for status pages and tests).
    public func openSegment(_ tp: TopicPartition) -> CommitMetadata? {
        partitions[tp]?.segment.map { CommitMetadata(key: $0.key, position: $0.position, crc64: $0.crc) }
    }

    /// Rendered bytes buffered for a partition and not yet sent.
    public func bufferedBytes(_ tp: TopicPartition) -> Int { partitions[tp]?.pending.liveBytes ?? 0 }

    /// Feeds one event; returns the actions to execute, in order.
    public mutating func handle(_ event: SinkEvent, at now: SinkInstant) -> [SinkAction] {
        var fx = Effects(nextID: nextID)
        let env = self.env
        if heldBytes > env.settings.flushEarlyAboveBytes, !partitions.isEmpty {
            fx.earlyFlushBytes = max(SinkSettings.minimumEarlyFlushBytes, env.settings.flushEarlyAboveBytes / partitions.count)
        }
        switch event {
        case .assigned(let list):
            for a in list {
                let tp = a.topicPartition
                if let old = partitions[tp] {
                    // Assigned again while a revoke is still finishing: that revoke ends here (no commit of the
                    // unfinished append); the new assignment recovers from the committed offset.
                    guard case .revoking = old.phase else { continue }
                    step(tp, &fx) { p, fx in
                        p.commitPoint = nil
                        p.release(&fx)
                    }
                }
                partitions[tp] = PartitionState(tp: tp)
                if !configErrors.isEmpty { fx.actions.append(.pause([tp])) }
                step(tp, &fx) { p, fx in p.assigned(committed: a.committed, env, now, &fx) }
            }
        case .records(let records):
            ingest(RenderedRun.runs(of: records, renderer: env.renderer, settings: env.settings, wallClockMs: now.wallClockMs),
                   env, now, &fx)
        case .rendered(let runs):
            ingest(runs, env, now, &fx)
        case .timerFired:
            scheduledTimer = nil
            var due: [TopicPartition] = []
            var i = partitions.startIndex
            while i != partitions.endIndex {
                if let d = Self.deadline(&partitions.values[i], env), d <= now.monotonic { due.append(partitions.keys[i]) }
                partitions.formIndex(after: &i)
            }
            for tp in due {
                step(tp, &fx) { p, fx in p.timerFired(env, now, &fx) }
            }
            var earliest: Duration?
            i = partitions.startIndex
            while i != partitions.endIndex {
                if let d = Self.deadline(&partitions.values[i], env), earliest.map({ d < $0 }) ?? true { earliest = d }
                partitions.formIndex(after: &i)
            }
            if let earliest { fx.deadline(earliest) }
        case .appendCompleted(let id, let outcome):
            if let tp = owners.removeValue(forKey: id) {
                step(tp, &fx) { p, fx in p.appendCompleted(id, outcome, env, now, &fx) }
            }
        case .headCompleted(let id, let outcome):
            if let tp = owners.removeValue(forKey: id) {
                step(tp, &fx) { p, fx in p.headCompleted(id, outcome, env, now, &fx) }
            }
        case .rangeCompleted(let id, let outcome):
            if let tp = owners.removeValue(forKey: id) {
                step(tp, &fx) { p, fx in p.rangeCompleted(id, outcome, env, now, &fx) }
            }
        case .sealCompleted(let id, let outcome):
            if let tp = owners.removeValue(forKey: id) {
                step(tp, &fx) { p, fx in p.sealCompleted(id, outcome, env, now, &fx) }
            }
        case .tagCompleted(let id, let outcome):
            if let tp = owners.removeValue(forKey: id) {
                step(tp, &fx) { p, fx in p.tagCompleted(id, outcome, env, now, &fx) }
            }
        case .commitCompleted(let tp, let offset, let outcome):
            step(tp, &fx) { p, fx in p.commitCompleted(offset: offset, outcome, env, now, &fx) }
        case .revoked(let list):
            for tp in list {
                step(tp, &fx) { p, fx in p.revoke(env, now, &fx) }
            }
        case .lost(let list):
            for tp in list where partitions[tp] != nil {
                step(tp, &fx) { p, fx in
                    p.commitPoint = nil
                    p.release(&fx)
                }
            }
        case .shutdown:
            shuttingDown = true
            for tp in partitions.keys {
                step(tp, &fx) { p, fx in
                    p.flushAll = true
                    p.maybeFlush(env, now, &fx)
                }
            }
        }
        balanceMemory(env, now, &fx)
        if let d = fx.earliestDeadline.map(Self.coalesce), scheduledTimer.map({ d < $0 }) ?? true {
            scheduledTimer = d
            fx.actions.append(.scheduleTimer(at: d))
        }
        if shuttingDown, !shutdownReported, partitions.values.allSatisfy(\.isDrained) {
            shutdownReported = true
            fx.actions.append(.shutdownComplete)
        }
        nextID = fx.nextID
        return fx.actions
    }

    /// Timer deadlines are rounded up to 10 ms, so thousands of partitions with their own linger deadlines cost
    /// at most 100 timer events per second (each scans the partitions once).
    static func coalesce(_ d: Duration) -> Duration {
        let resolution: Int64 = 10_000_000
        let (seconds, attoseconds) = d.components
        let ns = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return .nanoseconds((ns + resolution - 1) / resolution * resolution)
    }

    /// Runs one partition step in place and folds its effects (memory, request owners, health, release).
    /// Hands each run to its partition; runs of partitions this member does not own are noticed and dropped.
    mutating func ingest(_ runs: [RenderedRun], _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        for run in runs where !run.records.isEmpty {
            let tp = run.topicPartition
            if partitions[tp] == nil {
                fx.notice(.recordsIgnored(tp, count: run.count, reason: "partition not assigned to this member"))
            } else {
                step(tp, &fx) { p, fx in p.ingest(run.records, env, now, &fx) }
            }
        }
    }

    mutating func step(_ tp: TopicPartition, _ fx: inout Effects, _ body: (inout PartitionState, inout Effects) -> Void) {
        guard partitions[tp] != nil else { return }
        fx.issued.removeAll(keepingCapacity: true)
        fx.configError = nil
        fx.ossReachable = false
        fx.release = false
        fx.sealing = sealing
        let before = Self.held(&partitions[tp]!)
        let finishingBefore = Self.finishing(&partitions[tp]!)
        if shuttingDown { partitions[tp]!.flushAll = true }
        body(&partitions[tp]!, &fx)
        finishingSegments += (fx.release ? 0 : Self.finishing(&partitions[tp]!)) - finishingBefore
        for id in fx.issued { owners[id] = tp }
        if let refused = fx.sealNotEnabled {
            fx.sealNotEnabled = nil
            if sealing {
                sealing = false
                fx.notice(.sealNotEnabled(tp, key: refused.key, reason: refused.reason))
            }
        }
        if fx.release {
            partitions.removeValue(forKey: tp)
            heldBytes -= before
            if memoryPaused.remove(tp) != nil { memoryPausedBytes -= before }
            if configErrors.removeValue(forKey: tp) != nil, configErrors.isEmpty { setHealthy(&fx) }
            return
        }
        let delta = Self.held(&partitions[tp]!) - before
        heldBytes += delta
        if delta != 0, !memoryPaused.isEmpty, memoryPaused.contains(tp) { memoryPausedBytes += delta }
        if let reason = fx.configError {
            let wasHealthy = configErrors.isEmpty
            configErrors[tp] = reason
            if wasHealthy {
                fx.actions.append(.health(.unhealthy(reason: "OSS configuration error on \(tp): \(reason)")))
                let toPause = partitions.keys.filter { !memoryPaused.contains($0) }.sorted()
                if !toPause.isEmpty { fx.actions.append(.pause(toPause)) }
            }
        } else if fx.ossReachable, configErrors.removeValue(forKey: tp) != nil, configErrors.isEmpty {
            setHealthy(&fx)
        }
    }

    mutating func setHealthy(_ fx: inout Effects) {
        fx.actions.append(.health(.healthy))
        let toResume = partitions.keys.filter { !memoryPaused.contains($0) }.sorted()
        if !toResume.isEmpty { fx.actions.append(.resume(toResume)) }
    }

    /// A partition's held bytes, read in place (a plain dictionary read would copy the whole state).
    static func held(_ partition: inout PartitionState) -> Int { partition.heldBytes }

    /// A partition's finished segments not done yet, read in place.
    static func finishing(_ partition: inout PartitionState) -> Int { partition.finishing.count }

    /// A partition's next deadline, read in place.
    static func deadline(_ partition: inout PartitionState, _ env: SinkEnvironment) -> Duration? { partition.deadline(env) }

    /// Above `maxBufferedBytes`: pause the fullest partitions until the paused ones hold at least the excess over
    /// the low watermark. Above `pauseAllAboveBytes`: pause every partition not paused yet. Below
    /// `resumeBelowBytes`: resume them all.
    ///
    /// A memory-paused partition sends what it buffered without waiting for `linger`: no records arrive for it
    /// until it resumes, so waiting would only hold the memory longer.
    mutating func balanceMemory(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        assert(memoryPausedBytes == memoryPaused.reduce(0) { $0 + (partitions[$1]?.heldBytes ?? 0) },
               "memoryPausedBytes must equal the held bytes of the memory-paused partitions")
        let s = env.settings
        if heldBytes > s.maxBufferedBytes {
            var covered = memoryPausedBytes
            let needed = heldBytes - s.resumeBelowBytes
            let all = heldBytes > s.pauseAllAboveBytes
            guard covered < needed || (all && memoryPaused.count < partitions.count) else { return }
            // Walks the storage in place: holding `indices` or reading values out would copy.
            var candidates: [(TopicPartition, Int)] = []
            var i = partitions.startIndex
            while i != partitions.endIndex {
                let held = Self.held(&partitions.values[i])
                if held > 0 || all {
                    let tp = partitions.keys[i]
                    if !memoryPaused.contains(tp) { candidates.append((tp, held)) }
                }
                partitions.formIndex(after: &i)
            }
            candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var newly: [TopicPartition] = []
            for (tp, bytes) in candidates where covered < needed || all {
                memoryPaused.insert(tp)
                newly.append(tp)
                covered += bytes
            }
            memoryPausedBytes = covered
            newly.sort()
            if !newly.isEmpty, configErrors.isEmpty { fx.actions.append(.pause(newly)) }
            for tp in newly {
                step(tp, &fx) { p, fx in
                    p.memoryPaused = true
                    p.maybeFlush(env, now, &fx)
                }
            }
        } else if heldBytes < s.resumeBelowBytes, !memoryPaused.isEmpty {
            let list = memoryPaused.filter { partitions[$0] != nil }.sorted()
            memoryPaused.removeAll()
            memoryPausedBytes = 0
            for tp in list { partitions[tp]!.memoryPaused = false }
            if !list.isEmpty, configErrors.isEmpty { fx.actions.append(.resume(list)) }
        }
    }
}
