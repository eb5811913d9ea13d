import Foundation
import OSSChecksum
@testable import SinkCore
import Testing

/// docs/architecture.md, "Finished segments": a segment that rolls over is closed by a commit, then sealed (when
/// sealing is on) and tagged; one test per row of the seal and tag outcome tables, plus restarts.
@Suite struct FinishingTests {
    static func settings(seal: Bool = true) -> SinkSettings {
        testSettings { $0.batchMaxRecords = 1; $0.batchMaxBytes = 300; $0.maxObjectBytes = 400; $0.sealOnRollover = seal }
    }

    /// Segment 0 holds record 0 (committed 1) and rolled over by size; its close commit is acknowledged, so
    /// record 1 went to segment 1 (`next`, in flight) and segment 0's first finishing request went out.
    struct Rolled {
        var h: Harness
        var first: AppendRequest
        var close: CommitRequest
        var next: AppendRequest
        /// The output of the close commit's acknowledgement.
        var out: [SinkAction]
        var segment: SegmentDescription {
            SegmentDescription(key: first.key, length: first.bytes.count, crc64: first.expectedCRC64, firstOffset: 0,
                               lastOffset: 0, recordCount: 1)
        }
    }

    func rolled(seal: Bool = true) throws -> Rolled {
        var h = Harness(Self.settings(seal: seal))
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let first = try #require(h.send(.records(records(tp0, 0...1, size: 100))).appends.first)
        let done = h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        #expect(done.rollovers == [.size])
        #expect(done.commits.map(\.offset) == [1])
        #expect(done.appends.isEmpty && done.seals.isEmpty && done.tags.isEmpty)
        // The close commit waits for the commit before it (same offset), then goes out.
        let acked = h.send(.commitCompleted(tp0, offset: 1, .success))
        let close = try #require(acked.commits.first)
        #expect(acked.appends.isEmpty)
        let out = h.send(.commitCompleted(tp0, offset: 1, .success))
        let next = try #require(out.appends.first)
        #expect(next.isCreate && next.key.hasSuffix("+00000000000000000001.jsonl"))
        return Rolled(h: h, first: first, close: close, next: next, out: out)
    }

