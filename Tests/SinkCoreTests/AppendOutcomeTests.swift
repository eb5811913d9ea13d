import Foundation
import OSSChecksum
@testable import SinkCore
import Testing

/// docs/architecture.md, "Append outcomes": one test per row.
@Suite struct AppendOutcomeTests {
    /// A partition with one successful append [0..2] (committed 3) and the next append [3..5] in flight.
    func secondAppendInFlight() throws -> (Harness, first: AppendRequest, second: AppendRequest) {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let first = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        h.send(.commitCompleted(tp0, offset: 3, .success))
        let second = try #require(h.send(.records(records(tp0, 3...5))).appends.first)
        return (h, first, second)
    }

    @Test func row200WithMatchingPositionAndCRCCommits() throws {
        var (h, _, second) = try secondAppendInFlight()
        let out = h.send(.appendCompleted(second.id, .success(nextPosition: second.position + second.bytes.count, crc64: second.expectedCRC64)))
        #expect(out.commits.map(\.offset) == [6])
        #expect(h.sink.openSegment(tp0) == CommitMetadata(key: second.key, position: second.position + second.bytes.count, crc64: second.expectedCRC64))
    }

    @Test(arguments: [(0, UInt64(1)), (7, nil)] as [(Int, UInt64?)])
    func row200IntegrityMismatchRollsOverAndAlerts(positionDelta: Int, crcDelta: UInt64?) throws {
        var (h, _, second) = try secondAppendInFlight()
        let next = second.position + second.bytes.count + positionDelta
        let crc = crcDelta.map { second.expectedCRC64 &+ $0 } ?? second.expectedCRC64
        let out = h.send(.appendCompleted(second.id, .success(nextPosition: next, crc64: crc)))
        #expect(out.commits.isEmpty)
        #expect(out.rollovers == [.integrity])
        #expect(out.notices.contains(.integrityError(tp0, key: second.key, expectedPosition: second.position + second.bytes.count,
                                                     actualPosition: next, expectedCRC64: second.expectedCRC64, actualCRC64: crc)))
        let resent = try #require(out.appends.first)
        #expect(resent.bytes == second.bytes && resent.position == 0 && resent.isCreate)
        #expect(resent.key == "events/0/events+0+00000000000000000003.jsonl")
    }

    @Test func rowTransientErrorsRetryTheSameBytesAtTheSamePosition() throws {
        var (h, _, second) = try secondAppendInFlight()
        let out = h.send(.appendCompleted(second.id, .transientFailure("HTTP 503")))
        #expect(out.appends.isEmpty && out.commits.isEmpty)
        #expect(out.notices.contains(.retryScheduled(tp0, attempt: 1, delay: .milliseconds(200), reason: "HTTP 503")))
        #expect(out.timers == [h.clock + .milliseconds(200)])
        h.advance(.milliseconds(200))
        let again = try #require(h.send(.timerFired).appends.first)
        #expect(again.bytes == second.bytes && again.position == second.position && again.key == second.key)
        #expect(again.id != second.id)
        // Backoff doubles.
        let out2 = h.send(.appendCompleted(again.id, .transientFailure("timeout")))
        #expect(out2.notices.contains(.retryScheduled(tp0, attempt: 2, delay: .milliseconds(400), reason: "timeout")))
    }

    @Test func row409WithOurBytesInPlaceIsSuccess() throws {
        var (h, _, second) = try secondAppendInFlight()
        let out = h.send(.appendCompleted(second.id, .positionNotEqualToLength(nextPosition: second.position + second.bytes.count)))
        let head = try #require(out.heads.first)
        #expect(head.key == second.key && out.commits.isEmpty)
        let done = h.send(.headCompleted(head.id, .found(ObjectInfo(length: second.position + second.bytes.count,
                                                                       crc64: second.expectedCRC64, appendable: true))))
        #expect(done.commits.map(\.offset) == [6])
        #expect(!done.notices.contains { if case .fenced = $0 { true } else { false } })
    }

    @Test(arguments: [true, false])
    func row409AnythingElseFencesAndRecoversFromTheCommit(knownPosition: Bool) throws {
        var (h, first, second) = try secondAppendInFlight()
        h.send(.records(records(tp0, 6...7)))
        var out: [SinkAction]
        if knownPosition {
            out = h.send(.appendCompleted(second.id, .positionNotEqualToLength(nextPosition: second.position + 5)))
        } else {
            let head = try #require(h.send(.appendCompleted(second.id, .positionNotEqualToLength(nextPosition: nil))).heads.first)
            // Same length as expected, but the CRC says someone else's bytes.
            out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: second.position + second.bytes.count,
                                                                 crc64: 12345, appendable: true))))
        }
        #expect(out.notices.contains(.fenced(tp0, key: second.key, committedOffset: 3)))
        #expect(out.seeks.map(\.1) == [3])
        #expect(out.commits.isEmpty && out.appends.isEmpty)
        #expect(h.sink.bufferedBytes(tp0) == 0)
        let recoveryHead = try #require(out.heads.first)
        #expect(recoveryHead.key == first.key)
        // The foreign writer appended "zombie" after our committed position.
        let foreign = Array("zombie bytes\n".utf8)
        let info = ObjectInfo(length: first.bytes.count + foreign.count, crc64: CRC64.update(first.expectedCRC64, foreign), appendable: true)
        let range = try #require(h.send(.headCompleted(recoveryHead.id, .found(info))).ranges.first)
        #expect(range.range == first.bytes.count..<info.length)
        h.send(.rangeCompleted(range.id, .success(foreign)))
        let replay = h.send(.records(records(tp0, 3...5)))
        #expect(replay.recoveries == [.tailMismatch])
        #expect(replay.rollovers == [.recoveryMismatch])
        let fresh = try #require(replay.appends.first)
        #expect(fresh.key == "events/0/events+0+00000000000000000003.jsonl" && fresh.position == 0)
        #expect(fresh.bytes == second.bytes)
    }

    @Test func recordsFetchedBeforeTheFenceSeekAreDropped() throws {
        var (h, _, second) = try secondAppendInFlight()
        h.send(.records(records(tp0, 6...7)))
        let fenced = h.send(.appendCompleted(second.id, .positionNotEqualToLength(nextPosition: 1)))
        #expect(fenced.seeks.map(\.1) == [3])
        // Records 8...9 were fetched before the seek took effect: they must not displace 3...7.
        let stale = h.send(.records(records(tp0, 8...9)))
        #expect(stale.notices == [.recordsIgnored(tp0, count: 2, reason: "fetched before the seek")])
        #expect(h.sink.bufferedBytes(tp0) == 0)
        h.send(.records(records(tp0, 3...4)))
        #expect(h.sink.bufferedBytes(tp0) == rendered(records(tp0, 3...4), h.sink.settings).count)
    }

    @Test func aSeekThatShowsNoRecordsIsRepeated() throws {
        var (h, _, second) = try secondAppendInFlight()
        h.send(.records(records(tp0, 6...7)))
        h.send(.appendCompleted(second.id, .positionNotEqualToLength(nextPosition: 1)))
        h.advance(.seconds(10))
        let out = h.send(.timerFired)
        #expect(out.seeks.map(\.1) == [3])
        // After the second seek every record is accepted again (for example when retention moved the log start).
        h.send(.records(records(tp0, 8...8)))
        #expect(h.sink.bufferedBytes(tp0) > 0)
    }

    @Test func row409ObjectNotAppendableSendsTheSameBytesToANewKey() throws {
        var (h, first, second) = try secondAppendInFlight()
        let out = h.send(.appendCompleted(second.id, .objectNotAppendable))
        #expect(out.rollovers == [.objectNotAppendable])
        let resent = try #require(out.appends.first)
        #expect(resent.key != first.key && resent.position == 0 && resent.isCreate && resent.bytes == second.bytes)
    }

    @Test func row409ObjectNotAppendableOnANewKeyUsesASuffix() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        let out = h.send(.appendCompleted(a.id, .objectNotAppendable))
        let resent = try #require(out.appends.first)
        #expect(resent.key == "events/0/events+0+00000000000000000000~1.jsonl")
        #expect(out.notices.contains(.keyTaken(tp0, key: a.key, suffix: 1)))
        let again = h.send(.appendCompleted(resent.id, .objectNotAppendable))
        #expect(again.appends.first?.key == "events/0/events+0+00000000000000000000~2.jsonl")
    }

    @Test func row4xxConfigurationErrorPausesNeverCommitsAndResumesWhenFixed() throws {
        var (h, _, second) = try secondAppendInFlight()
        h.send(.assigned([PartitionAssignment(tp1, committed: nil)]))
        let out = h.send(.appendCompleted(second.id, .configurationError("403 InvalidAccessKeyId")))
        #expect(out.healths == [.unhealthy(reason: "OSS configuration error on events[0]: 403 InvalidAccessKeyId")])
        #expect(Set(out.pauses) == [tp0, tp1])
        #expect(out.commits.isEmpty && out.appends.isEmpty)
        #expect(!h.sink.isHealthy)
        #expect(out.timers == [h.clock + .seconds(10)])
        h.advance(.seconds(10))
        let retry = try #require(h.send(.timerFired).appends.first)
        #expect(retry.bytes == second.bytes && retry.position == second.position)
        let stillBad = h.send(.appendCompleted(retry.id, .configurationError("403 InvalidAccessKeyId")))
        #expect(stillBad.healths.isEmpty && stillBad.commits.isEmpty)
        h.advance(.seconds(10))
        let retry2 = try #require(h.send(.timerFired).appends.first)
        let fixed = h.send(.appendCompleted(retry2.id, .success(nextPosition: retry2.position + retry2.bytes.count, crc64: retry2.expectedCRC64)))
        #expect(fixed.healths == [.healthy])
        #expect(Set(fixed.resumes) == [tp0, tp1])
        #expect(fixed.commits.map(\.offset) == [6])
    }

    @Test func newlyAssignedPartitionsStayPausedDuringAConfigurationError() throws {
        var (h, _, second) = try secondAppendInFlight()
        h.send(.appendCompleted(second.id, .configurationError("404 NoSuchBucket")))
        let out = h.send(.assigned([PartitionAssignment(tp2, committed: nil)]))
        #expect(out.pauses == [tp2])
    }
}

