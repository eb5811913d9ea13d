import Foundation
import OSSChecksum
@testable import SinkCore
import Testing

/// docs/architecture.md, "Recovery": one test per row, plus the no-commit cases.
@Suite struct RecoveryTests {
    let key = "events/0/events+0+00000000000000000000.jsonl"

    /// The object holds records 0...4 (committed: 0...2 at `P`), as an earlier run left it.
    func object(_ settings: SinkSettings, committedThrough: Int64 = 2, total: Int64 = 4)
        -> (committed: [UInt8], tail: [UInt8], meta: CommitMetadata) {
        let committed = rendered(records(tp0, 0...committedThrough), settings)
        let tail = committedThrough < total ? rendered(records(tp0, (committedThrough + 1)...total), settings) : []
        return (committed, tail, CommitMetadata(key: key, position: committed.count, crc64: CRC64.checksum(committed)))
    }

    func assign(_ h: inout Harness, _ meta: CommitMetadata, offset: Int64 = 3) throws -> HeadRequest {
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: offset, metadata: meta.encoded))]))
        let head = try #require(out.heads.first)
        #expect(head.key == meta.key)
        #expect(out.appends.isEmpty)
        return head
    }

    @Test func noCommitStartsANewSegmentAtTheFirstRecord() throws {
        var h = Harness()
        #expect(h.send(.assigned([PartitionAssignment(tp0, committed: nil)])).recoveries == [.noCommit])
        let a = try #require(h.send(.records(records(tp0, 17...19))).appends.first)
        #expect(a.key.hasSuffix("+00000000000000000017.jsonl") && a.position == 0)
    }

    @Test func commitWithoutMetadataStartsANewSegmentAtTheCommit() throws {
        var h = Harness()
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 40, metadata: "written by another tool"))]))
        #expect(out.recoveries == [.noMetadata] && out.heads.isEmpty)
        let a = try #require(h.send(.records(records(tp0, 40...42))).appends.first)
        #expect(a.key.hasSuffix("+00000000000000000040.jsonl"))
    }

    @Test func cleanObjectResumesAtP() throws {
        var h = Harness()
        let (committed, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: committed.count, crc64: meta.crc64, appendable: true))))
        #expect(out.recoveries == [.clean])
        let a = try #require(h.send(.records(records(tp0, 3...5))).appends.first)
        #expect(a.key == key && a.position == committed.count && !a.isCreate)
        #expect(a.expectedCRC64 == CRC64.update(meta.crc64, a.bytes))
    }

    @Test func aResumedSegmentFromAnEarlierDayRollsOverOnTheNextDay() throws {
        var h = Harness(testSettings { $0.keyTemplate = .default })
        let key = "events/0/2023/11/13/events+0+00000000000000000000.jsonl"  // yesterday's segment
        let meta = CommitMetadata(key: key, position: 10, crc64: 5)
        let head = try assign(&h, meta)
        h.send(.headCompleted(head.id, .found(ObjectInfo(length: 10, crc64: 5, appendable: true))))
        let out = h.send(.records(records(tp0, 3...5)))  // 2023-11-14
        #expect(out.rollovers == [.timeBucket])
        #expect(h.acknowledgeCommits(out).appends.first?.key == "events/0/2023/11/14/events+0+00000000000000000003.jsonl")
        // A segment of the same day keeps going.
        var h2 = Harness(testSettings { $0.keyTemplate = .default })
        let today = CommitMetadata(key: "events/0/2023/11/14/events+0+00000000000000000000.jsonl", position: 10, crc64: 5)
        let head2 = try assign(&h2, today)
        h2.send(.headCompleted(head2.id, .found(ObjectInfo(length: 10, crc64: 5, appendable: true))))
        let out2 = h2.send(.records(records(tp0, 3...5)))
        #expect(out2.rollovers.isEmpty && out2.appends.first?.key == today.key && out2.appends.first?.position == 10)
    }

    @Test func sameLengthDifferentCRCRollsOver() throws {
        var h = Harness()
        let (committed, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: committed.count, crc64: meta.crc64 ^ 1, appendable: true))))
        #expect(out.recoveries == [.crcMismatch] && out.rollovers == [.recoveryFailed])
        let a = try #require(h.send(.records(records(tp0, 3...5))).appends.first)
        #expect(a.key.hasSuffix("+00000000000000000003.jsonl") && a.position == 0)
    }

    @Test(arguments: [SinkSettings.Compression.none, .gzip(level: 6), .zstd(level: 3)])
    func matchingTailIsProvenAndCommittedWithoutDuplicates(compression: SinkSettings.Compression) throws {
        var h = Harness(testSettings { $0.compression = compression })
        let s = h.sink.settings
        // The object: [0...2] committed, then [3...4] appended by a run that crashed before committing.
        let committed = AppendCompression.compress(rendered(records(tp0, 0...2), s), compression)
        let tail = AppendCompression.compress(rendered(records(tp0, 3...4), s), compression)
        let k = "events/0/events+0+00000000000000000000" + s.fileExtension
        let meta = CommitMetadata(key: k, position: committed.count, crc64: CRC64.checksum(committed))
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.checksum(committed + tail), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        #expect(range.range == committed.count..<info.length)
        #expect(h.send(.rangeCompleted(range.id, .success(tail))).recoveries.isEmpty)  // waits for records
        let out = h.send(.records(records(tp0, 3...6)))
        #expect(out.recoveries == [.tailProven])
        let commit = try #require(out.commits.first)
        #expect(commit.offset == 5)
        #expect(CommitMetadata.parse(commit.metadata)?.place == CommitMetadata(key: k, position: info.length, crc64: info.crc64!))
        h.advance(.seconds(1))
        let a = try #require(h.send(.timerFired).appends.first)
        #expect(a.key == k && a.position == info.length && a.firstOffset == 5 && a.lastOffset == 6)
        #expect(try AppendCompression.decompress(a.bytes, compression) == rendered(records(tp0, 5...6), s))
    }

    @Test func tailSpanningSeveralRecordEventsIsComparedIncrementally() throws {
        var h = Harness()
        let (committed, tail, meta) = object(h.sink.settings, committedThrough: 2, total: 9)
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.update(meta.crc64, tail), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        h.send(.rangeCompleted(range.id, .success(tail)))
        for o in Int64(3)...8 { #expect(h.send(.records([record(tp0, o)])).recoveries.isEmpty) }
        let out = h.send(.records([record(tp0, 9)]))
        #expect(out.recoveries == [.tailProven] && out.commits.map(\.offset) == [10])
    }

    @Test func provenTailWithoutACRCHeaderCommitsTheComputedCRC() throws {
        var h = Harness()
        let (committed, tail, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: nil, appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        h.send(.rangeCompleted(range.id, .success(tail)))
        let out = h.send(.records(records(tp0, 3...4)))
        let commit = try #require(out.commits.first)
        #expect(CommitMetadata.parse(commit.metadata)?.crc64 == CRC64.checksum(committed + tail))
    }

    @Test func mismatchingTailRollsOverAndCountsRecoveryMismatch() throws {
        var h = Harness()
        let (committed, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let garbage = Array("{\"not\":\"ours\"}\n".utf8)
        let info = ObjectInfo(length: committed.count + garbage.count, crc64: CRC64.update(meta.crc64, garbage), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        h.send(.rangeCompleted(range.id, .success(garbage)))
        let out = h.send(.records(records(tp0, 3...5)))
        #expect(out.recoveries == [.tailMismatch] && out.rollovers == [.recoveryMismatch])
        #expect(out.commits.isEmpty)
        let a = try #require(out.appends.first)
        #expect(a.key.hasSuffix("+00000000000000000003.jsonl") && a.position == 0 && a.firstOffset == 3)
    }

    @Test func partiallyMatchingTailKeepsTheProvenRecordsAndStartsAfterThem() throws {
        var h = Harness()
        let s = h.sink.settings
        let (committed, _, meta) = object(s)
        let head = try assign(&h, meta)
        let tail = rendered([record(tp0, 3)], s) + Array("torn".utf8)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.update(meta.crc64, tail), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        h.send(.rangeCompleted(range.id, .success(tail)))
        let out = h.send(.records(records(tp0, 3...6)))
        #expect(out.recoveries == [.tailMismatch])
        let a = try #require(out.appends.first)
        #expect(a.firstOffset == 4 && a.key.hasSuffix("+00000000000000000004.jsonl"))
    }

    @Test func aChangedPrefixIsAMismatchEvenIfTheTailLooksRight() throws {
        var h = Harness()
        let (committed, tail, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: 999, appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        let out = h.send(.rangeCompleted(range.id, .success(tail)))
        #expect(out.recoveries == [.tailMismatch])
    }

    @Test func compressedTailFromDifferentSettingsIsAMismatch() throws {
        var h = Harness(testSettings { $0.compression = .gzip(level: 6) })
        let s = h.sink.settings
        let committed = AppendCompression.compress(rendered(records(tp0, 0...2), s), s.compression)
        let tail = Array("not gzip at all".utf8)
        let meta = CommitMetadata(key: "k.jsonl.gz", position: committed.count, crc64: CRC64.checksum(committed))
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.checksum(committed + tail), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        let out = h.send(.rangeCompleted(range.id, .success(tail)))
        #expect(out.recoveries == [.tailMismatch])
    }

    @Test(arguments: [
        (HeadOutcome.notFound, RecoveryOutcome.missing),
        (.found(ObjectInfo(length: 10_000, crc64: 1, appendable: false)), .notAppendable),
        (.found(ObjectInfo(length: 3, crc64: 1, appendable: true)), .shorter),
    ])
    func missingNotAppendableOrShorterRollsOverAtO(outcome: HeadOutcome, expected: RecoveryOutcome) throws {
        var h = Harness()
        let (_, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let out = h.send(.headCompleted(head.id, outcome))
        #expect(out.recoveries == [expected] && out.rollovers == [.recoveryFailed])
        let a = try #require(h.send(.records(records(tp0, 3...5))).appends.first)
        #expect(a.firstOffset == 3 && a.position == 0 && a.key.hasSuffix("+00000000000000000003.jsonl"))
    }

    @Test func rangeThatVanishedRollsOver() throws {
        var h = Harness()
        let (committed, tail, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: nil, appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        #expect(h.send(.rangeCompleted(range.id, .unavailable)).recoveries == [.missing])
    }

    @Test func transientHeadFailuresAreRetried() throws {
        var h = Harness()
        let (committed, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        let out = h.send(.headCompleted(head.id, .transientFailure("connection reset")))
        #expect(out.timers == [h.clock + .milliseconds(200)])
        h.advance(.milliseconds(200))
        let again = try #require(h.send(.timerFired).heads.first)
        #expect(again.key == key)
        #expect(h.send(.headCompleted(again.id, .found(ObjectInfo(length: committed.count, crc64: meta.crc64, appendable: true)))).recoveries == [.clean])
    }

    @Test func expiredRecordsAreReportedLoudly() throws {
        var h = Harness()
        let (committed, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        h.send(.headCompleted(head.id, .found(ObjectInfo(length: committed.count, crc64: meta.crc64, appendable: true))))
        let out = h.send(.records(records(tp0, 50...52)))
        #expect(out.notices.contains(.recordsExpiredBeforeArchive(tp0, expectedOffset: 3, firstOffset: 50)))
        #expect(out.appends.first?.firstOffset == 50)
    }

    @Test func staleResultsAreIgnored() throws {
        var h = Harness()
        let (_, _, meta) = object(h.sink.settings)
        let head = try assign(&h, meta)
        #expect(h.send(.headCompleted(RequestID(rawValue: 9999), .notFound)).isEmpty)
        #expect(h.send(.appendCompleted(head.id, .objectNotAppendable)).isEmpty)
    }
}

@Suite struct RecoveryEdgeTests {
    let meta = CommitMetadata(key: "events/0/events+0+00000000000000000000.jsonl", position: 100, crc64: 7)

    @Test func configurationErrorDuringRecoveryPausesAndHealsOnSuccess() throws {
        var h = Harness()
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))]))
        let head = try #require(out.heads.first)
        let bad = h.send(.headCompleted(head.id, .configurationError("403 SignatureDoesNotMatch")))
        #expect(bad.pauses == [tp0] && bad.healths.count == 1 && !h.sink.isHealthy)
        h.advance(.seconds(10))
        let again = try #require(h.send(.timerFired).heads.first)
        let good = h.send(.headCompleted(again.id, .found(ObjectInfo(length: 100, crc64: 7, appendable: true))))
        #expect(good.healths == [.healthy] && good.resumes == [tp0] && good.recoveries == [.clean])
    }

    /// Releasing the partitions OSS refused clears the unhealthy state without claiming that OSS accepts requests.
    @Test func releasingThePartitionsOSSRefusedIsUnaffectedNotHealthy() throws {
        // A stop releases them too, through the revoke of the consumer's close.
        for event in [SinkEvent.revoked([tp0]), .lost([tp0])] {
            var h = Harness()
            let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))])).heads.first)
            #expect(h.send(.headCompleted(head.id, .configurationError("403 InvalidAccessKeyId"))).healths.count == 1)
            let out = h.send(event)
            #expect(out.released == [tp0] && out.healths == [.unaffected] && h.sink.isHealthy, "\(event)")
        }
    }

    @Test func revokeOrLossDuringRecoveryReleasesWithoutCommitting() throws {
        for event in [SinkEvent.revoked([tp0]), .lost([tp0])] {
            var h = Harness()
            let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))])).heads.first)
            h.send(.records(records(tp0, 3...4)))
            let out = h.send(event)
            #expect(out.released == [tp0] && out.commits.isEmpty)
            #expect(h.send(.headCompleted(head.id, .notFound)).isEmpty)
            #expect(h.sink.heldBytes == 0)
        }
    }

    @Test func shutdownCompletesAtOnceWhenOSSRejectsTheConfiguration() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        h.send(.appendCompleted(a.id, .configurationError("404 NoSuchBucket")))
        // Nothing can be flushed while OSS refuses: leave the group now instead of at shutdown_timeout.
        let out = h.send(.shutdown)
        #expect(out.shutdownComplete)
        #expect(out.commits.isEmpty && out.appends.isEmpty)
        #expect(out.notices.contains(.leftUnflushedAtShutdown(tp0, reason: "404 NoSuchBucket")))
    }

    @Test func shutdownStillFlushesPartitionsThatOSSAccepts() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil), PartitionAssignment(tp1, committed: nil)]))
        let a0 = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        let a1 = try #require(h.send(.records(records(tp1, 0...2))).appends.first)
        h.send(.appendCompleted(a0.id, .configurationError("403 AccessDenied")))
        // tp1's append is still in flight: it may land, so shutdown waits for it and its commit.
        #expect(!h.send(.shutdown).shutdownComplete)
        let c = try #require(h.send(.appendCompleted(a1.id, .success(nextPosition: a1.bytes.count, crc64: a1.expectedCRC64))).commits.first)
        #expect(c.topicPartition == tp1)
        let done = h.send(.commitCompleted(tp1, offset: c.offset, .success))
        #expect(done.shutdownComplete)
        #expect(done.notices.contains(.leftUnflushedAtShutdown(tp0, reason: "403 AccessDenied")))
    }
}

