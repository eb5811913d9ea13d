extension PartitionState {
    // MARK: Rollover of a segment with committed content (docs/architecture.md, "Finished segments")

    /// A segment that rolled over by size, age or time bucket is finished once its close commit is acknowledged:
    /// the same offset as its last commit, with metadata that says `closed`. Until then no new segment opens, so
    /// a restart either continues the segment (the close commit did not land: nothing was written after it) or
    /// starts the next one (it did). Then the segment is sealed at its committed length (when sealing is on) and
    /// tagged.
    ///
    /// A segment without committed content (nothing appended yet) just closes.
    mutating func finish(_ seg: Segment, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let cp = commitPoint, cp.metadata.key == seg.key, cp.metadata.position == seg.position, seg.position > 0,
              !cp.metadata.closed else { return }
        let description = SegmentDescription(
            key: seg.key, length: seg.position, crc64: seg.crc, firstOffset: seg.firstOffset, lastOffset: cp.offset - 1,
            recordCount: seg.records)
        finishing.append(Finishing(segment: description, step: .waitingClose))
        var metadata = segmentMetadata(seg)
        metadata.closed = true
        closing = Closing(point: CommitPoint(offset: cp.offset, metadata: metadata), sent: false,
                          resendAt: now.monotonic + env.global.revokeTimeout)
        fx.deadline(now.monotonic + env.global.revokeTimeout)
        sendCloseIfReady(env, now, &fx)
    }

    /// The close commit goes out once the commit before it (same offset) is acknowledged, so that the next
    /// acknowledgement of that offset is the close commit's. Whichever of the two is awaited is sent again when no
    /// answer came within `revokeTimeout` (the shell answers every commit; this only guards against a lost answer).
    mutating func sendCloseIfReady(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard var c = closing, !c.sent, (ackedOffset ?? .min) >= c.point.offset else { return }
        c.sent = true
        c.resendAt = now.monotonic + env.global.revokeTimeout
        closing = c
        requestCommit(c.point, &fx)
        fx.deadline(now.monotonic + env.global.revokeTimeout)
    }

    /// A commit of `offset` was acknowledged: it may be the close commit.
    mutating func closeAcknowledged(offset: Int64, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let c = closing else { return }
        guard c.sent else {
            sendCloseIfReady(env, now, &fx)
            return
        }
        guard offset >= c.point.offset else { return }
        closing = nil
        for i in finishing.indices {
            if case .waitingClose = finishing[i].step { finishing[i].step = .ready }
        }
        advanceFinishing(env, now, &fx)
    }

    /// The commit metadata for the open segment `seg`: its key, length and CRC, what describes it, and the finished
    /// segments not done yet (whichever process owns the partition next finishes them).
    func segmentMetadata(_ seg: Segment) -> CommitMetadata {
        CommitMetadata(key: seg.key, position: seg.position, crc64: seg.crc, firstOffset: seg.firstOffset,
                       recordCount: seg.records, openedAtMs: seg.openedAtMs,
                       finishing: finishing.map(\.segment).filter { $0.key != seg.key })
    }

    /// Reports finished segments that did not fit into a commit's metadata (when that set changes).
    mutating func noteUncommittedFinishing(_ metadata: CommitMetadata, included: Int, _ fx: inout Effects) {
        let left = metadata.finishing.dropFirst(included).map(\.key)
        if left != uncommittedFinishing {
            uncommittedFinishing = left
            if !left.isEmpty { fx.notice(.finishingNotCommitted(tp, keys: left)) }
        }
    }

    /// Segments the committed metadata names as finished and not yet sealed or tagged (assignment): their commits
    /// are acknowledged, so they are ready at once. Seals and tags are idempotent, so one done before a crash is
    /// just done again.
    mutating func resumeFinishing(_ segments: [SegmentDescription], _ env: SinkEnvironment, _ now: SinkInstant,
                                  _ fx: inout Effects) {
        for segment in segments where !finishing.contains(where: { $0.segment.key == segment.key }) {
            finishing.append(Finishing(segment: segment, step: .ready))
        }
        advanceFinishing(env, now, &fx)
    }

    // MARK: Seal, then tags

    /// Starts the oldest finished segment's next request when it is ready.
    mutating func advanceFinishing(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard var head = finishing.first, case .ready = head.step else { return }
        let id = fx.newID()
        if fx.sealing && !head.sealDone {
            head.step = .sealing(id)
            fx.actions.append(.seal(SealRequest(id: id, topicPartition: tp, key: head.segment.key, position: head.segment.length)))
        } else {
            head.sealDone = true
            head.step = .tagging(id)
            fx.actions.append(.tag(TagRequest(
                id: id, topicPartition: tp, segment: head.segment,
                tags: SegmentTags.tags(for: head.segment, sealed: head.sealed, format: topic.formatTag))))
        }
        finishing[0] = head
    }

    mutating func sealCompleted(_ id: RequestID, _ outcome: SealOutcome, _ env: SinkEnvironment, _ now: SinkInstant,
                                _ fx: inout Effects) {
        guard var head = finishing.first, case .sealing(let sent) = head.step, sent == id else { return }
        let segment = head.segment
        switch outcome {
        case .sealed:
            fx.ossReachable = true
            head.sealDone = true
            head.sealed = true
            head.step = .ready
            head.attempt = 0
            finishing[0] = head
        case .notEnabled(let reason):
            fx.ossReachable = true
            fx.sealNotEnabled = (segment.key, reason)
            head.sealDone = true
            head.step = .ready
            finishing[0] = head
        case .positionMismatch(let length):
            fx.ossReachable = true
            let actual = length.map { "\($0) bytes" } ?? "another length"
            finished(.refused, reason: "the object holds \(actual), not the committed \(segment.length): another writer appended to it, so it is neither sealed nor tagged", &fx)
        case .notAppendable:
            fx.ossReachable = true
            finished(.refused, reason: "the key holds an object that is not appendable (it was replaced), so it is neither sealed nor tagged", &fx)
        case .notFound:
            fx.ossReachable = true
            finished(.missing, reason: "the object is gone", &fx)
        case .transientFailure(let reason):
            scheduleFinishingRetry(delay: nil, reason: reason, env, now, &fx)
            return
        case .configurationError(let reason):
            retryFinishingSlowly(reason, env, now, &fx)
            return
        }
        advanceFinishing(env, now, &fx)
    }

    mutating func tagCompleted(_ id: RequestID, _ outcome: TagOutcome, _ env: SinkEnvironment, _ now: SinkInstant,
                               _ fx: inout Effects) {
        guard let head = finishing.first, case .tagging(let sent) = head.step, sent == id else { return }
        switch outcome {
        case .success:
            fx.ossReachable = true
            finished(head.sealed ? .sealed : .tagged, reason: nil, &fx)
        case .notFound:
            fx.ossReachable = true
            finished(.missing, reason: "the object is gone", &fx)
        case .transientFailure(let reason):
            scheduleFinishingRetry(delay: nil, reason: reason, env, now, &fx)
            return
        case .configurationError(let reason):
            retryFinishingSlowly(reason, env, now, &fx)
            return
        }
        advanceFinishing(env, now, &fx)
    }

    /// The oldest finished segment is done with.
    mutating func finished(_ outcome: FinishOutcome, reason: String?, _ fx: inout Effects) {
        let head = finishing.removeFirst()
        fx.notice(.segmentFinished(tp, segment: head.segment, outcome: outcome, reason: reason))
    }

    /// A configuration error (a missing oss:SealAppendObject or oss:PutObjectTagging permission shows up here) is
    /// not a reason to stop archiving: retried slowly and logged.
    mutating func retryFinishingSlowly(_ reason: String, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        scheduleFinishingRetry(delay: env.global.configErrorRetryInterval, reason: reason, env, now, &fx)
    }

    mutating func scheduleFinishingRetry(delay: Duration?, reason: String, _ env: SinkEnvironment, _ now: SinkInstant,
                                         _ fx: inout Effects) {
        guard var head = finishing.first else { return }
        head.attempt += 1
        let wait = delay ?? env.backoff(attempt: head.attempt)
        head.step = .waitingRetry(at: now.monotonic + wait)
        finishing[0] = head
        fx.deadline(now.monotonic + wait)
        fx.notice(.retryScheduled(tp, attempt: head.attempt, delay: wait, reason: reason))
    }

    /// A finishing retry whose time came.
    mutating func finishingTimerFired(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard var head = finishing.first, case .waitingRetry(let at) = head.step, at <= now.monotonic else { return }
        head.step = .ready
        finishing[0] = head
        advanceFinishing(env, now, &fx)
    }
}