/// A new segment's first append meets an object already at its key.
@Suite struct TakenKeyTests {
    @Test func ourOwnUncommittedTailIsAdoptedWithoutDuplicates() throws {
        // An earlier run appended records 0...1 to the key and crashed before committing anything.
        var h = Harness()
        let settings = h.sink.settings
        let earlier = rendered(records(tp0, 0...1), settings)
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        let head = try #require(h.send(.appendCompleted(a.id, .positionNotEqualToLength(nextPosition: earlier.count))).heads.first)
        let info = ObjectInfo(length: earlier.count, crc64: CRC64.checksum(earlier), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        #expect(range.key == a.key && range.range == 0..<earlier.count)
        let out = h.send(.rangeCompleted(range.id, .success(earlier)))
        #expect(out.recoveries == [.tailProven])
        #expect(out.commits.first?.offset == 2)
        #expect(CommitMetadata.parse(out.commits.first?.metadata)?.position == earlier.count)
        // The requeued record that was not in the object is sent right away.
        let rest = try #require(out.appends.first)
        #expect(rest.key == a.key && rest.position == earlier.count && rest.firstOffset == 2 && rest.recordCount == 1)
    }

    @Test func aForeignObjectMakesUsUseASuffix() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let batch = records(tp0, 0...2)
        let a = try #require(h.send(.records(batch)).appends.first)
        let head = try #require(h.send(.appendCompleted(a.id, .positionNotEqualToLength(nextPosition: 4))).heads.first)
        let foreign: [UInt8] = Array("data".utf8)
        let range = try #require(h.send(.headCompleted(head.id, .found(ObjectInfo(length: 4, crc64: CRC64.checksum(foreign), appendable: true)))).ranges.first)
        let out = h.send(.rangeCompleted(range.id, .success(foreign)))
        #expect(out.rollovers == [.keyTaken])
        let resent = try #require(out.appends.first)
        #expect(resent.key == "events/0/events+0+00000000000000000000~1.jsonl")
        #expect(resent.bytes == a.bytes && resent.position == 0)
    }

    @Test func aLostResponseOnCreateIsSuccess() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        let head = try #require(h.send(.appendCompleted(a.id, .positionNotEqualToLength(nextPosition: a.bytes.count))).heads.first)
        let out = h.send(.headCompleted(head.id, .found(ObjectInfo(length: a.bytes.count, crc64: a.expectedCRC64, appendable: true))))
        #expect(out.commits.map(\.offset) == [3])
    }
}
