import Foundation
import OSSChecksum

extension PartitionState {
    // MARK: Starting recovery (docs/architecture.md, "Recovery")

    /// Assignment: decide from the committed offset and metadata where writing resumes.
    mutating func assigned(committed: CommittedOffset?, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let committed else {
            fx.notice(.recovered(tp, outcome: .noCommit, key: nil))
            phase = .writing
            return
        }
        nextOffset = committed.offset
        expectFirstOffset = committed.offset
        ackedOffset = committed.offset
        guard let metadata = CommitMetadata.parse(committed.metadata) else {
            fx.notice(.recovered(tp, outcome: .noMetadata, key: nil))
            phase = .writing
            return
        }
        commitPoint = CommitPoint(offset: committed.offset, metadata: metadata)
        resumeFinishing(metadata.finishing, env, now, &fx)
        startRecovery(kind: .assignment, metadata: metadata, env, now, &fx)
    }

    mutating func startRecovery(kind: Recovery.Kind, metadata: CommitMetadata, _ env: SinkEnvironment,
                                _ now: SinkInstant, _ fx: inout Effects) {
        if metadata.closed, let cp = commitPoint {
            // The committed segment was finished: nothing is appended to it again; the next segment starts at the
            // committed offset, and the segment itself is sealed and tagged (again: both are idempotent).
            fx.notice(.recovered(tp, outcome: .finished, key: metadata.key))
            avoid(metadata.key)
            segment = nil
            phase = .writing
            resumeFinishing([describe(metadata, lastOffset: cp.offset - 1, env)], env, now, &fx)
            maybeFlush(env, now, &fx)
            return
        }
        let id = fx.newID()
        phase = .recovering(Recovery(kind: kind, key: metadata.key, basePosition: metadata.position,
                                     baseCRC: metadata.crc64, base: metadata, intended: nil, step: .head(id)))
        fx.actions.append(.head(HeadRequest(id: id, topicPartition: tp, key: metadata.key)))
    }

    /// The committed segment `metadata` names, ending at `lastOffset`. Its first offset comes from version-2
    /// metadata or else from the key; its record count only from version-2 metadata.
    func describe(_ metadata: CommitMetadata, lastOffset: Int64, _ env: SinkEnvironment) -> SegmentDescription {
        SegmentDescription(key: metadata.key, length: metadata.position, crc64: metadata.crc64,
                           firstOffset: metadata.firstOffset ?? keyOffset(metadata.key, env), lastOffset: lastOffset,
                           recordCount: metadata.recordCount)
    }

    func keyOffset(_ key: String, _ env: SinkEnvironment) -> Int64? {
        topic.settings.keyTemplate.offset(ofKey: key, prefix: topic.settings.keyPrefix, topic: tp.topic,
                                          partition: tp.partition, ext: topic.ext)
    }

    /// A new segment's first append met an existing appendable object: its content may be our own uncommitted
    /// tail from an earlier run. Put the batch back and prove the object from position 0.
    mutating func startTakenKeyRecovery(_ info: ObjectInfo, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard let f = inFlight else { return }
        inFlight = nil
        pending.prepend(f.batch)
        let id = fx.newID()
        phase = .recovering(Recovery(kind: .takenKey, key: f.key, basePosition: 0, baseCRC: 0, base: nil,
                                     intended: segment, step: .range(id, info)))
        fx.actions.append(.getRange(RangeRequest(id: id, topicPartition: tp, key: f.key,
                                                 range: tailRange(from: 0, info, env))))
    }

    /// The bytes to read after `start`: the whole tail, but never more than an earlier writer with the same settings
    /// can have left uncommitted (`maxUncommittedBytes` plus two batches). A longer tail cannot be ours entirely; its
    /// prefix still tells which records are archived.
    func tailRange(from start: Int, _ info: ObjectInfo, _ env: SinkEnvironment) -> Range<Int> {
        start..<min(info.length, start + tailLimit(env))
    }

    func tailLimit(_ env: SinkEnvironment) -> Int {
        env.global.maxUncommittedBytes + 2 * topic.settings.batchMaxBytes + (1 << 20)
    }

    mutating func resendRecoveryRequest(_ r: Recovery, _ info: ObjectInfo?, _ env: SinkEnvironment, _ fx: inout Effects) {
        var r = r
        let id = fx.newID()
        if let info {
            r.step = .range(id, info)
            fx.actions.append(.getRange(RangeRequest(id: id, topicPartition: tp, key: r.key,
                                                     range: tailRange(from: r.basePosition, info, env))))
        } else {
            r.step = .head(id)
            fx.actions.append(.head(HeadRequest(id: id, topicPartition: tp, key: r.key)))
        }
        phase = .recovering(r)
    }

    mutating func scheduleRecoveryRetry(_ r: Recovery, info: ObjectInfo?, delay: Duration?, reason: String,
                                        _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        var r = r
        r.attempt += 1
        let wait = delay ?? env.backoff(attempt: r.attempt)
        r.step = .waitingRetry(at: now.monotonic + wait, info: info)
        phase = .recovering(r)
        fx.deadline(now.monotonic + wait)
        fx.notice(.retryScheduled(tp, attempt: r.attempt, delay: wait, reason: reason))
    }