@Suite struct LongTailTests {
    @Test func aTailLongerThanAnyUncommittedRunIsReadOnlyInPart() throws {
        // Limit: 1000 + 2 * 200 + 1 MiB.
        var h = Harness(testSettings { $0.maxUncommittedBytes = 1000; $0.batchMaxBytes = 200; $0.maxBufferedBytes = 1 << 22; $0.resumeBelowBytes = 1 << 21 })
        let s = h.sink.settings
        let committed = rendered(records(tp0, 0...2), s)
        let meta = CommitMetadata(key: "events/0/events+0+00000000000000000000.jsonl", position: committed.count, crc64: CRC64.checksum(committed))
        let head = try #require(h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: meta.encoded))])).heads.first)
        let ours = rendered(records(tp0, 3...4), s)
        let limit = 1000 + 400 + (1 << 20)
        let length = committed.count + limit + 5000
        let range = try #require(h.send(.headCompleted(head.id, .found(ObjectInfo(length: length, crc64: 1, appendable: true)))).ranges.first)
        #expect(range.range == committed.count..<(committed.count + limit))
        let partial = ours + [UInt8](repeating: 0x41, count: limit - ours.count)
        h.send(.rangeCompleted(range.id, .success(partial)))
        let out = h.send(.records(records(tp0, 3...7)))
        #expect(out.recoveries == [.tailMismatch])
        #expect(out.appends.first?.firstOffset == 5)  // 3...4 are proven archived in the old object
    }

    @Test func aHugeForeignObjectAtANewKeyIsNotRead() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        let head = try #require(h.send(.appendCompleted(a.id, .positionNotEqualToLength(nextPosition: 1 << 32))).heads.first)
        let out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: 1 << 32, crc64: 1, appendable: true))))
        #expect(out.ranges.isEmpty)
        #expect(out.appends.first?.key == "events/0/events+0+00000000000000000000~1.jsonl")
    }
}
