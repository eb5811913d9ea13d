import OSSChecksum
import Foundation
import Testing
@testable import SinkCore

@Suite struct RebalanceTests {
    func inFlight() throws -> (Harness, AppendRequest) {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        return (h, a)
    }

    @Test func revokeWaitsForTheInFlightAppendThenCommitsAndDropsTheRest() throws {
        var (h, a) = try inFlight()
        h.send(.records(records(tp0, 3...4)))
        let out = h.send(.revoked([tp0]))
        #expect(out.released.isEmpty && out.commits.isEmpty)
        #expect(out.timers == [h.clock + .seconds(10)])
        #expect(h.sink.bufferedBytes(tp0) == 0)
        #expect(h.send(.records(records(tp0, 5...6))).notices == [.recordsIgnored(tp0, count: 2, reason: "partition is being revoked")])
        let done = h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
        #expect(done.commits.map(\.offset) == [3])
        #expect(done.released == [tp0])
        #expect(done.appends.isEmpty)
        // commit precedes release, so the shell commits synchronously before completing the rebalance.
        #expect(done.firstIndex { if case .commit = $0 { true } else { false } }! < done.firstIndex(of: .released(tp0))!)
        #expect(h.sink.assignedPartitions.isEmpty && h.sink.heldBytes == 0)
    }

    @Test func revokeIsBoundedByTheTimeout() throws {
        var (h, a) = try inFlight()
        h.send(.revoked([tp0]))
        h.advance(.seconds(10))
        let out = h.send(.timerFired)
        #expect(out.released == [tp0] && out.commits.isEmpty)
        #expect(h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).isEmpty)
    }

    @Test func revokeOfAnIdlePartitionCommitsAnUnacknowledgedCommitPoint() throws {
        var (h, a) = try inFlight()
        h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
        let out = h.send(.revoked([tp0]))
        #expect(out.commits.map(\.offset) == [3] && out.released == [tp0])
        // Once acknowledged, nothing needs committing again.
        var (h2, b) = try inFlight()
        h2.send(.appendCompleted(b.id, .success(nextPosition: b.bytes.count, crc64: b.expectedCRC64)))
        h2.send(.commitCompleted(tp0, offset: 3, .success))
        let out2 = h2.send(.revoked([tp0]))
        #expect(out2.commits.isEmpty && out2.released == [tp0])
    }

    @Test func lostDropsEverythingAndCommitsNothing() throws {
        var (h, a) = try inFlight()
        h.send(.records(records(tp0, 3...4)))
        let out = h.send(.lost([tp0]))
        #expect(out.released == [tp0] && out.commits.isEmpty)
        #expect(h.sink.heldBytes == 0)
        #expect(h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).isEmpty)
        #expect(h.send(.records(records(tp0, 5...5))).notices.count == 1)
    }

    @Test func shutdownFlushesWithoutLingerAndCompletesAfterCommitsAreAcknowledged() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil), PartitionAssignment(tp1, committed: nil)]))
        h.send(.records(records(tp0, 0...0) + records(tp1, 0...1)))
        let out = h.send(.shutdown)
        #expect(out.appends.count == 2 && !out.shutdownComplete)
        var commits: [CommitRequest] = []
        for a in out.appends {
            commits += h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).commits
        }
        #expect(commits.count == 2 && !h.log.shutdownComplete)
        #expect(h.send(.commitCompleted(commits[0].topicPartition, offset: commits[0].offset, .success)).isEmpty)
        let last = h.send(.commitCompleted(commits[1].topicPartition, offset: commits[1].offset, .success))
        #expect(last == [.shutdownComplete])
    }

    @Test func shutdownWithNothingBufferedCompletesAtOnce() {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        #expect(h.send(.shutdown) == [.shutdownComplete])
    }
}

