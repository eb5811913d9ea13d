import OSSChecksum
import Foundation
import Testing
@testable import SinkCore

@Suite struct BatchingTests {
    @Test func firstBatchCreatesTheSegmentAndCommitsAfterSuccess() throws {
        var h = Harness()
        let settings = h.sink.settings
        let assigned = h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        #expect(assigned.recoveries == [.noCommit])
        let batch = records(tp0, 5...7)
        let out = h.send(.records(batch))
        let append = try #require(out.appends.first)
        #expect(out.appends.count == 1)
        #expect(append.key == "events/0/events+0+00000000000000000005.jsonl")
        #expect(append.position == 0 && append.isCreate)
        #expect(append.bytes == rendered(batch, settings))
        #expect(append.firstOffset == 5 && append.lastOffset == 7 && append.recordCount == 3)
        #expect(append.previousCRC64 == 0)
        #expect(append.expectedCRC64 == CRC64.checksum(append.bytes))
        let done = h.send(.appendCompleted(append.id, .success(nextPosition: append.bytes.count, crc64: append.expectedCRC64)))
        let commit = try #require(done.commits.first)
        #expect(commit.offset == 8)
        let metadata = try #require(CommitMetadata.parse(commit.metadata))
        #expect(metadata == CommitMetadata(key: append.key, position: append.bytes.count, crc64: append.expectedCRC64,
                                           firstOffset: 5, recordCount: 3, openedAtMs: h.wall))
    }

    @Test func lingerFlushesASmallBatchOnlyAfterItElapses() throws {
        var h = Harness()
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let out = h.send(.records(records(tp0, 0...1)))
        #expect(out.appends.isEmpty)
        #expect(out.timers == [h.clock + .seconds(1)])
        h.advance(.milliseconds(500))
        #expect(h.send(.timerFired).appends.isEmpty)
        h.advance(.milliseconds(500))
        let fired = h.send(.timerFired)
        #expect(fired.appends.count == 1)
        #expect(fired.appends[0].recordCount == 2)
    }

    @Test func timersAreCoalescedAcrossPartitions() throws {
        // 50 partitions, all fetching (no intake rotation).
        var h = Harness(testSettings { $0.maxFillingPartitions = 64 })
        let tps = (0..<50).map { TopicPartition(topic: "events", partition: Int32($0)) }
        h.send(.assigned(tps.map { PartitionAssignment($0, committed: nil) }))
        var timers: [Duration] = []
        for tp in tps {
            timers += h.send(.records([record(tp, 0)])).timers
            h.advance(.microseconds(150))
        }
        // 50 linger deadlines 150 µs apart: one timer, rounded up to 10 ms.
        #expect(timers == [h.clock - .microseconds(7500) + .seconds(1)])
        h.advance(.seconds(1))
        let fired = h.send(.timerFired)
        #expect(fired.appends.count == 50)
    }

    @Test func byteLimitSplitsBatchesAndAnOversizedRecordGoesAlone() throws {
        var h = Harness(testSettings { $0.batchMaxBytes = 600; $0.batchMaxRecords = 100 })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        // ~250-byte records: two fit under 600 bytes, the third starts a new batch.
        let out = h.send(.records(records(tp0, 0...2, size: 100)))
        let first = try #require(out.appends.first)
        #expect(first.recordCount == 2)
        #expect(first.bytes.count <= 600)
        // One append in flight per partition: nothing more until it completes.
        #expect(out.appends.count == 1)
        #expect(h.send(.records([record(tp0, 3, value: String(repeating: "y", count: 5000))])).appends.isEmpty)
        let next = h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64)))
        let second = try #require(next.appends.first)
        #expect(second.recordCount == 1 && second.firstOffset == 2)
        #expect(second.position == first.bytes.count && !second.isCreate)
        #expect(second.previousCRC64 == first.expectedCRC64)
        let third = h.send(.appendCompleted(second.id, .success(nextPosition: second.position + second.bytes.count, crc64: second.expectedCRC64)))
        let big = try #require(third.appends.first)
        #expect(big.recordCount == 1 && big.firstOffset == 3 && big.bytes.count > 5000)
    }

    @Test func uncommittedBytesAreBounded() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 1; $0.maxUncommittedBytes = 300 })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        var out = h.send(.records(records(tp0, 0...3, size: 100)))
        var a = try #require(out.appends.first)
        out = h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
        // The second append would pass 300 unacknowledged bytes: held until the commit is acknowledged.
        #expect(out.commits.map(\.offset) == [1])
        #expect(out.appends.isEmpty)
        out = h.send(.commitCompleted(tp0, offset: 1, .success))
        a = try #require(out.appends.first)
        #expect(a.firstOffset == 1)
    }

    @Test func commitFailuresAreRetried() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 1 })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records([record(tp0, 0)])).appends.first)
        let c = try #require(h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64))).commits.first)
        let failed = h.send(.commitCompleted(tp0, offset: c.offset, .failure("coordinator moved")))
        #expect(failed.notices.contains(.commitFailed(tp0, offset: 1, reason: "coordinator moved")))
        h.advance(.seconds(1))
        let retried = h.send(.timerFired)
        #expect(retried.commits == [c])
    }

    @Test func recordsForUnassignedPartitionsAndOldOffsetsAreIgnored() {
        var h = Harness()
        let out = h.send(.records([record(tp1, 0)]))
        #expect(out.notices == [.recordsIgnored(tp1, count: 1, reason: "partition not assigned to this member")])
        h.send(.assigned([PartitionAssignment(tp0, committed: CommittedOffset(offset: 10, metadata: nil))]))
        let dup = h.send(.records([record(tp0, 9), record(tp0, 10)]))
        #expect(dup.notices.contains(.recordsIgnored(tp0, count: 1, reason: "offset already handled")))
        #expect(h.sink.bufferedBytes(tp0) == rendered([record(tp0, 10)], h.sink.settings).count)
    }

    @Test func settingsAreValidated() {
        #expect(throws: SinkSettingsError.self) { try Sink(settings: testSettings { $0.maxObjectBytes = 6 << 30 }) }
        #expect(throws: SinkSettingsError.self) { try Sink(settings: testSettings { $0.batchMaxRecords = 0 }) }
        #expect(throws: SinkSettingsError.self) { try Sink(settings: SinkSettings(keyPrefix: "/archive/")) }
        #expect(throws: SinkSettingsError.self) { try Sink(settings: SinkSettings(keyPrefix: String(repeating: "p", count: 800))) }
        #expect(throws: Never.self) { try Sink(settings: SinkSettings(keyPrefix: "archive/")) }
        do {
            _ = try Sink(settings: testSettings { $0.batchMaxBytes = 0; $0.compression = .zstd(level: 99) })
            Issue.record("expected an error")
        } catch {
            #expect(error.problems.count == 2)
        }
    }
}

