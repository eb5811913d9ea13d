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
///   and commits nothing until OSS answers normally again: `.health(.healthy)`; or until the partitions it refused
///   are released: `.health(.unaffected)`).
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
///   commit acknowledged, or at once for partitions held up by an OSS configuration error (they cannot flush;
///   `.leftUnflushedAtShutdown` names each): close the consumer (leave the group) and exit 0. Enforce
///   `shutdown_timeout` in the shell.
/// - `.health`: report on `/readyz`. `.notice`: log and count (rollovers by reason, recoveries by outcome,
///   `records_expired_before_archive`, integrity alerts, fencing). `.fail`: stop the service with the message.
///
/// - Important: Exactly-once rests on the shell committing only what `.commit` says, on records being delivered
///   in offset order per partition, and on each topic's rendering settings staying the same across restarts (a
///   changed format or compression makes recovery treat an uncommitted tail as a mismatch and roll over).
///
/// ## Topics
/// One consumer, one memory budget, one set of appends in flight and one intake rotation serve every topic; each
/// topic's rendering, compression, keys, batches, rollover and sealing are its ``TopicSettings``
/// (``SinkSettings/topicSettings(for:)``), resolved once per topic and shared by its partitions. Records handed in
/// as ``SinkEvent/rendered(_:)`` must be rendered with their topic's format and placed with its timestamp source.
public struct Sink: Sendable {
    let env: SinkEnvironment
    var partitions: [TopicPartition: PartitionState] = [:]
    /// Each topic's settings as the core uses them, resolved on first use (bounded by the topics subscribed to).
    var topics: [String: TopicEnvironment] = [:]
    var owners: [RequestID: TopicPartition] = [:]
    var nextID: UInt64 = 0
    var scheduledTimer: Duration?
    /// Memory held for rendered records across all partitions (buffered + in flight, by allocated capacity).
    public private(set) var heldBytes = 0
    var memoryPaused: Set<TopicPartition> = []
    /// `heldBytes` of the partitions in `memoryPaused`, kept up to date by `step`.
    var memoryPausedBytes = 0
    var configErrors: [TopicPartition: String] = [:]
    /// Intake rotation (``SinkSettings/maxFillingPartitions``): on while memory is short and more partitions are
    /// assigned than may fill at once.
    var rotating = false
    /// Partitions filling in their rotation turn.
    var filling: Set<TopicPartition> = []
    /// Partitions paused by the rotation (waiting for a turn, or caught up).
    var parked: Set<TopicPartition> = []
    /// `heldBytes` of the partitions in `parked`, kept up to date by `step`.
    var parkedBytes = 0
    /// Partitions left out of the rotation while they recover: proving a tail needs their records, so they fetch
    /// freely until they write again, then wait for a turn like the others.
    var exempt: Set<TopicPartition> = []
    /// Parked partitions in turn order (entries of released partitions are skipped).
    var turnQueue: [TopicPartition] = []
    /// Turns ended, and rendered bytes ingested, since the current cycle of turns began: a cycle in which every
    /// partition had a turn and little came in ends the rotation.
    var cycleTurns = 0
    var cycleBytes = 0
    /// What a turn brings in, on average (rendered bytes): sizes how many partitions may fill at once.
    var turnBytesEstimate = 0
    /// A large assignment asks for the rotation to start at once.
    var rotateNow = false
    var shuttingDown = false
    var shutdownReported = false
    /// OSS answered SealAppendObject with `OperationNotSupported`: no topic seals from then on.
    var sealRefused = false

    /// - Throws: ``SinkSettingsError`` when the settings are inconsistent.
    public init(settings: SinkSettings) throws(SinkSettingsError) {
        try settings.validate()
        env = SinkEnvironment(settings: settings)
    }

    public var settings: SinkSettings { env.global }

    /// Finished segments of topics with `sealOnRollover` are sealed before they are tagged: true while any topic
    /// seals and OSS has not said SealAppendObject is not enabled.
    public var sealing: Bool { !sealRefused && env.global.anyTopicSeals }

    /// The settings the core uses for `topic`, resolved once.
    mutating func topicEnvironment(_ topic: String) -> TopicEnvironment {
        if let known = topics[topic] { return known }
        let resolved = TopicEnvironment(env.global.topicSettings(for: topic))
        topics[topic] = resolved
        return resolved
    }