    // MARK: HEAD and GET results

    mutating func headCompleted(_ id: RequestID, _ outcome: HeadOutcome, _ env: SinkEnvironment,
                                _ now: SinkInstant, _ fx: inout Effects) {
        if case .recovering(let r) = phase, case .head(let hid) = r.step, hid == id {
            recoveryHead(r, outcome, env, now, &fx)
        } else {
            verifyCompleted(id, outcome, env, now, &fx)
        }
    }

    mutating func recoveryHead(_ r: Recovery, _ outcome: HeadOutcome, _ env: SinkEnvironment,
                               _ now: SinkInstant, _ fx: inout Effects) {
        switch outcome {
        case .notFound:
            fx.ossReachable = true
            abandonSegment(r, .missing, .recoveryFailed, env, now, &fx)
        case .found(let info):
            fx.ossReachable = true
            if !info.appendable {
                abandonSegment(r, .notAppendable, .recoveryFailed, env, now, &fx)
            } else if info.length < r.basePosition {
                abandonSegment(r, .shorter, .recoveryFailed, env, now, &fx)
            } else if info.length == r.basePosition {
                if info.crc64.map({ $0 == r.baseCRC }) ?? true {
                    adopt(r, info, outcome: .clean, matched: 0, env, now, &fx)
                } else {
                    abandonSegment(r, .crcMismatch, .recoveryFailed, env, now, &fx)
                }
            } else {
                var r = r
                let id = fx.newID()
                r.step = .range(id, info)
                r.attempt = 0
                phase = .recovering(r)
                fx.actions.append(.getRange(RangeRequest(id: id, topicPartition: tp, key: r.key,
                                                         range: tailRange(from: r.basePosition, info, env))))
            }
        case .transientFailure(let reason):
            scheduleRecoveryRetry(r, info: nil, delay: nil, reason: reason, env, now, &fx)
        case .configurationError(let reason):
            fx.configError = reason
            scheduleRecoveryRetry(r, info: nil, delay: env.global.configErrorRetryInterval, reason: reason, env, now, &fx)
        }
    }

    mutating func rangeCompleted(_ id: RequestID, _ outcome: RangeOutcome, _ env: SinkEnvironment,
                                 _ now: SinkInstant, _ fx: inout Effects) {
        guard case .recovering(let r) = phase, case .range(let rid, let info) = r.step, rid == id else { return }
        switch outcome {
        case .success(let raw):
            fx.ossReachable = true
            let requested = tailRange(from: r.basePosition, info, env)
            let whole = requested.upperBound == info.length
            let intact = raw.count == requested.count
                && (!whole || (info.crc64.map { CRC64.update(r.baseCRC, raw) == $0 } ?? true))
            var proof: Proof
            // The object's CRC after the tail: OSS's value, or (when absent) computed from the bytes read.
            var full = info
            if whole { full.crc64 = info.crc64 ?? CRC64.update(r.baseCRC, raw) }
            if !intact {
                // The object before our position changed, or the bytes are not the range we asked for.
                proof = Proof(info: full, tail: [], decodeFailed: true)
            } else {
                do {
                    proof = Proof(info: full, tail: try AppendCompression.decompress(raw, topic.settings.compression),
                                  decodeFailed: !whole)
                } catch {
                    proof = Proof(info: full, tail: error.decoded, decodeFailed: true)
                }
            }
            var next = r
            next.step = .proving(proof)
            phase = .recovering(next)
            advanceProof(env, now, &fx)
        case .unavailable:
            fx.ossReachable = true
            abandonSegment(r, .missing, .recoveryFailed, env, now, &fx)
        case .transientFailure(let reason):
            scheduleRecoveryRetry(r, info: info, delay: nil, reason: reason, env, now, &fx)
        case .configurationError(let reason):
            fx.configError = reason
            scheduleRecoveryRetry(r, info: info, delay: env.global.configErrorRetryInterval, reason: reason, env, now, &fx)
        }
    }

    // MARK: Tail proof

    /// Compares the tail with the records at the front of `pending`, record by record; finishes when the tail is
    /// used up exactly (proven) or a record differs (mismatch); otherwise waits for more records.
    mutating func advanceProof(_ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        guard case .recovering(var r) = phase, case .proving(var proof) = r.step else { return }
        var mismatch = false
        proof.tail.withUnsafeBufferPointer { tail in
            while proof.cursor < tail.count && proof.matched < pending.count {
                let same = pending.withBytes(ofRecord: proof.matched) { record in
                    proof.cursor + record.count <= tail.count
                        && (record.isEmpty || memcmp(record.baseAddress!, tail.baseAddress! + proof.cursor, record.count) == 0)
                }
                guard same else {
                    mismatch = true
                    return
                }
                proof.cursor += pending.range(proof.matched).count
                proof.matched += 1
            }
        }
        if mismatch || (proof.cursor == proof.tail.count && proof.decodeFailed) {
            tailMismatch(r, proof, env, now, &fx)
        } else if proof.cursor == proof.tail.count {
            tailProven(r, proof, env, now, &fx)
        } else {
            r.step = .proving(proof)
            phase = .recovering(r)
        }
    }