@Suite struct MemoryTests {
    @Test func fullestPartitionsArePausedAboveTheHighWatermarkAndResumedBelowTheLow() throws {
        // Every record renders to ~1.1 KB; the budget is 10 KB, resume below 4 KB.
        var h = Harness(testSettings { $0.batchMaxRecords = 4; $0.batchMaxBytes = 8000; $0.linger = .zero; $0.maxBufferedBytes = 10_000; $0.resumeBelowBytes = 4000 })
        h.send(.assigned([tp0, tp1, tp2].map { PartitionAssignment($0, committed: nil) }))
        // One append in flight per partition keeps later records buffered.
        var inflight: [TopicPartition: AppendRequest] = [:]
        for tp in [tp0, tp1, tp2] {
            let append: AppendRequest = try #require(h.send(.records([record(tp, 0, value: String(repeating: "a", count: 1000))])).appends.first)
            inflight[tp] = append
        }
        h.send(.records(records(tp1, 1...3, size: 1000)))
        let out = h.send(.records(records(tp0, 1...5, size: 1000)))
        #expect(h.sink.heldBytes > 10_000)
        // Fullest first, until the paused partitions hold the excess over the low watermark; tp2 keeps flowing.
        #expect(out.pauses == [tp0, tp1])
        #expect(h.sink.memoryPausedPartitions == [tp0, tp1])
        // Draining brings the total below the low watermark: everything paused is resumed.
        var outstanding = [inflight[tp0]!, inflight[tp1]!]
        var positions: [TopicPartition: Int] = [:]
        var resumed: [TopicPartition] = []
        while let a = outstanding.popLast() {
            let pos = positions[a.topicPartition, default: 0] + a.bytes.count
            positions[a.topicPartition] = pos
            let step = h.send(.appendCompleted(a.id, .success(nextPosition: pos, crc64: a.expectedCRC64)))
            resumed += step.resumes
            outstanding += step.appends
        }
        #expect(resumed.sorted() == [tp0, tp1])
        #expect(h.sink.memoryPausedPartitions.isEmpty)
        #expect(h.sink.heldBytes < 4000)
    }

    @Test func aboveThePauseAllWatermarkEveryPartitionPausesAndMemoryPausedOnesSendWithoutLinger() throws {
        // Linger would hold the records for a minute; memory pressure sends them now.
        var h = Harness(testSettings {
            $0.batchMaxRecords = 1000; $0.batchMaxBytes = 4000; $0.linger = .seconds(60)
            $0.maxBufferedBytes = 4000; $0.pauseAllAboveBytes = 6000; $0.resumeBelowBytes = 2000
        })
        h.send(.assigned([tp0, tp1, tp2].map { PartitionAssignment($0, committed: nil) }))
        var offset: Int64 = 0
        var out: [SinkAction] = []
        while out.isEmpty || (out.pauses.isEmpty && out.appends.isEmpty) {
            out = h.send(.records([record(tp0, offset, value: String(repeating: "v", count: 100))]))
            offset += 1
        }
        // Past the high watermark only the fullest partition pauses; it sends its records before the batch is full.
        #expect(out.pauses == [tp0])
        let first = try #require(out.appends.first)
        #expect(first.topicPartition == tp0 && first.recordCount == Int(offset) && first.bytes.count < 4000)

        // Records still arriving for it (already fetched) pass the pause-all watermark: tp1 and tp2 hold nothing,
        // and pause now.
        out = []
        while h.sink.heldBytes <= 6000 {
            out = h.send(.records([record(tp0, offset, value: String(repeating: "v", count: 100))]))
            offset += 1
        }
        #expect(out.pauses == [tp1, tp2])
        #expect(h.sink.memoryPausedPartitions == [tp0, tp1, tp2])

        // Once the appends complete, the total falls below the low watermark and everything resumes.
        var pending = [first]
        var position = 0
        var resumed: [TopicPartition] = []
        while let a = pending.popLast() {
            position += a.bytes.count
            let done = h.send(.appendCompleted(a.id, .success(nextPosition: position, crc64: a.expectedCRC64)))
            resumed += done.resumes
            pending += done.appends
        }
        #expect(resumed == [tp0, tp1, tp2])
        #expect(h.sink.memoryPausedPartitions.isEmpty)
    }

