import OSSChecksum
extension PartitionState {
    // MARK: Records in

    /// Rendered records of this partition, in offset order: each passes the offset checks (`admit`), and the bytes
    /// of those that do are adopted as they are.
    mutating func ingest(_ chunk: RenderedRecords, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        if case .revoking = phase {
            fx.notice(.recordsIgnored(tp, count: chunk.count, reason: "partition is being revoked"))
            return
        }
        var skipped = Skipped()
        // Runs of consecutive records that pass (usually all of them) are adopted without copying.
        var runStart = 0
        for i in 0..<chunk.count where !admit(chunk.offset(i), &skipped, &fx) {
            pending.append(records: runStart..<i, of: chunk)
            runStart = i + 1
        }
        pending.append(records: runStart..<chunk.count, of: chunk)
        if chunk.count > skipped.ignored + skipped.stale {
            lastIngestAt = now.monotonic
            uncommittedSince.append((chunk.offset(chunk.count - 1), now.monotonic))
        }
        ingested(skipped, env, now, &fx)
    }

    /// Records left out of an ingest, by reason.
    struct Skipped {
        var ignored = 0
        var stale = 0
    }

    /// Whether the record at `offset` (the next one delivered) is buffered: not fetched before a pending seek,
    /// not already handled. Notices a gap where the first expected record expired before it was archived.
    mutating func admit(_ offset: Int64, _ skipped: inout Skipped, _ fx: inout Effects) -> Bool {
        if let g = seekGuard {
            if offset >= g.staleFrom {
                skipped.stale += 1
                return false
            }
            seekGuard = nil
        }
        if let n = nextOffset, offset < n {
            skipped.ignored += 1
            return false
        }
        if let e = expectFirstOffset {
            if offset > e { fx.notice(.recordsExpiredBeforeArchive(tp, expectedOffset: e, firstOffset: offset)) }
            expectFirstOffset = nil
        }
        nextOffset = offset + 1
        return true
    }

    mutating func ingested(_ skipped: Skipped, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        if skipped.ignored > 0 { fx.notice(.recordsIgnored(tp, count: skipped.ignored, reason: "offset already handled")) }
        if skipped.stale > 0 { fx.notice(.recordsIgnored(tp, count: skipped.stale, reason: "fetched before the seek")) }
        if !pending.isEmpty, lingerStart == nil { lingerStart = now.monotonic }
        switch phase {
        case .writing: maybeFlush(env, now, &fx)
        case .recovering: advanceProof(env, now, &fx)
        case .revoking: break
        }
    }

    // MARK: Batching

    /// Sends the next batch when one is ready (size, count, time bucket, linger, or flushing everything) and the
    /// partition may append (writing, nothing in flight, within `maxUncommittedBytes`).
    mutating func maybeFlush(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        // A rolled-over segment's close commit must be acknowledged before the next segment gets any byte.
        guard case .writing = phase, inFlight == nil, !pending.isEmpty, closing == nil else { return }
        let s = topic.settings
        let buckets = topic.buckets
        if segment != nil, segment!.bucketEnd == nil {
            // A segment adopted by recovery: its bucket is the one its key names.
            let named = s.keyTemplate.timeFields(
                ofKey: segment!.key, prefix: s.keyPrefix, topic: tp.topic, partition: tp.partition, ext: topic.ext)
            segment!.bucketEnd = buckets.bucketEnd(named.flatMap { buckets.instant(of: $0) } ?? pending.time(0))
        }
        if let seg = segment {
            if now.monotonic - seg.openedAt > s.maxSegmentAge {
                rollOver(.age, env, now, &fx)
            } else if let end = seg.bucketEnd, pending.time(0) >= end {
                rollOver(.timeBucket, env, now, &fx)
            }
            if closing != nil { return }
        }
        let bucketEnd = segment?.bucketEnd ?? buckets.bucketEnd(pending.time(0))
        var k = 0
        var bytes = 0
        while k < pending.count && k < s.batchMaxRecords {
            let len = pending.range(k).count
            if k > 0 && (bytes + len > s.batchMaxBytes || pending.time(k) >= bucketEnd) { break }
            bytes += len
            k += 1
        }
        let full = k < pending.count || bytes >= s.batchMaxBytes || k >= s.batchMaxRecords
        // A parked partition waits for its rotation turn; a filling one sends when full or when its turn ends.
        let lingered = !parked && (lingerStart.map { now.monotonic - $0 >= s.linger } ?? true)
        let shortOfMemory = !parked && turnStartedAt == nil && (fx.earlyFlushBytes.map { pending.liveBytes >= $0 } ?? false)
        guard flushAll || full || lingered || memoryPaused || shortOfMemory || flushNow else {
            if let start = lingerStart, !parked { fx.deadline(start + s.linger) }
            return
        }
        let unackedBytes = appendedTotal - ackedTotal
        if unackedBytes > 0 && unackedBytes + bytes > env.global.maxUncommittedBytes { return }  // resumes on commit ack
        let lingerBefore = lingerStart
        let batch = pending.takeFirst(k)
        lingerStart = pending.isEmpty ? nil : now.monotonic
        if pending.isEmpty { flushNow = false }
        let payload = s.compression == .none
            ? AppendPayload(slices: batch.liveSlices) : AppendPayload(AppendCompression.compress(batch.joinedBytes(), s.compression))
        if let seg = segment, seg.position > 0, seg.position + payload.count > s.maxObjectBytes {
            rollOver(.size, env, now, &fx)
            if closing != nil {
                // The batch opens the next segment once the close commit is acknowledged.
                pending.prepend(batch)
                lingerStart = lingerBefore
                return
            }
        }
        if segment == nil {
            guard openSegment(firstOffset: batch.offsets[0], time: batch.times[0], env, now, &fx) else { return }
        }
        issueAppend(batch: batch, payload: payload, env, &fx)
    }