    @Test func theCloseCommitNamesTheSegmentFinished() throws {
        let r = try rolled()
        let metadata = try #require(CommitMetadata.parse(r.close.metadata))
        #expect(r.close.offset == 1)
        #expect(metadata == CommitMetadata(key: r.first.key, position: r.first.bytes.count, crc64: r.first.expectedCRC64,
                                           firstOffset: 0, recordCount: 1, openedAtMs: baseTime, closed: true))
    }

    @Test func sealAtTheCommittedLengthThenTagsWhileTheNextSegmentIsWritten() throws {
        var r = try rolled()
        let seal = try #require(r.out.seals.first)
        #expect(seal.key == r.first.key && seal.position == r.first.bytes.count)
        #expect(r.h.sink.finishingSegments == 1)
        // The next segment's commit lists the finished segment until it is done.
        let committed = r.h.send(.appendCompleted(r.next.id, .success(nextPosition: r.next.bytes.count, crc64: r.next.expectedCRC64)))
        let commit = try #require(committed.commits.first)
        #expect(CommitMetadata.parse(commit.metadata)?.finishing == [r.segment])
        let sealed = r.h.send(.sealCompleted(seal.id, .sealed))
        let tag = try #require(sealed.tags.first)
        #expect(tag.segment == r.segment)
        #expect(tag.tags == [
            SegmentTag("segment.first-offset", "0"), SegmentTag("segment.last-offset", "0"), SegmentTag("segment.records", "1"),
            SegmentTag("segment.crc64", String(r.first.expectedCRC64)), SegmentTag("segment.format", "jsonl"),
            SegmentTag("segment.sealed", "true"),
        ])
        let tagged = r.h.send(.tagCompleted(tag.id, .success))
        #expect(tagged.notices == [.segmentFinished(tp0, segment: r.segment, outcome: .sealed, reason: nil)])
        #expect(r.h.sink.finishingSegments == 0)
        r.h.send(.commitCompleted(tp0, offset: 2, .success))
        let later = try #require(r.h.send(.records([record(tp0, 2, value: "x")])).appends.first)
        let laterCommit = try #require(r.h.send(.appendCompleted(later.id, .success(nextPosition: later.position + later.bytes.count,
                                                                                    crc64: later.expectedCRC64))).commits.first)
        #expect(CommitMetadata.parse(laterCommit.metadata)?.finishing == [])
    }

    @Test func withSealingOffTheSegmentIsTaggedOnly() throws {
        var r = try rolled(seal: false)
        #expect(r.out.seals.isEmpty)
        let tag = try #require(r.out.tags.first)
        #expect(tag.tags.last == SegmentTag("segment.sealed", "false"))
        #expect(r.h.send(.tagCompleted(tag.id, .success)).finished.map(\.1) == [.tagged])
    }

    @Test func aTransientSealFailureIsRetriedWithoutHoldingUpTheNextSegment() throws {
        var r = try rolled()
        let seal = try #require(r.out.seals.first)
        let failed = r.h.send(.sealCompleted(seal.id, .transientFailure("HTTP 503 ServiceUnavailable")))
        #expect(failed.notices.contains(.retryScheduled(tp0, attempt: 1, delay: .milliseconds(200), reason: "HTTP 503 ServiceUnavailable")))
        #expect(failed.healths.isEmpty && failed.pauses.isEmpty)
        // Appends go on meanwhile.
        r.h.send(.appendCompleted(r.next.id, .success(nextPosition: r.next.bytes.count, crc64: r.next.expectedCRC64)))
        r.h.send(.commitCompleted(tp0, offset: 2, .success))
        #expect(r.h.send(.records([record(tp0, 2, value: "x")])).appends.count == 1)
        r.h.advance(.milliseconds(200))
        let again = try #require(r.h.send(.timerFired).seals.first)
        #expect(again.key == seal.key && again.position == seal.position && again.id != seal.id)
        #expect(r.h.send(.sealCompleted(again.id, .sealed)).tags.count == 1)
    }

    @Test func aConfigurationErrorOnSealIsRetriedSlowlyAndDoesNotPauseArchiving() throws {
        var r = try rolled()
        let seal = try #require(r.out.seals.first)
        let failed = r.h.send(.sealCompleted(seal.id, .configurationError("403 AccessDenied oss:SealAppendObject")))
        #expect(failed.healths.isEmpty && failed.pauses.isEmpty && r.h.sink.isHealthy)
        #expect(failed.notices.contains(.retryScheduled(tp0, attempt: 1, delay: .seconds(10), reason: "403 AccessDenied oss:SealAppendObject")))
        r.h.advance(.seconds(10))
        #expect(r.h.send(.timerFired).seals.count == 1)
    }

    @Test func sealNotEnabledIsReportedOnceAndTurnsSealingOff() throws {
        var r = try rolled()
        r.h.send(.assigned([PartitionAssignment(tp1, committed: nil)]))
        // Partition 1 rolls over too, so two seals are outstanding when OSS says it does not have the feature.
        let other = try #require(r.h.send(.records(records(tp1, 0...1, size: 100))).appends.first)
        r.h.acknowledgeCommits(r.h.send(.appendCompleted(other.id, .success(nextPosition: other.bytes.count, crc64: other.expectedCRC64))))
        let seals = r.h.log.seals
        #expect(seals.map(\.topicPartition) == [tp0, tp1])
        let refused = r.h.send(.sealCompleted(seals[0].id, .notEnabled("OperationNotSupported: SealAppendable is not supported.")))
        #expect(refused.notices.contains(.sealNotEnabled(tp0, key: seals[0].key, reason: "OperationNotSupported: SealAppendable is not supported.")))
        #expect(!r.h.sink.sealing)
        #expect(refused.tags.first?.tags.last == SegmentTag("segment.sealed", "false"))
        let second = r.h.send(.sealCompleted(seals[1].id, .notEnabled("OperationNotSupported: SealAppendable is not supported.")))
        #expect(!second.notices.contains { if case .sealNotEnabled = $0 { true } else { false } })
        #expect(second.tags.count == 1)
    }

    @Test(arguments: [
        (SealOutcome.positionMismatch(length: 999), FinishOutcome.refused),
        (.positionMismatch(length: nil), .refused),
        (.notAppendable, .refused),
        (.notFound, .missing),
    ])
    func aSegmentThatChangedIsNeitherSealedNorTagged(outcome: SealOutcome, expected: FinishOutcome) throws {
        var r = try rolled()
        let seal = try #require(r.out.seals.first)
        let out = r.h.send(.sealCompleted(seal.id, outcome))
        #expect(out.tags.isEmpty)
        #expect(out.finished.map(\.1) == [expected])
        #expect(r.h.sink.finishingSegments == 0)
        // Fencing signal only: the partition keeps writing its new segment.
        #expect(out.seeks.isEmpty)
    }

    @Test(arguments: [(TagOutcome.notFound, FinishOutcome.missing)])
    func tagOutcomes(outcome: TagOutcome, expected: FinishOutcome) throws {
        var r = try rolled(seal: false)
        let tag = try #require(r.out.tags.first)
        let failed = r.h.send(.tagCompleted(tag.id, .transientFailure("timeout")))
        #expect(failed.notices.contains(.retryScheduled(tp0, attempt: 1, delay: .milliseconds(200), reason: "timeout")))
        r.h.advance(.milliseconds(200))
        let again = try #require(r.h.send(.timerFired).tags.first)
        #expect(r.h.send(.tagCompleted(again.id, outcome)).finished.map(\.1) == [expected])
    }

    @Test func aFailedCloseCommitIsRetriedAndStillHoldsTheNextSegment() throws {
        var h = Harness(Self.settings())
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let first = try #require(h.send(.records(records(tp0, 0...1, size: 100))).appends.first)
        h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        let close = try #require(h.send(.commitCompleted(tp0, offset: 1, .success)).commits.first)
        let failed = h.send(.commitCompleted(tp0, offset: 1, .failure("REQUEST_TIMED_OUT")))
        #expect(failed.appends.isEmpty)
        h.advance(.milliseconds(200))
        let retried = try #require(h.send(.timerFired).commits.first)
        #expect(retried == close)
        #expect(h.send(.commitCompleted(tp0, offset: 1, .success)).appends.count == 1)
    }

    @Test func aRevokeWhileClosingCommitsTheClose() throws {
        var h = Harness(Self.settings())
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let first = try #require(h.send(.records(records(tp0, 0...1, size: 100))).appends.first)
        h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        let close = try #require(h.send(.commitCompleted(tp0, offset: 1, .success)).commits.first)
        let out = h.send(.revoked([tp0]))
        #expect(out.commits == [close] && out.released == [tp0])
    }

    @Test func shutdownWaitsForAnOutstandingSealButNotForARetry() throws {
        var r = try rolled()
        r.h.send(.appendCompleted(r.next.id, .success(nextPosition: r.next.bytes.count, crc64: r.next.expectedCRC64)))
        r.h.send(.commitCompleted(tp0, offset: 2, .success))
        #expect(!r.h.send(.shutdown).shutdownComplete)
        let seal = try #require(r.out.seals.first)
        let failed = r.h.send(.sealCompleted(seal.id, .transientFailure("timeout")))
        #expect(failed.shutdownComplete)
    }

    @Test func finishedSegmentsBeyondTheMetadataBoundAreReported() throws {
        var h = Harness(testSettings {
            $0.keyTemplate = try! KeyTemplate("{prefix}{topic}/{partition}/{offset:020}{ext}")
            $0.keyPrefix = String(repeating: "p", count: 600) + "/"
            $0.batchMaxRecords = 1; $0.batchMaxBytes = 300; $0.maxObjectBytes = 400; $0.sealOnRollover = true
        })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        // Every record fills a segment; every seal fails, so the finished segments pile up.
        var queue = h.send(.records(records(tp0, 0...9, size: 100)))
        var commits: [CommitRequest] = []
        while !queue.isEmpty {
            var next: [SinkAction] = []
            for action in queue {
                switch action {
                case .append(let a): next += h.send(.appendCompleted(a.id, .success(nextPosition: a.position + a.bytes.count, crc64: a.expectedCRC64)))
                case .commit(let c):
                    commits.append(c)
                    next += h.send(.commitCompleted(tp0, offset: c.offset, .success))
                case .seal(let r): next += h.send(.sealCompleted(r.id, .transientFailure("HTTP 503")))
                default: break
                }
            }
            queue = next
        }
        #expect(h.sink.finishingSegments == 9)
        #expect(commits.allSatisfy { $0.metadata.utf8.count <= CommitMetadata.maxEncodedBytes })
        let left = h.log.notices.compactMap { if case .finishingNotCommitted(_, let keys) = $0 { keys } else { nil } }
        let notCommitted = try #require(left.last)
        let metadata = try #require(CommitMetadata.parse(commits.last?.metadata))
        // The oldest ones stay in the metadata; the newest that do not fit are named.
        #expect(!metadata.finishing.isEmpty && !notCommitted.isEmpty)
        #expect(metadata.finishing.map(\.key) + notCommitted == h.sink.finishingSegments(tp0).map(\.key).filter { $0 != metadata.key })
    }

    // MARK: Restarts

    func closedMetadata(_ r: Rolled) throws -> CommitMetadata { try #require(CommitMetadata.parse(r.close.metadata)) }

    @Test func aRestartAfterTheCloseCommitStartsTheNextSegmentAndFinishesTheClosedOne() throws {
        let r = try rolled()
        var h = Harness(Self.settings())
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 1, metadata: r.close.metadata))]))
        #expect(out.recoveries == [.finished] && out.heads.isEmpty)
        let seal = try #require(out.seals.first)
        #expect(seal.key == r.first.key && seal.position == r.first.bytes.count)
        let a = try #require(h.send(.records(records(tp0, 1...1, size: 100))).appends.first)
        #expect(a.key == r.next.key && a.isCreate)
        let tag = try #require(h.send(.sealCompleted(seal.id, .sealed)).tags.first)
        #expect(tag.segment == r.segment)
    }

    @Test func aRestartFinishesTheSegmentsTheCommitListsAndRecoversTheOpenOne() throws {
        var r = try rolled()
        let commit = try #require(r.h.send(.appendCompleted(r.next.id, .success(nextPosition: r.next.bytes.count,
                                                                                crc64: r.next.expectedCRC64))).commits.first)
        var h = Harness(Self.settings())
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: commit.offset, metadata: commit.metadata))]))
        #expect(out.seals.map(\.key) == [r.first.key])
        #expect(out.heads.map(\.key) == [r.next.key])
        #expect(h.sink.finishingSegments(tp0) == [r.segment])
    }

    @Test func recoveryRollsOverAnObjectSealedAtTheCommittedLengthAndTagsIt() throws {
        var h = Harness(Self.settings())
        let bytes = rendered(records(tp0, 0...2), h.sink.settings)
        let key = "events/0/events+0+00000000000000000000.jsonl"
        let meta = CommitMetadata(key: key, position: bytes.count, crc64: CRC64.checksum(bytes), firstOffset: 0, recordCount: 3,
                                  openedAtMs: baseTime)
        let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))])).heads.first)
        let out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: bytes.count, crc64: meta.crc64, appendable: true, sealed: true))))
        #expect(out.recoveries == [.sealed] && out.rollovers == [.sealed])
        let seal = try #require(out.seals.first)
        #expect(seal.position == bytes.count)
        let tag = try #require(h.send(.sealCompleted(seal.id, .sealed)).tags.first)
        #expect(tag.segment == SegmentDescription(key: key, length: bytes.count, crc64: meta.crc64, firstOffset: 0, lastOffset: 2, recordCount: 3))
        let a = try #require(h.send(.records(records(tp0, 3...3))).appends.first)
        #expect(a.key.hasSuffix("+00000000000000000003.jsonl") && a.isCreate)
    }

    @Test func aSealedTailIsProvenAndCommittedButNeverAppendedTo() throws {
        var h = Harness(Self.settings())
        let committed = rendered(records(tp0, 0...2), h.sink.settings)
        let tail = rendered(records(tp0, 3...4), h.sink.settings)
        let key = "events/0/events+0+00000000000000000000.jsonl"
        let meta = CommitMetadata(key: key, position: committed.count, crc64: CRC64.checksum(committed), firstOffset: 0, recordCount: 3)
        let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))])).heads.first)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.checksum(committed + tail), appendable: true, sealed: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        h.send(.rangeCompleted(range.id, .success(tail)))
        let out = h.send(.records(records(tp0, 3...5)))
        #expect(out.recoveries == [.tailProven] && out.rollovers == [.sealed])
        #expect(out.seals.isEmpty && out.tags.isEmpty)
        let commit = try #require(out.commits.first)
        #expect(commit.offset == 5)
        #expect(CommitMetadata.parse(commit.metadata)?.place == CommitMetadata(key: key, position: info.length, crc64: info.crc64!))
        h.advance(.seconds(2))
        let a = try #require((out + h.acknowledgeCommits(out) + h.send(.timerFired)).appends.first)
        #expect(a.key.hasSuffix("+00000000000000000005.jsonl") && a.isCreate && a.firstOffset == 5)
    }

    @Test func anAppendRefusedBecauseTheObjectIsSealedFencesTheWriter() throws {
        var h = Harness(Self.settings())
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let first = try #require(h.send(.records([record(tp0, 0)])).appends.first)
        h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        h.send(.commitCompleted(tp0, offset: 1, .success))
        let second = try #require(h.send(.records([record(tp0, 1)])).appends.first)
        let out = h.send(.appendCompleted(second.id, .objectSealed))
        #expect(out.notices.contains(.fenced(tp0, key: first.key, committedOffset: 1)))
        #expect(out.seeks.map(\.1) == [1])
        #expect(out.heads.map(\.key) == [first.key])
    }

    @Test func aSealedObjectAtANewKeyIsProvenFromTheStart() throws {
        var h = Harness(Self.settings())
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records([record(tp0, 0)])).appends.first)
        let head = try #require(h.send(.appendCompleted(a.id, .objectSealed)).heads.first)
        #expect(head.key == a.key)
        // The object holds records 0 and 1 (a previous owner wrote and sealed it).
        let object = rendered([record(tp0, 0), record(tp0, 1)], h.sink.settings)
        let range = try #require(h.send(.headCompleted(head.id, .found(ObjectInfo(length: object.count, crc64: CRC64.checksum(object),
                                                                                 appendable: true, sealed: true)))).ranges.first)
        #expect(range.range == 0..<object.count)
        #expect(h.send(.rangeCompleted(range.id, .success(object))).recoveries.isEmpty)  // waits for record 1
        let out = h.send(.records([record(tp0, 1), record(tp0, 2)]))
        #expect(out.recoveries == [.tailProven] && out.rollovers == [.sealed])
        #expect(out.commits.map(\.offset) == [2] && out.seals.isEmpty)
        let next = try #require(out.appends.first)
        #expect(next.key.hasSuffix("+00000000000000000002.jsonl") && next.firstOffset == 2 && next.isCreate)
    }

    @Test func anAdoptedSegmentKeepsItsAgeAcrossARestart() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 1; $0.maxSegmentAge = .seconds(60) })
        let bytes = rendered([record(tp0, 0)], h.sink.settings)
        let key = "events/0/events+0+00000000000000000000.jsonl"
        // Opened 61 s before now: the first flush after the restart rolls it over.
        let meta = CommitMetadata(key: key, position: bytes.count, crc64: CRC64.checksum(bytes), firstOffset: 0, recordCount: 1,
                                  openedAtMs: h.wall - 61_000)
        let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 1, metadata: meta.encoded))])).heads.first)
        h.send(.headCompleted(head.id, .found(ObjectInfo(length: bytes.count, crc64: meta.crc64, appendable: true))))
        let out = h.send(.records([record(tp0, 1)]))
        #expect(out.rollovers == [.age])
        let next = try #require(h.acknowledgeCommits(out).appends.first)
        #expect(next.key.hasSuffix("+00000000000000000001.jsonl") && next.isCreate)
    }

    @Test func aTimeBucketRolloverIsSealedToo() throws {
        let template = try KeyTemplate("{topic}/{partition}/{yyyy}{MM}{dd}{HH}/{offset}{ext}")
        var h = Harness(testSettings { $0.keyTemplate = template; $0.batchMaxRecords = 1; $0.sealOnRollover = true })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let hour: Int64 = 1_700_002_800_000
        let a = try #require(h.send(.records([record(tp0, 0, time: hour), record(tp0, 1, time: hour + 3_600_000)])).appends.first)
        let done = h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
        #expect(done.rollovers == [.timeBucket])
        let next = h.acknowledgeCommits(done)
        #expect(next.seals.map(\.key) == [a.key])
        #expect(next.appends.first?.key == "events/0/2023111500/1.jsonl")
    }
}