    @Test func aPauseAllWatermarkBelowTheHighWatermarkIsRejected() {
        let settings = testSettings { $0.batchMaxBytes = 1000; $0.maxBufferedBytes = 2000; $0.resumeBelowBytes = 1000; $0.pauseAllAboveBytes = 1999 }
        #expect(throws: SinkSettingsError.self) { try settings.validate() }
        var fine = settings
        fine.pauseAllAboveBytes = 2000
        #expect(throws: Never.self) { try fine.validate() }
    }

    @Test func heldBytesCountAllocatedCapacityNotJustRenderedBytes() throws {
        var h = Harness(testSettings { $0.linger = .seconds(60) })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        h.send(.records(records(tp0, 0...99, size: 100)))
        let rendered = h.sink.bufferedBytes(tp0)
        #expect(rendered > 100 * 100)
        // The byte buffer's capacity plus three 8-byte index entries per record.
        #expect(h.sink.heldBytes >= rendered + 100 * 24)
        #expect(h.sink.heldBytes <= 2 * rendered + 2 * 100 * 24 + 4096)
    }

    @Test func heldBytesReturnToZeroWhenEverythingIsArchived() throws {
        var d = Driver()
        d.run(.assigned([PartitionAssignment(tp0, committed: nil)]))
        d.run(.records(records(tp0, 0...9, size: 50)))
        d.flushByTimer()
        #expect(d.h.sink.heldBytes == 0)
    }

    @Test func shortOfMemoryAPartitionHoldingItsShareSendsBeforeItsBatchIsFull() throws {
        // A 1 MiB batch and a minute of linger would hold everything; past the early-flush watermark a partition
        // holding its share (the watermark split over the assigned partitions, at least 64 KiB) sends at once.
        func settings(flushEarlyAbove: Int) -> SinkSettings {
            testSettings {
                $0.batchMaxRecords = 100_000; $0.batchMaxBytes = 1 << 20; $0.linger = .seconds(60)
                $0.maxBufferedBytes = 1 << 22; $0.resumeBelowBytes = 1 << 21; $0.flushEarlyAboveBytes = flushEarlyAbove
            }
        }
        var h = Harness(settings(flushEarlyAbove: 100_000))
        h.send(.assigned([tp0, tp1].map { PartitionAssignment($0, committed: nil) }))
        let value = String(repeating: "v", count: 1000)
        #expect(h.send(.records((0..<3).map { record(tp1, Int64($0), value: value) })).appends.isEmpty)
        var offset: Int64 = 0
        var out: [SinkAction] = []
        while out.appends.isEmpty && offset < 1000 {
            out = h.send(.records([record(tp0, offset, value: value)]))
            offset += 1
        }
        let append = try #require(out.appends.first)
        #expect(out.appends.count == 1)
        #expect(append.topicPartition == tp0)
        #expect(append.bytes.count >= SinkSettings.minimumEarlyFlushBytes && append.bytes.count < 1 << 20)
        #expect(h.sink.memoryPausedPartitions.isEmpty, "sending early is not pausing")
        // tp1 holds less than its share: it keeps waiting for its batch.
        #expect(h.sink.bufferedBytes(tp1) > 0)

        // The same records with the watermark out of reach: nothing is sent.
        var calm = Harness(settings(flushEarlyAbove: 1 << 22))
        calm.send(.assigned([tp0, tp1].map { PartitionAssignment($0, committed: nil) }))
        var sent = 0
        for o in 0..<offset { sent += calm.send(.records([record(tp0, o, value: value)])).appends.count }
        #expect(sent == 0)
    }
}

@Suite struct ReassignmentTests {
    @Test func assignmentWhileARevokeIsFinishingStartsFresh() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        h.send(.revoked([tp0]))
        let out = h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 0, metadata: nil))]))
        #expect(out.released == [tp0] && out.commits.isEmpty)
        #expect(out.recoveries == [.noMetadata])
        // The old append's result no longer matters.
        #expect(h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).isEmpty)
        #expect(h.sink.assignedPartitions == [tp0])
    }

    @Test func duplicateAssignmentIsIgnored() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        h.send(.records(records(tp0, 0...1)))
        #expect(h.send(.assigned([PartitionAssignment(tp0, committed: nil)])).isEmpty)
        #expect(h.sink.bufferedBytes(tp0) > 0)
    }
}