    /// Closes the open segment; the next batch opens a new key. A rollover by size, age or time bucket finishes
    /// the segment (close commit, seal, tags: ``finish(_:_:_:)``).
    mutating func rollOver(_ reason: RolloverReason, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let seg = segment else { return }
        fx.notice(.rolledOver(tp, fromKey: seg.key, reason: reason))
        avoid(seg.key)
        segment = nil
        switch reason {
        case .size, .age, .timeBucket: finish(seg, env, now, &fx)
        default: break
        }
    }

    /// Opens a new segment whose key comes from its first record; adds `~N` when the key must be avoided.
    mutating func openSegment(firstOffset: Int64, time: Int64, _ env: SinkEnvironment, _ now: SinkInstant,
                              _ fx: inout Effects) -> Bool {
        let local = topic.buckets.localTime(time)
        let s = topic.settings
        var suffix = 0
        func key(_ suffix: Int) -> String {
            s.keyTemplate.render(prefix: s.keyPrefix, topic: tp.topic, partition: tp.partition,
                                 offset: firstOffset, time: local, ext: topic.ext, suffix: suffix)
        }
        var k = key(0)
        while avoidKeys.contains(k) {
            suffix += 1
            k = key(suffix)
        }
        if suffix > 0 { fx.notice(.keyTaken(tp, key: key(0), suffix: suffix)) }
        guard k.utf8.count <= 1023 else {
            fx.actions.append(.fail(SinkFailure(topicPartition: tp,
                message: "the key template renders a \(k.utf8.count)-byte key, longer than OSS's 1023-byte limit: shorten key_template or the prefix")))
            return false
        }
        segment = Segment(key: k, baseOffset: firstOffset, suffix: suffix, position: 0, crc: 0,
                          openedAt: now.monotonic, bucketEnd: topic.buckets.bucketEnd(time), firstOffset: firstOffset,
                          records: 0, openedAtMs: now.wallClockMs)
        fx.notice(.segmentOpened(tp, key: k, firstOffset: firstOffset))
        return true
    }

    mutating func issueAppend(batch: RenderedRecords, payload: AppendPayload, _ env: SinkEnvironment, _ fx: inout Effects) {
        let seg = segment!
        let id = fx.newID()
        let f = InFlight(stage: .sent(id), batch: batch, payload: payload, key: seg.key, position: seg.position,
                         previousCRC: seg.crc, expectedCRC: payload.crc64(continuing: seg.crc), isCreate: seg.position == 0,
                         compressed: topic.settings.compression != .none)
        inFlight = f
        sendAppend(f, id, &fx)
    }