    mutating func tailProven(_ r: Recovery, _ proof: Proof, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        let lastMatched = proof.matched > 0 ? pending.offset(proof.matched - 1) : nil
        let firstTime = proof.matched > 0 ? pending.time(0) : nil
        pending.dropFirst(proof.matched)
        if pending.isEmpty { lingerStart = nil }
        // The object as it is now, described for the commit (also when it is sealed and not adopted).
        let proven = recoveredSegment(r, proof.info, matched: proof.matched, env, now, bucketTime: firstTime)
        adopt(r, proof.info, outcome: .tailProven, matched: proof.matched, env, now, &fx, bucketTime: firstTime)
        if let lastMatched {
            requestCommit(CommitPoint(offset: lastMatched + 1, metadata: segmentMetadata(proven)), &fx)
            // These bytes were appended before this commit; count them against the uncommitted bound.
            appendedTotal += proof.info.length - r.basePosition
            unacked.append((lastMatched + 1, appendedTotal))
        }
        maybeFlush(env, now, &fx)
    }

    mutating func tailMismatch(_ r: Recovery, _ proof: Proof, _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        if r.kind == .takenKey {
            // Not (all) ours: keep every record and write them under `~N`.
            phase = .writing
            segment = nil
            avoid(r.key)
            fx.notice(.rolledOver(tp, fromKey: r.key, reason: .keyTaken))
            maybeFlush(env, now, &fx)
            return
        }
        // Records that matched are archived in the old object; the rest start a new segment.
        pending.dropFirst(proof.matched)
        if pending.isEmpty { lingerStart = nil }
        abandonSegment(r, .tailMismatch, .recoveryMismatch, env, now, &fx)
    }

    /// Resume appending to the recovered object at its current length; `matched` records of `pending` were
    /// proven to be its tail (and are committed already).
    ///
    /// A sealed object is never appended to: the next segment starts after what it holds. When it is sealed at
    /// exactly the committed length it is this partition's finished segment, and it is tagged (again).
    mutating func adopt(_ r: Recovery, _ info: ObjectInfo, outcome: RecoveryOutcome, matched: Int, _ env: SinkEnvironment,
                        _ now: SinkInstant, _ fx: inout Effects, bucketTime: Int64? = nil) {
        if info.sealed {
            phase = .writing
            segment = nil
            avoid(r.key)
            fx.notice(.recovered(tp, outcome: outcome == .clean ? .sealed : outcome, key: r.key))
            fx.notice(.rolledOver(tp, fromKey: r.key, reason: .sealed))
            if outcome == .clean, let base = r.base, let cp = commitPoint {
                resumeFinishing([describe(base, lastOffset: cp.offset - 1, env)], env, now, &fx)
            }
            if outcome == .clean { maybeFlush(env, now, &fx) }
            return
        }
        segment = recoveredSegment(r, info, matched: matched, env, now, bucketTime: bucketTime)
        phase = .writing
        fx.notice(.recovered(tp, outcome: outcome, key: r.key))
        if outcome == .clean { maybeFlush(env, now, &fx) }
    }

    /// The recovered object as a segment at its current length, with `matched` proven records added to the count.
    /// An adopted segment keeps the age its commit recorded (`t=`).
    func recoveredSegment(_ r: Recovery, _ info: ObjectInfo, matched: Int, _ env: SinkEnvironment, _ now: SinkInstant,
                          bucketTime: Int64?) -> Segment {
        let crc = info.crc64 ?? r.baseCRC
        if var seg = r.intended, r.kind == .takenKey {
            seg.position = info.length
            seg.crc = crc
            seg.records = seg.records.map { $0 + matched }
            return seg
        }
        let base = r.base
        let openedAtMs = base?.openedAtMs ?? now.wallClockMs
        return Segment(key: r.key, baseOffset: nil, suffix: 0, position: info.length, crc: crc,
                       openedAt: now.monotonic - .milliseconds(max(0, now.wallClockMs - openedAtMs)),
                       bucketEnd: bucketTime.map { topic.buckets.bucketEnd($0) },
                       firstOffset: base?.firstOffset ?? keyOffset(r.key, env),
                       records: base?.recordCount.map { $0 + matched }, openedAtMs: openedAtMs)
    }

    /// The object cannot be continued: new segment from the first record not proven archived.
    mutating func abandonSegment(_ r: Recovery, _ outcome: RecoveryOutcome, _ reason: RolloverReason,
                                 _ env: SinkEnvironment, _ now: SinkInstant, _ fx: inout Effects) {
        if r.kind == .takenKey {
            tailMismatch(r, Proof(info: ObjectInfo(length: 0, crc64: nil, appendable: false), tail: [], decodeFailed: true), env, now, &fx)
            return
        }
        fx.notice(.recovered(tp, outcome: outcome, key: r.key))
        fx.notice(.rolledOver(tp, fromKey: r.key, reason: reason))
        avoid(r.key)
        segment = nil
        phase = .writing
        maybeFlush(env, now, &fx)
    }
}