    /// Partitions currently assigned here.
    public var assignedPartitions: [TopicPartition] { partitions.keys.sorted() }

    /// Partitions paused because of memory pressure.
    public var memoryPausedPartitions: Set<TopicPartition> { memoryPaused }

    /// Partitions paused by intake rotation (waiting for their turn, or caught up for now).
    public var parkedPartitions: Set<TopicPartition> { parked }

    /// Partitions filling in their intake rotation turn.
    public var fillingPartitions: Set<TopicPartition> { filling }

    /// Per assigned partition, the age of its oldest record consumed but not yet covered by an acknowledged
    /// commit (zero when none): how far the archive trails what was consumed.
    public func freshness(at now: Duration) -> [TopicPartition: Duration] {
        partitions.mapValues { $0.freshness(at: now) }
    }

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
        if heldBytes > env.global.flushEarlyAboveBytes, !partitions.isEmpty {
            fx.earlyFlushBytes = max(SinkSettings.minimumEarlyFlushBytes, env.global.flushEarlyAboveBytes / partitions.count)
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
                partitions[tp] = PartitionState(tp: tp, topic: topicEnvironment(tp.topic))
                if rotating {
                    // It waits for a turn like the others.
                    partitions[tp]!.parked = true
                    parked.insert(tp)
                    turnQueue.append(tp)
                }
                if rotating || !configErrors.isEmpty { fx.actions.append(.pause([tp])) }
                step(tp, &fx) { p, fx in p.assigned(committed: a.committed, env, now, &fx) }
            }
            // Many partitions at once (a start, or another member's partitions) usually come with a backlog:
            // take turns from the first fetch instead of letting every partition fill a sliver first.
            if !rotating, list.count > env.global.maxFillingPartitions { rotateNow = true }
        case .records(let records):
            let runs = RenderedRun.runs(of: records, wallClockMs: now.wallClockMs) { topicEnvironment($0) }
            ingest(runs, env, now, &fx)
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
        rotate(env, now, &fx)
        balanceMemory(env, now, &fx)
        if let d = fx.earliestDeadline.map(Self.coalesce), scheduledTimer.map({ d < $0 }) ?? true {
            scheduledTimer = d
            fx.actions.append(.scheduleTimer(at: d))
        }
        if shuttingDown, !shutdownReported {
            // A partition held up by an OSS configuration error has nothing it can flush: waiting for it would
            // only keep a member that can do nothing in the group until shutdown_timeout.
            let blocked = partitions.filter { !$0.value.isDrained }.keys
            if blocked.allSatisfy({ configErrors[$0] != nil }) {
                shutdownReported = true
                for tp in blocked.sorted() {
                    fx.notice(.leftUnflushedAtShutdown(tp, reason: configErrors[tp] ?? ""))
                }
                fx.actions.append(.shutdownComplete)
            }
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
                if rotating {
                cycleBytes += run.renderedBytes
                if filling.contains(tp) { partitions[tp]!.turnBytes += run.renderedBytes }
            }
                step(tp, &fx) { p, fx in
                    if let h = run.highWatermark { p.highWatermark = max(p.highWatermark ?? h, h) }
                    p.ingest(run.records, env, now, &fx)
                }
            }
        }
    }

    mutating func step(_ tp: TopicPartition, _ fx: inout Effects, _ body: (inout PartitionState, inout Effects) -> Void) {
        guard partitions[tp] != nil else { return }
        fx.issued.removeAll(keepingCapacity: true)
        fx.configError = nil
        fx.ossReachable = false
        fx.release = false
        fx.sealing = !sealRefused && Self.seals(&partitions[tp]!)
        let before = Self.held(&partitions[tp]!)
        let finishingBefore = Self.finishing(&partitions[tp]!)
        if shuttingDown { partitions[tp]!.flushAll = true }
        body(&partitions[tp]!, &fx)
        finishingSegments += (fx.release ? 0 : Self.finishing(&partitions[tp]!)) - finishingBefore
        for id in fx.issued { owners[id] = tp }
        if let refused = fx.sealNotEnabled {
            fx.sealNotEnabled = nil
            if !sealRefused {
                sealRefused = true
                fx.notice(.sealNotEnabled(tp, key: refused.key, reason: refused.reason))
            }
        }
        if fx.release {
            partitions.removeValue(forKey: tp)
            heldBytes -= before
            if memoryPaused.remove(tp) != nil { memoryPausedBytes -= before }
            if parked.remove(tp) != nil { parkedBytes -= before }
            exempt.remove(tp)
            filling.remove(tp)
            if configErrors.removeValue(forKey: tp) != nil, configErrors.isEmpty { setHealthy(.unaffected, &fx) }
            return
        }
        let delta = Self.held(&partitions[tp]!) - before
        heldBytes += delta
        if delta != 0, !memoryPaused.isEmpty, memoryPaused.contains(tp) { memoryPausedBytes += delta }
        if delta != 0, !parked.isEmpty, parked.contains(tp) { parkedBytes += delta }
        if case .recovering = partitions[tp]!.phase, memoryPaused.contains(tp) {
            // Fenced while paused for memory: the recovery needs its records to go on (and free what it holds).
            memoryPaused.remove(tp)
            memoryPausedBytes -= Self.held(&partitions[tp]!)
            partitions[tp]!.memoryPaused = false
            if !parked.contains(tp), configErrors.isEmpty { fx.actions.append(.resume([tp])) }
        }
        if rotating, partitions[tp]!.needsRecords, !exempt.contains(tp) {
            // Proving a tail during the rotation: the recovery needs its records.
            if parked.remove(tp) != nil {
                parkedBytes -= Self.held(&partitions[tp]!)
                if !memoryPaused.contains(tp), configErrors.isEmpty { fx.actions.append(.resume([tp])) }
            }
            filling.remove(tp)
            partitions[tp]!.parked = false
            partitions[tp]!.turnStartedAt = nil
            exempt.insert(tp)
        }
        if let reason = fx.configError {
            let wasHealthy = configErrors.isEmpty
            configErrors[tp] = reason
            if wasHealthy {
                fx.actions.append(.health(.unhealthy(reason: "OSS configuration error on \(tp): \(reason)")))
                let toPause = partitions.keys.filter { !memoryPaused.contains($0) && !parked.contains($0) }.sorted()
                if !toPause.isEmpty { fx.actions.append(.pause(toPause)) }
            }
        } else if fx.ossReachable, configErrors.removeValue(forKey: tp) != nil, configErrors.isEmpty {
            setHealthy(.healthy, &fx)
        }
    }

    mutating func setHealthy(_ health: SinkHealth, _ fx: inout Effects) {
        fx.actions.append(.health(health))
        let toResume = partitions.keys.filter { !memoryPaused.contains($0) && !parked.contains($0) }.sorted()
        if !toResume.isEmpty { fx.actions.append(.resume(toResume)) }
    }

    /// A partition's held bytes, read in place (a plain dictionary read would copy the whole state).
    static func held(_ partition: inout PartitionState) -> Int { partition.heldBytes }

    /// Whether a partition's topic seals its finished segments, read in place.
    static func seals(_ partition: inout PartitionState) -> Bool { partition.topic.settings.sealOnRollover }

    /// A partition's finished segments not done yet, read in place.
    static func finishing(_ partition: inout PartitionState) -> Int { partition.finishing.count }

    /// A partition's next deadline, read in place.
    static func deadline(_ partition: inout PartitionState, _ env: SinkEnvironment) -> Duration? { partition.deadline(env) }

    /// Intake rotation: while memory is short and more than `maxFillingPartitions` partitions are assigned, only
    /// that many fetch at a time. A turn ends when the partition caught up with its high watermark, received nothing
    /// for `rotationIdle`, ran for `rotationSlice` while others wait, or was paused for memory; it then sends what
    /// it holds (one append of its whole backlog, or of what it gathered), parks, and queues for another turn.
    /// Turns start while the filling partitions and the appends in flight hold less than `flushEarlyAboveBytes`
    /// (room to fill before the watermark that pauses partitions for memory). Parked partitions keep what they hold for
    /// their next turn. Once as many turns in a row as there are partitions found nothing more to fetch, the
    /// backlog is gone: the rotation ends and every partition fetches again.
    ///
    /// Exactly-once does not depend on it: it only decides pauses, resumes and when batches go out.
    mutating func rotate(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        let s = env.global
        guard !shuttingDown else { return }
        var toPause: [TopicPartition] = []
        var toResume: [TopicPartition] = []
        if !rotating {
            let start = rotateNow || heldBytes > s.rotateAboveBytes
            rotateNow = false
            guard start, partitions.count > s.maxFillingPartitions else { return }
            rotating = true
            // Those holding most keep fetching (they are closest to full batches); the others park and queue.
            var ranked: [(TopicPartition, Int)] = []
            var i = partitions.startIndex
            while i != partitions.endIndex {
                if partitions.values[i].needsRecords {
                    exempt.insert(partitions.keys[i])
                } else {
                    ranked.append((partitions.keys[i], Self.held(&partitions.values[i])))
                }
                partitions.formIndex(after: &i)
            }
            ranked.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            cycleTurns = 0
            cycleBytes = 0
            let limit = fillingLimit(s)
            for (index, (tp, _)) in ranked.enumerated() {
                if index < limit {
                    filling.insert(tp)
                    partitions[tp]!.turnStartedAt = now.monotonic
                    fx.deadline(partitions[tp]!.turnDeadline(env)!)
                } else {
                    parked.insert(tp)
                    parkedBytes += Self.held(&partitions[tp]!)
                    partitions[tp]!.parked = true
                    turnQueue.append(tp)
                    if !memoryPaused.contains(tp) { toPause.append(tp) }
                }
            }
            fx.notice(.rotationStarted(filling: filling.count, waiting: parked.count, heldBytes: heldBytes))
        }
        // Partitions that finished recovering join the rotation at the back.
        for tp in exempt.sorted() {
            guard let p = partitions[tp] else {
                exempt.remove(tp)
                continue
            }
            guard !p.needsRecords else { continue }
            exempt.remove(tp)
            parked.insert(tp)
            parkedBytes += Self.held(&partitions[tp]!)
            partitions[tp]!.parked = true
            turnQueue.append(tp)
            if !memoryPaused.contains(tp) { toPause.append(tp) }
        }
        // Turns that ended.
        for tp in filling.sorted() {
            guard let p = partitions[tp] else {
                filling.remove(tp)
                continue
            }
            let started = p.turnStartedAt ?? now.monotonic
            let received = (p.lastIngestAt ?? .zero) >= started && p.lastIngestAt != nil
            // A high watermark known to be ahead of what was delivered: more is on its way, idling is not the end.
            let behind = p.highWatermark != nil && !p.caughtUp
            let idle = !behind && now.monotonic - max(started, p.lastIngestAt ?? started) >= s.rotationIdle
            let done = (p.caughtUp && received) || idle
            let sliceOver = now.monotonic - started >= s.rotationSlice
            if sliceOver, turnQueue.isEmpty, !done, !p.memoryPaused {
                // Nobody waits: the turn goes on.
                partitions[tp]!.turnStartedAt = now.monotonic
                continue
            }
            guard done || p.memoryPaused || sliceOver else { continue }
            filling.remove(tp)
            parked.insert(tp)
            parkedBytes += Self.held(&partitions[tp]!)
            turnQueue.append(tp)
            if !p.memoryPaused { cycleTurns += 1 }
            if received {
                let current = turnBytesEstimate > 0 ? turnBytesEstimate : max(1, s.largestBatchMaxBytes / 4)
                turnBytesEstimate = max(1, (3 * current + p.turnBytes) / 4)
            }
            if !p.memoryPaused { toPause.append(tp) }
            step(tp, &fx) { p, fx in
                p.turnStartedAt = nil
                p.parked = true
                // A turn that received nothing (its first fetch did not come in time) keeps what it holds.
                p.flushNow = !p.pending.isEmpty && received
                p.maybeFlush(env, now, &fx)
            }
        }
        if cycleTurns >= partitions.count {
            // Every partition had a turn since the cycle began: if they brought in little, the backlog is gone.
            if cycleBytes < s.rotateAboveBytes, heldBytes < s.rotateAboveBytes {
                rotating = false
                fx.notice(.rotationEnded)
                turnQueue.removeAll()
                for tp in filling.sorted() where partitions[tp] != nil { partitions[tp]!.turnStartedAt = nil }
                filling.removeAll()
                for tp in parked.sorted() where partitions[tp] != nil {
                    partitions[tp]!.parked = false
                    if let at = toPause.firstIndex(of: tp) { toPause.remove(at: at) } else if !memoryPaused.contains(tp) { toResume.append(tp) }
                    step(tp, &fx) { p, fx in p.maybeFlush(env, now, &fx) }
                }
                parked.removeAll()
                parkedBytes = 0
                exempt.removeAll()
            }
            cycleTurns = 0
            cycleBytes = 0
        }
        if rotating {
            // Turns that start.
            // Room for the filling partitions: what they and the appends in flight hold (parked partitions keep
            // theirs for their turn; the memory watermark bounds the whole).
            let limit = fillingLimit(s)
            var looked = 0
            let queued = turnQueue.count
            while filling.count < limit, heldBytes - parkedBytes < s.flushEarlyAboveBytes, looked < queued,
                  !turnQueue.isEmpty {
                looked += 1
                let tp = turnQueue.removeFirst()
                guard parked.contains(tp), partitions[tp] != nil else { continue }
                if memoryPaused.contains(tp) {
                    // Its turn comes once memory allows it to fetch.
                    turnQueue.append(tp)
                    continue
                }
                parked.remove(tp)
                parkedBytes -= Self.held(&partitions[tp]!)
                filling.insert(tp)
                partitions[tp]!.parked = false
                partitions[tp]!.turnStartedAt = now.monotonic
                partitions[tp]!.lastIngestAt = nil
                partitions[tp]!.turnBytes = 0
                if let d = partitions[tp]!.turnDeadline(env) { fx.deadline(d) }
                if let at = toPause.firstIndex(of: tp) { toPause.remove(at: at) } else if !memoryPaused.contains(tp) { toResume.append(tp) }
            }
        }
        if configErrors.isEmpty {
            if !toPause.isEmpty { fx.actions.append(.pause(toPause.sorted())) }
            if !toResume.isEmpty { fx.actions.append(.resume(toResume.sorted())) }
        }
    }

    /// How many partitions may fill at once: as many as half the early-flush watermark holds at what a turn brings
    /// in on average (a quarter of the largest topic's batch until turns have been measured; the other half is for
    /// appends on their way), within `maxFillingPartitions`.
    func fillingLimit(_ s: SinkSettings) -> Int {
        let estimate = turnBytesEstimate > 0 ? turnBytesEstimate : max(1, s.largestBatchMaxBytes / 4)
        return max(1, min(s.maxFillingPartitions, s.flushEarlyAboveBytes / 2 / estimate))
    }

    /// Above `maxBufferedBytes`: pause the fullest partitions until the paused ones hold at least the excess over
    /// the low watermark. Above `pauseAllAboveBytes`: pause every partition not paused yet. Below
    /// `resumeBelowBytes`: resume them all.
    ///
    /// A memory-paused partition sends what it buffered without waiting for `linger`: no records arrive for it
    /// until it resumes, so waiting would only hold the memory longer.
    mutating func balanceMemory(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        assert(memoryPausedBytes == memoryPaused.reduce(0) { $0 + (partitions[$1]?.heldBytes ?? 0) },
               "memoryPausedBytes must equal the held bytes of the memory-paused partitions")
        assert(parkedBytes == parked.reduce(0) { $0 + (partitions[$1]?.heldBytes ?? 0) },
               "parkedBytes must equal the held bytes of the parked partitions")
        let s = env.global
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
                let tp = partitions.keys[i]
                // A recovering partition needs its records to prove its tail and free what it holds. A parked one
                // already fetches nothing: only the fullest are sent, to cover the excess, not every one.
                if case .recovering = partitions.values[i].phase {
                } else if held > 0 || (all && !parked.contains(tp)) {
                    if !memoryPaused.contains(tp) { candidates.append((tp, held)) }
                }
                partitions.formIndex(after: &i)
            }
            candidates.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            var newly: [TopicPartition] = []
            for (tp, bytes) in candidates where covered < needed || (all && !parked.contains(tp)) {
                memoryPaused.insert(tp)
                newly.append(tp)
                covered += bytes
            }
            memoryPausedBytes = covered
            newly.sort()
            let toPause = newly.filter { !parked.contains($0) }
            if !toPause.isEmpty, configErrors.isEmpty { fx.actions.append(.pause(toPause)) }
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
            let toResume = list.filter { !parked.contains($0) }
            if !toResume.isEmpty, configErrors.isEmpty { fx.actions.append(.resume(toResume)) }
        }
    }
}