    func sendAppend(_ f: InFlight, _ id: RequestID, _ fx: inout Effects) {
        fx.actions.append(.append(AppendRequest(
            id: id, topicPartition: tp, key: f.key, position: f.position, payload: f.payload,
            previousCRC64: f.previousCRC, expectedCRC64: f.expectedCRC, isCreate: f.isCreate, firstOffset: f.firstOffset,
            lastOffset: f.lastOffset, recordCount: f.batch.count)))
    }

    /// Re-sends the in-flight bytes to a fresh segment at position 0 (ObjectNotAppendable, integrity error,
    /// taken key).
    mutating func resendToNewSegment(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let f = inFlight else { return }
        inFlight = nil
        if let seg = segment { avoid(seg.key) }
        segment = nil
        guard openSegment(firstOffset: f.firstOffset, time: f.batch.times[f.batch.head], env, now, &fx) else { return }
        issueAppend(batch: f.batch, payload: f.payload, env, &fx)
    }

    // MARK: Append outcomes (docs/architecture.md, "Append outcomes")

    mutating func appendCompleted(_ id: RequestID, _ outcome: AppendOutcome, _ env: SinkEnvironment,
                                  _ now: SinkInstant, _ fx: inout Effects) {
        guard var f = inFlight, case .sent(let sent) = f.stage, sent == id else { return }
        if case .revoking = phase {
            if case .success(let next, let crc) = outcome, next == f.position + f.payload.count,
               crc.map({ $0 == f.expectedCRC }) ?? true {
                applySuccess(crc: crc ?? f.expectedCRC, emitCommit: false, &fx)
            }
            release(&fx)
            return
        }
        switch outcome {
        case .success(let next, let crc):
            fx.ossReachable = true
            if next == f.position + f.payload.count, crc.map({ $0 == f.expectedCRC }) ?? true {
                applySuccess(crc: crc ?? f.expectedCRC, &fx)
                maybeFlush(env, now, &fx)
            } else {
                fx.notice(.integrityError(tp, key: f.key, expectedPosition: f.position + f.payload.count,
                                          actualPosition: next, expectedCRC64: f.expectedCRC, actualCRC64: crc))
                rollOver(.integrity, env, now, &fx)
                resendToNewSegment(env, now, &fx)
            }
        case .positionNotEqualToLength(let next):
            fx.ossReachable = true
            if let next, next != f.position + f.payload.count, !f.isCreate {
                fence(env, now, &fx)
            } else {
                let hid = fx.newID()
                f.stage = .verifying(hid)
                inFlight = f
                fx.actions.append(.head(HeadRequest(id: hid, topicPartition: tp, key: f.key)))
            }
        case .objectNotAppendable:
            fx.ossReachable = true
            if !f.isCreate { rollOver(.objectNotAppendable, env, now, &fx) }
            resendToNewSegment(env, now, &fx)
        case .objectSealed:
            fx.ossReachable = true
            if f.isCreate {
                // A sealed object holds the new key: prove whether it holds these records (HEAD, then the tail).
                let hid = fx.newID()
                f.stage = .verifying(hid)
                inFlight = f
                fx.actions.append(.head(HeadRequest(id: hid, topicPartition: tp, key: f.key)))
            } else {
                // The partition's current owner finished this segment: this writer is stale.
                fence(env, now, &fx)
            }
        case .transientFailure(let reason):
            scheduleInFlightRetry(verify: false, delay: nil, reason: reason, env, now, &fx)
        case .configurationError(let reason):
            fx.configError = reason
            scheduleInFlightRetry(verify: false, delay: env.global.configErrorRetryInterval, reason: reason, env, now, &fx)
        }
    }

    mutating func scheduleInFlightRetry(verify: Bool, delay: Duration?, reason: String, _ env: SinkEnvironment,
                                        _ now: SinkInstant, _ fx: inout Effects) {
        guard var f = inFlight else { return }
        f.attempt += 1
        let wait = delay ?? env.backoff(attempt: f.attempt)
        f.stage = .waitingRetry(at: now.monotonic + wait, verify: verify)
        inFlight = f
        fx.deadline(now.monotonic + wait)
        fx.notice(.retryScheduled(tp, attempt: f.attempt, delay: wait, reason: reason))
    }

