import OSSChecksum
import Testing
@testable import SinkCore

/// Intake rotation: with memory short and many partitions, a few fill at a time and each sends its backlog in
/// one append, instead of every partition sending slivers. Events in, actions out; no broker, socket or clock.
@Suite struct RotationTests {
    static let partitions = (0..<6).map { TopicPartition(topic: "events", partition: Int32($0)) }

    /// Six partitions, two filling at a time, rotation above 8 KB held; linger a minute, batches of 256 KiB.
    static func settings(_ configure: (inout SinkSettings) -> Void = { _ in }) -> SinkSettings {
        testSettings {
            $0.batchMaxRecords = 100_000; $0.batchMaxBytes = 1 << 18; $0.linger = .seconds(60)
            $0.maxBufferedBytes = 1 << 20; $0.resumeBelowBytes = 1 << 19; $0.flushEarlyAboveBytes = 1 << 19
            $0.rotateAboveBytes = 8000; $0.maxFillingPartitions = 2
            $0.rotationIdle = .milliseconds(500); $0.rotationSlice = .seconds(2)
            configure(&$0)
        }
    }

    /// A delivery of `offsets` of `tp` (records of ~1 KB rendered), with the high watermark the consumer saw.
    static func delivery(_ tp: TopicPartition, _ offsets: ClosedRange<Int64>, highWatermark: Int64? = nil) -> SinkEvent {
        var runs = RenderedRun.runs(of: records(tp, offsets, size: 1000), settings: settings(), wallClockMs: baseTime)
        runs[0].highWatermark = highWatermark
        return .rendered(runs)
    }

    /// One delivery: offsets 0...2 of the first two partitions and offset 0 of the others (about 11 KB rendered).
    static var firstDelivery: SinkEvent {
        let recs = partitions.flatMap { tp in records(tp, 0...(tp.partition < 2 ? 2 : 0), size: 1000) }
        return .rendered(RenderedRun.runs(of: recs, settings: settings(), wallClockMs: baseTime))
    }

    /// A harness with the six partitions assigned one by one (no rotation yet) after ``firstDelivery``: rotating,
    /// the first two filling.
    static func started() -> Harness {
        var h = Harness(settings())
        for tp in partitions { h.send(.assigned([PartitionAssignment(tp, committed: nil)])) }
        h.send(firstDelivery)
        return h
    }