@Suite struct RolloverTests {
    mutating func complete(_ h: inout Harness, _ a: AppendRequest) -> [SinkAction] {
        h.send(.appendCompleted(a.id, .success(nextPosition: a.position + a.bytes.count, crc64: a.expectedCRC64)))
    }

    @Test mutating func sizeLimitRollsBeforeTheAppendThatWouldPassIt() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 1; $0.batchMaxBytes = 300; $0.maxObjectBytes = 400 })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records(records(tp0, 0...1, size: 100))).appends.first)
        let out = complete(&h, a)
        #expect(out.rollovers == [.size])
        // The next segment's first append waits for the commit that says the segment is finished.
        #expect(out.appends.isEmpty)
        let closed = h.acknowledgeCommits(out)
        let close = try #require(closed.commits.first)
        #expect(close.offset == 1 && CommitMetadata.parse(close.metadata)?.closed == true)
        let b = try #require(closed.appends.first)
        #expect(b.position == 0 && b.isCreate && b.key.hasSuffix("+00000000000000000001.jsonl"))
    }

    @Test mutating func ageLimitRollsTheSegment() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 1; $0.maxSegmentAge = .seconds(60) })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records([record(tp0, 0)])).appends.first)
        _ = complete(&h, a)
        h.advance(.seconds(30))
        let b = try #require(h.send(.records([record(tp0, 1)])).appends.first)
        #expect(b.key == a.key)
        _ = complete(&h, b)
        h.advance(.seconds(31))
        let out = h.send(.records([record(tp0, 2)]))
        #expect(out.rollovers == [.age])
        let next = h.acknowledgeCommits(h.log)
        #expect(next.appends.first?.position == 0)
        #expect(next.appends.first?.key.hasSuffix("+00000000000000000002.jsonl") == true)
    }

    @Test mutating func timeBucketsMoveForwardOnlyAndLateRecordsStay() throws {
        let template = try KeyTemplate("{topic}/{partition}/{yyyy}{MM}{dd}{HH}/{offset}{ext}")
        var h = Harness(testSettings { $0.keyTemplate = template; $0.batchMaxRecords = 100; $0.timeZone = TimeZone(identifier: "Asia/Shanghai")! })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let hour: Int64 = 1_700_002_800_000  // 2023-11-14T23:00:00Z = 07:00 +08
        let batch = [
            record(tp0, 0, time: hour + 10),
            record(tp0, 1, time: hour + 3_600_000 + 5),  // next hour: new bucket
            record(tp0, 2, time: hour + 20),            // late: stays in the open (later) segment
        ]
        let out = h.send(.records(batch))
        let a = try #require(out.appends.first)
        #expect(a.key == "events/0/2023111507/0.jsonl")
        #expect(a.recordCount == 1)  // cut at the bucket boundary without waiting for linger
        let done = complete(&h, a)
        #expect(done.rollovers == [.timeBucket])
        h.advance(.seconds(1))
        let next = h.acknowledgeCommits(done) + h.send(.timerFired)
        let b = try #require(next.appends.first)
        #expect(b.key == "events/0/2023111508/1.jsonl")
        #expect(b.recordCount == 2 && b.lastOffset == 2)
    }

    @Test mutating func theRepeatedHourOfAFallBackDayIsTwoBuckets() throws {
        let template = try KeyTemplate("{topic}/{partition}/{yyyy}{MM}{dd}T{HH}/{offset}{ext}")
        var h = Harness(testSettings { $0.keyTemplate = template; $0.batchMaxRecords = 1; $0.timeZone = TimeZone(identifier: "America/New_York")! })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let edt: Int64 = 1_730_611_800_000  // 2024-11-03T05:30Z = 01:30 EDT
        let est: Int64 = 1_730_615_400_000  // 2024-11-03T06:30Z = 01:30 EST
        let a = try #require(h.send(.records([record(tp0, 0, time: edt), record(tp0, 1, time: est)])).appends.first)
        #expect(a.key == "events/0/20241103T01/0.jsonl")
        let out = complete(&h, a)
        #expect(out.rollovers == [.timeBucket])
        #expect(h.acknowledgeCommits(out).appends.first?.key == "events/0/20241103T01/1.jsonl")
    }

    @Test mutating func wallClockTimestampsCanNameTheBucket() throws {
        let template = try KeyTemplate("{topic}/{partition}/{yyyy}-{MM}-{dd}/{offset}{ext}")
        var h = Harness(testSettings { $0.keyTemplate = template; $0.batchMaxRecords = 1; $0.timestampSource = .wallClock })
        h.wall = 1_704_067_200_000  // 2024-01-01T00:00Z
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        let a = try #require(h.send(.records([record(tp0, 0, time: 0)])).appends.first)
        #expect(a.key == "events/0/2024-01-01/0.jsonl")
    }
}