    /// HEAD after a 409 `PositionNotEqualToLength`.
    mutating func verifyCompleted(_ id: RequestID, _ outcome: HeadOutcome, _ env: SinkEnvironment,
                                  _ now: SinkInstant, _ fx: inout Effects) {
        guard let f = inFlight, case .verifying(let hid) = f.stage, hid == id else { return }
        let landed: Bool
        if case .found(let info) = outcome {
            landed = info.appendable && info.length == f.position + f.payload.count
                && (info.crc64.map { $0 == f.expectedCRC } ?? true)
        } else {
            landed = false
        }
        if case .revoking = phase {
            if landed, case .found(let info) = outcome {
                applySuccess(crc: info.crc64 ?? f.expectedCRC, emitCommit: false, &fx)
            }
            release(&fx)
            return
        }
        switch outcome {
        case .found(let info):
            fx.ossReachable = true
            if landed {
                // An earlier try landed and its response was lost: success.
                applySuccess(crc: info.crc64 ?? f.expectedCRC, &fx)
                maybeFlush(env, now, &fx)
            } else if f.isCreate {
                if info.appendable && info.length > 0 && info.length <= tailLimit(env) {
                    startTakenKeyRecovery(info, env, now, &fx)
                } else if info.appendable && info.length == 0 && !info.sealed {
                    resendSameAppend(&fx)
                } else {
                    // Not appendable, or far longer than anything we can have left: someone else's object.
                    resendToNewSegment(env, now, &fx)
                }
            } else {
                fence(env, now, &fx)
            }
        case .notFound:
            fx.ossReachable = true
            if f.isCreate { resendSameAppend(&fx) } else { fence(env, now, &fx) }
        case .transientFailure(let reason):
            scheduleInFlightRetry(verify: true, delay: nil, reason: reason, env, now, &fx)
        case .configurationError(let reason):
            fx.configError = reason
            scheduleInFlightRetry(verify: true, delay: env.global.configErrorRetryInterval, reason: reason, env, now, &fx)
        }
    }

    mutating func resendSameAppend(_ fx: inout Effects) {
        guard var f = inFlight else { return }
        let id = fx.newID()
        f.stage = .sent(id)
        inFlight = f
        sendAppend(f, id, &fx)
    }

    /// The append holding `inFlight` is in the object: advance the segment and commit after its last record.
    /// `emitCommit: false` when ``release(_:)`` follows and commits (revoke).
    mutating func applySuccess(crc: UInt64, emitCommit: Bool = true, _ fx: inout Effects) {
        guard let f = inFlight, var seg = segment else { return }
        inFlight = nil
        seg.position = f.position + f.payload.count
        seg.crc = crc
        seg.records = seg.records.map { $0 + f.batch.count }
        segment = seg
        appendedTotal += f.payload.count
        let point = CommitPoint(offset: f.lastOffset + 1, metadata: segmentMetadata(seg))
        unacked.append((point.offset, appendedTotal))
        if emitCommit { requestCommit(point, &fx) } else { commitPoint = point }
    }

    mutating func requestCommit(_ point: CommitPoint, _ fx: inout Effects) {
        let (metadata, finishingIncluded) = point.metadata.encode()
        noteUncommittedFinishing(point.metadata, included: finishingIncluded, &fx)
        commitPoint = point
        fx.actions.append(.commit(CommitRequest(topicPartition: tp, offset: point.offset, metadata: metadata)))
    }

    /// Another writer owns the object: stop writing, drop everything, seek back and recover from the commit.
    mutating func fence(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        let key = inFlight?.key ?? segment?.key ?? ""
        let fallbackOffset = inFlight?.firstOffset ?? pending.firstOffset
        inFlight = nil
        pending.removeAll()
        lingerStart = nil
        segment = nil
        if let cp = commitPoint {
            fx.notice(.fenced(tp, key: key, committedOffset: cp.offset))
            fx.actions.append(.seek(tp, offset: cp.offset))
            guardSeek(to: cp.offset, env, now, &fx)
            expectFirstOffset = cp.offset
            startRecovery(kind: .fenced, metadata: cp.metadata, env, now, &fx)
        } else if let offset = fallbackOffset {
            fx.notice(.fenced(tp, key: key, committedOffset: offset))
            fx.actions.append(.seek(tp, offset: offset))
            guardSeek(to: offset, env, now, &fx)
            avoid(key)
        }
    }