    @Test("above the rotation watermark the two partitions holding most keep fetching, the others park and keep their records")
    func rotationParksAllButTheFullest() {
        var h = Harness(Self.settings())
        for tp in Self.partitions { #expect(h.send(.assigned([PartitionAssignment(tp, committed: nil)])).pauses.isEmpty) }
        let out = h.send(Self.firstDelivery)
        #expect(h.sink.heldBytes > 8000)
        #expect(out.pauses == Array(Self.partitions[2...]))
        #expect(out.appends.isEmpty, "parking sends nothing")
        #expect(h.sink.fillingPartitions == Set(Self.partitions.prefix(2)))
        #expect(h.sink.parkedPartitions == Set(Self.partitions[2...]))
        // Linger passes: a parked partition keeps its record for its turn; nothing is sent for it.
        h.advance(.seconds(61))
        let later = h.send(.timerFired)
        #expect(later.appends.allSatisfy { Self.partitions.prefix(2).contains($0.topicPartition) })
        for tp in Self.partitions[2...] { #expect(h.sink.bufferedBytes(tp) > 0) }
    }

    @Test("a filling partition that caught up sends its backlog in one append and parks; the next in turn resumes")
    func caughtUpEndsTheTurn() throws {
        var h = Self.started()
        let p0 = Self.partitions[0]
        // Offsets 3...9 arrive and the consumer has seen the high watermark at 10: p0 has nothing more to fetch.
        let out = h.send(Self.delivery(p0, 3...9, highWatermark: 10))
        let append = try #require(out.appends.first)
        #expect(out.appends.count == 1)
        #expect(append.topicPartition == p0)
        #expect(append.firstOffset == 0 && append.lastOffset == 9 && append.recordCount == 10)
        #expect(out.pauses == [p0])
        // The next one in turn (the parked partitions hold the same, so any of them) starts filling.
        let next = try #require(out.resumes.first)
        #expect(out.resumes.count == 1 && Self.partitions[2...].contains(next))
        #expect(h.sink.fillingPartitions == [Self.partitions[1], next])
        #expect(h.sink.parkedPartitions.contains(p0))
    }

    @Test("a turn that receives nothing for rotationIdle ends: what it holds goes out and it queues again")
    func idleEndsTheTurn() throws {
        var h = Self.started()
        h.advance(.milliseconds(400))
        // p1 keeps receiving; p0 receives nothing more.
        h.send(Self.delivery(Self.partitions[1], 3...3))
        h.advance(.milliseconds(150))
        let out = h.send(.timerFired)
        let append = try #require(out.appends.first { $0.topicPartition == Self.partitions[0] })
        #expect(append.recordCount == 3)
        #expect(out.appends.allSatisfy { $0.topicPartition != Self.partitions[1] })
        #expect(out.pauses == [Self.partitions[0]])
        #expect(out.resumes.count == 1 && Self.partitions[2...].contains(out.resumes[0]))
        // p0 did not catch up (no high watermark seen): it waits for another turn behind p3, p4, p5.
        #expect(h.sink.parkedPartitions.contains(Self.partitions[0]))
    }

    @Test("a partition with more to fetch yields after rotationSlice when others wait; with nobody waiting it goes on")
    func sliceGivesOthersATurn() throws {
        var h = Self.started()
        var offset: Int64 = 3
        var out: [SinkAction] = []
        // p0 and p1 keep receiving records every 300 ms, never catching up.
        while !out.pauses.contains(Self.partitions[0]) {
            h.advance(.milliseconds(300))
            out = h.send(Self.delivery(Self.partitions[0], offset...offset, highWatermark: 1000))
            out += h.send(Self.delivery(Self.partitions[1], offset...offset, highWatermark: 1000))
            offset += 1
            try #require(offset < 20, "the slice never ended")
        }
        #expect(h.clock - .seconds(100) >= .seconds(2))
        #expect(out.appends.contains { $0.topicPartition == Self.partitions[0] })
        #expect(out.resumes.contains { Self.partitions[2...].contains($0) })
    }

    @Test("once a whole cycle of turns brings in little, the rotation ends: all resume and linger applies again")
    func rotationEndsWhenTheBacklogIsGone() throws {
        var h = Self.started()
        var resumed: Set<TopicPartition> = []
        var sent: [TopicPartition: Int] = [:]
        var inFlight: [AppendRequest] = []
        var delivered: Set<TopicPartition> = []
        func settle(_ out: [SinkAction]) {
            resumed.formUnion(out.resumes)
            inFlight += out.appends
            while let a = inFlight.popLast() {
                sent[a.topicPartition, default: 0] += 1
                let done = h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
                resumed.formUnion(done.resumes)
                inFlight += done.appends
            }
        }
        // Each partition, in its first turn, delivers up to offset 4 and catches up at 5; later turns get nothing
        // and end after rotationIdle.
        for _ in 0..<40 where !h.sink.fillingPartitions.isEmpty {
            for tp in h.sink.fillingPartitions.sorted() where !delivered.contains(tp) {
                delivered.insert(tp)
                settle(h.send(Self.delivery(tp, (tp.partition < 2 ? 3 : 1)...4, highWatermark: 5)))
            }
            h.advance(.milliseconds(600))
            settle(h.send(.timerFired))
        }
        #expect(h.sink.fillingPartitions.isEmpty && h.sink.parkedPartitions.isEmpty)
        #expect(h.log.notices.contains(.rotationEnded))
        // One append per partition: its whole backlog.
        #expect(sent == Dictionary(uniqueKeysWithValues: Self.partitions.map { ($0, 1) }))
        #expect(resumed == Set(Self.partitions))
        // Out of the rotation, a record waits for linger again instead of a turn.
        let out = h.send(Self.delivery(Self.partitions[3], 5...5))
        #expect(out.pauses.isEmpty && out.appends.isEmpty)
        h.advance(.seconds(61))
        #expect(h.send(.timerFired).appends.map(\.topicPartition) == [Self.partitions[3]])
    }

    @Test("a partition proving an uncommitted tail during the rotation fetches its records, then waits for a turn")
    func provingPartitionsAreNotParked() throws {
        var h = Self.started()
        let newcomer = TopicPartition(topic: "events", partition: 9)
        let settings = Self.settings()
        // An earlier owner appended records 0...4 and committed 0...2 (offset 3).
        let key = "events/9/events+9+00000000000000000000.jsonl"
        let committed = rendered(records(newcomer, 0...2), settings)
        let tail = rendered(records(newcomer, 3...4), settings)
        let meta = CommitMetadata(key: key, position: committed.count, crc64: CRC64.checksum(committed))
        let assigned = h.send(.assigned([PartitionAssignment(newcomer, committed: CommittedOffset(offset: 3, metadata: meta.encoded))]))
        #expect(assigned.pauses.contains(newcomer), "during the rotation a newcomer waits for a turn")
        let head = try #require(assigned.heads.first)
        let ranged = h.send(.headCompleted(head.id, .found(ObjectInfo(
            length: committed.count + tail.count, crc64: CRC64.checksum(committed + tail), appendable: true))))
        let range = try #require(ranged.ranges.first)
        let proving = h.send(.rangeCompleted(range.id, .success(tail)))
        // Proving the tail needs records 3...4 from Kafka: it fetches again.
        #expect(try #require(h.sink.partitions[newcomer]).needsRecords)
        #expect(proving.resumes.contains(newcomer))
        #expect(!h.sink.parkedPartitions.contains(newcomer) && !h.sink.fillingPartitions.contains(newcomer))
        // Proven: it waits for a turn like the others.
        let proven = h.send(.records(records(newcomer, 3...4)))
        #expect(proven.recoveries == [.tailProven])
        #expect(proven.pauses.contains(newcomer))
        #expect(h.sink.parkedPartitions.contains(newcomer))
    }

    @Test("OSS recovering from a configuration error resumes the filling partitions, not the parked ones")
    func healthyAgainKeepsParkedPartitionsPaused() throws {
        var h = Self.started()
        let p0 = Self.partitions[0]
        let append = try #require(h.send(Self.delivery(p0, 3...9, highWatermark: 10)).appends.first)
        #expect(h.send(.appendCompleted(append.id, .configurationError("403 AccessDenied"))).pauses
            == Self.partitions.filter { h.sink.fillingPartitions.contains($0) })
        h.advance(.seconds(11))
        let retry = try #require(h.send(.timerFired).appends.first)
        let out = h.send(.appendCompleted(retry.id, .success(nextPosition: retry.bytes.count, crc64: retry.expectedCRC64)))
        #expect(out.healths == [.healthy])
        #expect(Set(out.resumes) == h.sink.fillingPartitions)
        #expect(out.resumes.allSatisfy { !h.sink.parkedPartitions.contains($0) })
    }

    @Test("a graceful shutdown sends what parked partitions hold and resumes nothing")
    func shutdownFlushesParkedPartitions() {
        var h = Self.started()
        let out = h.send(.shutdown)
        #expect(out.resumes.isEmpty)
        #expect(Set(out.appends.map(\.topicPartition)) == Set(Self.partitions))
    }

    @Test("assigned during a rotation, a partition waits for its turn")
    func assignedDuringARotationParks() {
        var h = Self.started()
        let newcomer = TopicPartition(topic: "events", partition: 9)
        let out = h.send(.assigned([PartitionAssignment(newcomer, committed: nil)]))
        #expect(out.pauses.contains(newcomer))
        #expect(h.sink.parkedPartitions.contains(newcomer))
    }

    @Test("a large assignment takes turns from the start: only the filling partitions fetch")
    func largeAssignmentRotatesAtOnce() {
        var h = Harness(Self.settings())
        let out = h.send(.assigned(Self.partitions.map { PartitionAssignment($0, committed: nil) }))
        #expect(h.sink.fillingPartitions.count == 2)
        #expect(Set(out.pauses) == Set(Self.partitions).subtracting(h.sink.fillingPartitions))
    }

    @Test("with few partitions there is no rotation")
    func fewPartitionsDoNotRotate() {
        var h = Harness(Self.settings { $0.maxFillingPartitions = 6 })
        #expect(h.send(.assigned(Self.partitions.map { PartitionAssignment($0, committed: nil) })).pauses.isEmpty)
        for tp in Self.partitions { #expect(h.send(Self.delivery(tp, 0...2)).pauses.isEmpty) }
        #expect(h.sink.heldBytes > 8000)
        #expect(h.sink.parkedPartitions.isEmpty && h.sink.fillingPartitions.isEmpty)
    }
}

@Suite struct FreshnessTests {
    @Test("freshness is the age of the oldest record consumed and not yet committed")
    func freshnessFollowsCommits() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 3; $0.linger = .seconds(60) })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        #expect(h.sink.freshness(at: h.clock)[tp0] == .zero)
        let a = try #require(h.send(.records(records(tp0, 0...2))).appends.first)
        h.advance(.seconds(3))
        h.send(.records(records(tp0, 3...3)))
        h.advance(.seconds(2))
        #expect(h.sink.freshness(at: h.clock)[tp0] == .seconds(5))
        let commit = try #require(h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).commits.first)
        // Appended but not committed yet: still counted.
        #expect(h.sink.freshness(at: h.clock)[tp0] == .seconds(5))
        h.send(.commitCompleted(tp0, offset: commit.offset, .success))
        // Offset 3 (consumed 2 s ago) is what remains.
        #expect(h.sink.freshness(at: h.clock)[tp0] == .seconds(2))
    }
}