    /// Records already fetched beyond what was delivered may still arrive after a seek back; drop them.
    mutating func guardSeek(to offset: Int64, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        if let seen = nextOffset, seen > offset {
            let expires = now.monotonic + env.global.revokeTimeout
            seekGuard = (offset, seen, expires)
            fx.deadline(expires)
        }
        nextOffset = offset
    }

    // MARK: Commits

    mutating func commitCompleted(offset: Int64, _ outcome: CommitOutcome, _ env: SinkEnvironment,
                                  _ now: SinkInstant, _ fx: inout Effects) {
        switch outcome {
        case .success:
            if ackedOffset.map({ offset > $0 }) ?? true { ackedOffset = offset }
            if let kept = uncommittedSince.firstIndex(where: { $0.lastOffset >= offset }) {
                uncommittedSince.removeFirst(kept)
            } else {
                uncommittedSince.removeAll()
            }
            while let first = unacked.first, first.offset <= offset {
                ackedTotal = first.total
                unacked.removeFirst()
            }
            closeAcknowledged(offset: offset, env, now, &fx)
            if case .writing = phase { maybeFlush(env, now, &fx) }
        case .failure(let reason):
            fx.notice(.commitFailed(tp, offset: offset, reason: reason))
            if let cp = commitPoint, cp.offset == offset, commitRetryAt == nil {
                let at = now.monotonic + env.global.retryInitialBackoff
                commitRetryAt = at
                fx.deadline(at)
            }
        }
    }

    // MARK: Revoke, timers

    /// Revoke: drop the buffer; wait (bounded) for an in-flight append, then commit and release.
    mutating func revoke(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        pending.removeAll()
        lingerStart = nil
        if case .writing = phase, let f = inFlight {
            switch f.stage {
            case .sent, .verifying:
                let deadline = now.monotonic + env.global.revokeTimeout
                phase = .revoking(deadline: deadline)
                fx.deadline(deadline)
                return
            case .waitingRetry:
                break
            }
        }
        release(&fx)
    }

    /// Commits the latest commit point if it is not acknowledged yet, then releases the partition.
    mutating func release(_ fx: inout Effects) {
        inFlight = nil
        pending.removeAll()
        if let cp = commitPoint, commitUnacknowledged {
            fx.actions.append(.commit(CommitRequest(topicPartition: tp, offset: cp.offset, metadata: cp.metadata.encoded)))
        }
        fx.actions.append(.released(tp))
        fx.release = true
    }

    mutating func timerFired(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        let t = now.monotonic
        if let g = seekGuard, g.expires <= t {
            // No record from the new position came: seek again (anything fetched before is long delivered).
            seekGuard = nil
            nextOffset = g.target
            fx.actions.append(.seek(tp, offset: g.target))
        }
        if let at = commitRetryAt, at <= t {
            commitRetryAt = nil
            if let cp = commitPoint, commitUnacknowledged { requestCommit(cp, &fx) }
        }
        if var c = closing, let at = c.resendAt, at <= t {
            // No answer to the close commit, or to the commit it waits for: send that again.
            c.resendAt = t + env.global.revokeTimeout
            closing = c
            if c.sent {
                requestCommit(c.point, &fx)
            } else if let cp = commitPoint {
                requestCommit(cp, &fx)
            }
            fx.deadline(t + env.global.revokeTimeout)
        }
        finishingTimerFired(env, now, &fx)
        switch phase {
        case .revoking(let deadline):
            if deadline <= t { release(&fx) }
        case .recovering(let r):
            if case .waitingRetry(let at, let info) = r.step, at <= t { resendRecoveryRequest(r, info, env, &fx) }
        case .writing:
            if let f = inFlight, case .waitingRetry(let at, let verify) = f.stage {
                guard at <= t else { return }
                if verify {
                    var g = f
                    let hid = fx.newID()
                    g.stage = .verifying(hid)
                    inFlight = g
                    fx.actions.append(.head(HeadRequest(id: hid, topicPartition: tp, key: g.key)))
                } else {
                    resendSameAppend(&fx)
                }
            } else {
                maybeFlush(env, now, &fx)
            }
        }
    }
}
