import ArchiveReading
import KafkaBridge
import OSSChecksum
import Replay
import SinkCore
import Testing

/// Replay's decisions without servers: provenance, selection, planning, mapping, resume, retention, time, rate.
@Suite struct ReplayLogicTests {
    @Test func provenanceRoundTripsAndRejectsLookalikes() {
        let provenance = Provenance(topic: "orders.v2_eu-1", partition: 17, offset: 9_223_372_036_854_775_806)
        #expect(String(decoding: provenance.encoded, as: UTF8.self) == "orders.v2_eu-1/17/9223372036854775806")
        #expect(Provenance(value: provenance.encoded) == provenance)
        #expect(Provenance(value: Array("t/0/0".utf8)) == Provenance(topic: "t", partition: 0, offset: 0))
        for bad in ["t/0", "/0/1", "t/-1/5", "t/1/05", "t/1/", "t/x/1", "t t/1/2", "t/1/2/", "t/2147483648/1", "t/1/99999999999999999999"] {
            #expect(Provenance(value: Array(bad.utf8)) == nil, "\(bad)")
        }
        #expect(Provenance.headerName == "kafka-oss-sink.source")
    }

    @Test func theLastProvenanceHeaderIsTheRecordsOwn() {
        let headers = [
            KafkaHeader(key: Provenance.headerName, value: Array("older/1/5".utf8)),
            KafkaHeader(key: "other", value: nil),
            KafkaHeader(key: Provenance.headerName, value: Array("events/3/40".utf8)),
        ]
        #expect(Provenance.of(headers: headers, name: \.key, value: \.value) == Provenance(topic: "events", partition: 3, offset: 40))
        #expect(Provenance.of(headers: [KafkaHeader(key: "x", value: nil)], name: \.key, value: \.value) == nil)
    }

    @Test func selectionBoundariesAreHalfOpen() {
        let offsets = ReplaySelection(fromOffset: 10, toOffset: 20)
        #expect(offsets.decide(offset: 9, timestampMs: 0) == .beforeRange)
        #expect(offsets.decide(offset: 10, timestampMs: 0) == .produce)
        #expect(offsets.decide(offset: 19, timestampMs: nil) == .produce)
        #expect(offsets.decide(offset: 20, timestampMs: 0) == .pastRange)
        let times = ReplaySelection(fromTimeMs: 1000, toTimeMs: 2000)
        #expect(times.decide(offset: 0, timestampMs: 999) == .outsideTime)
        #expect(times.decide(offset: 0, timestampMs: 1000) == .produce)
        #expect(times.decide(offset: 0, timestampMs: 1999) == .produce)
        #expect(times.decide(offset: 0, timestampMs: 2000) == .outsideTime)
        #expect(times.decide(offset: 0, timestampMs: nil) == .noTimestamp)
        #expect(ReplaySelection(fromOffset: 5, toOffset: 5).problem != nil)
        #expect(ReplaySelection(fromTimeMs: 5, toTimeMs: 4).problem != nil)
        #expect(ReplaySelection(fromOffset: 5, toOffset: 6).problem == nil)
    }

    func segments(_ firsts: [Int64]) -> [ArchivedSegment] {
        firsts.map { ArchivedSegment(key: "s\($0)", firstOffset: $0, size: 100) }
    }

    @Test func planningReadsOnlySegmentsThatCanHoldSelectedRecords() {
        let all = segments([0, 100, 200, 300])
        func keys(_ selection: ReplaySelection, resumeAfter: Int64? = nil, last: Int64? = 349) -> [String] {
            ReplayPlanner.select(all, lastOffset: last, selection: selection, resumeAfter: resumeAfter).read.map(\.segment.key)
        }
        #expect(keys(ReplaySelection()) == ["s0", "s100", "s200", "s300"])
        #expect(keys(ReplaySelection(fromOffset: 100)) == ["s100", "s200", "s300"])
        #expect(keys(ReplaySelection(fromOffset: 99)) == ["s0", "s100", "s200", "s300"])
        #expect(keys(ReplaySelection(toOffset: 200)) == ["s0", "s100"])
        #expect(keys(ReplaySelection(toOffset: 201)) == ["s0", "s100", "s200"])
        #expect(keys(ReplaySelection(), resumeAfter: 199) == ["s200", "s300"])
        #expect(keys(ReplaySelection(), resumeAfter: 349) == [])
        #expect(keys(ReplaySelection(), resumeAfter: 349, last: nil) == ["s300"])
        #expect(keys(ReplaySelection(fromOffset: 350)) == [])
        let selected = ReplayPlanner.select(all, lastOffset: 349, selection: ReplaySelection(), resumeAfter: nil)
        #expect(selected.read.map(\.endOffset) == [100, 200, 300, nil])
        #expect(ReplayPlanner.select(all, lastOffset: 349, selection: ReplaySelection(), resumeAfter: 250).skipped == 2)

        let range = ReplayPlanner.offsetRange(
            read: ReplayPlanner.select(all, lastOffset: 349, selection: ReplaySelection(fromOffset: 150, toOffset: 320), resumeAfter: 160).read,
            lastOffset: 349, selection: ReplaySelection(fromOffset: 150, toOffset: 320), resumeAfter: 160)
        #expect(range.first == 161 && range.last == 319 && range.count == 159)
        let open = ReplayPlanner.offsetRange(
            read: ReplayPlanner.select(all, lastOffset: nil, selection: ReplaySelection(), resumeAfter: nil).read,
            lastOffset: nil, selection: ReplaySelection(), resumeAfter: nil)
        #expect(open.first == 0 && open.last == nil && open.count == nil)
    }

    @Test func checkpointsComeFromTheObjectAndTheCommitThatNamesIt() {
        let head = ArchivedObjectHead(length: 1000, appendable: true, crc64: 77)
        let plain = ReplayPlanner.checkpoints(key: "k", head: head, commit: nil)
        #expect(plain.checkpoints == [CRCCheckpoint(position: 1000, crc64: 77, source: .object)])
        #expect(plain.blocked == nil)
        let commit = (offset: Int64(50), metadata: CommitMetadata(key: "k", position: 600, crc64: 5))
        let both = ReplayPlanner.checkpoints(key: "k", head: head, commit: commit)
        #expect(both.checkpoints.map(\.position) == [1000, 600])
        #expect(both.checkpoints.last?.source == .commit(offset: 50))
        let other = ReplayPlanner.checkpoints(key: "other", head: head, commit: commit)
        #expect(other.checkpoints.count == 1)
        let longer = ReplayPlanner.checkpoints(key: "k", head: head, commit: (50, CommitMetadata(key: "k", position: 2000, crc64: 5)))
        #expect(longer.blocked?.contains("truncated or replaced") == true)
        // A finished segment the commit still lists (seal or tags not confirmed) gets its checkpoint too.
        let listing = CommitMetadata(
            key: "open", position: 10, crc64: 1,
            finishing: [SegmentDescription(key: "k", length: 1000, crc64: 76, firstOffset: 0, lastOffset: 49, recordCount: 50)])
        let finished = ReplayPlanner.checkpoints(key: "k", head: head, commit: (offset: 60, metadata: listing))
        #expect(finished.checkpoints.contains(CRCCheckpoint(position: 1000, crc64: 76, source: .commit(offset: 60))))
        let noCRC = ReplayPlanner.checkpoints(key: "k", head: ArchivedObjectHead(length: 10, appendable: true, crc64: nil), commit: nil)
        #expect(noCRC.blocked?.contains("x-oss-hash-crc64ecma") == true)
    }

    @Test func coldObjectsNeedARestore() {
        #expect(ArchivedObjectHead(length: 1, appendable: true, crc64: 1, storageClass: "ColdArchive").needsRestore)
        #expect(ArchivedObjectHead(length: 1, appendable: true, crc64: 1, storageClass: "Archive", restore: "ongoing-request=\"true\"").needsRestore)
        #expect(ArchivedObjectHead(length: 1, appendable: true, crc64: 1, storageClass: "Archive", restore: "ongoing-request=\"true\"").restoreInProgress)
        #expect(!ArchivedObjectHead(length: 1, appendable: true, crc64: 1, storageClass: "Archive",
                                    restore: "ongoing-request=\"false\", expiry-date=\"Sun, 16 Apr 2017 08:12:33 GMT\"").needsRestore)
        #expect(!ArchivedObjectHead(length: 1, appendable: true, crc64: 1, storageClass: "IA").needsRestore)
        let text = "\(ArchiveObjectNeedsRestore(key: "events/0/x.jsonl", storageClass: "ColdArchive", inProgress: false))"
        #expect(text.contains("events/0/x.jsonl is in ColdArchive storage and must be restored"))
    }

    @Test func fewerTargetPartitionsAreRefusedUnlessRepartitioned() throws {
        let error = #expect(throws: ReplayError.self) {
            _ = try TargetMapping.choose(sourceTopic: "a", sourcePartitions: [0, 1, 2, 3], targetTopic: "b", targetPartitions: 2,
                                         repartition: false, partitioner: .consistent)
        }
        #expect(error?.code == .targetTooSmall)
        #expect(error?.message.contains("--repartition") == true)
        #expect(try TargetMapping.choose(sourceTopic: "a", sourcePartitions: [0, 1], targetTopic: "b", targetPartitions: 2,
                                         repartition: false, partitioner: .consistent) == .samePartition)
        // Only partition 3 selected: a target of 4 partitions is enough.
        #expect(try TargetMapping.choose(sourceTopic: "a", sourcePartitions: [3], targetTopic: "b", targetPartitions: 4,
                                         repartition: false, partitioner: .consistent) == .samePartition)
        let byKey = try TargetMapping.choose(sourceTopic: "a", sourcePartitions: [0, 1, 2, 3], targetTopic: "b", targetPartitions: 3,
                                             repartition: true, partitioner: .consistent)
        #expect(byKey == .byKey(.consistent, partitions: 3))
        // Keyed records by hash (the same every time); null and empty keys by source partition.
        let key = Array("user-42".utf8)
        let hashed = key.withUnsafeBytes { byKey.target(sourcePartition: 3, key: $0) }
        #expect(hashed == key.withUnsafeBytes { KafkaPartitioner.consistent.partition(key: $0, partitionCount: 3) })
        #expect(byKey.target(sourcePartition: 3, key: nil) == 0)
        #expect([UInt8]().withUnsafeBytes { byKey.target(sourcePartition: 2, key: $0) } == 2)
        #expect(TargetMapping.samePartition.target(sourcePartition: 7, key: nil) == 7)
    }

    @Test func resumeScanFindsTheNewestProvenancePerSourcePartition() {
        func p(_ partition: Int32, _ offset: Int64, topic: String = "events") -> Provenance? {
            Provenance(topic: topic, partition: partition, offset: offset)
        }
        // Without --repartition: target 2 holds source 2 only.
        var same = ResumeScan(sourceTopic: "events", wanted: [2], onlySource: 2)
        same.feed([(10, p(2, 98)), (11, p(2, 99)), (12, nil), (13, nil)])
        #expect(same.found == [2: 99])
        #expect(same.foreignRecords == 2)
        #expect(same.isComplete)
        // Older windows arrive later and change nothing once found.
        same.feed([(9, p(2, 97))])
        #expect(same.found == [2: 99])

        var conflict = ResumeScan(sourceTopic: "events", wanted: [2], onlySource: 2)
        conflict.feed([(5, p(2, 40)), (6, p(3, 7))])
        #expect(conflict.conflict?.provenance == Provenance(topic: "events", partition: 3, offset: 7))
        var otherTopic = ResumeScan(sourceTopic: "events", wanted: [0, 1], onlySource: nil)
        otherTopic.feed([(5, p(0, 1, topic: "clicks"))])
        #expect(otherTopic.conflict != nil)

        // With --repartition: every source partition's newest record in this target.
        var spread = ResumeScan(sourceTopic: "events", wanted: [0, 1, 2], onlySource: nil)
        spread.feed([(20, p(0, 5)), (21, p(1, 9)), (22, p(0, 7))])
        #expect(!spread.isComplete)
        spread.feed([(15, p(2, 3)), (16, p(1, 8))])
        #expect(spread.found == [0: 7, 1: 9, 2: 3])
        #expect(spread.isComplete)
    }

    @Test func retentionWarnsOnlyWhenRecordsAreOlderThanKept() {
        let day: Int64 = 86_400_000
        let now: Int64 = 1_800_000_000_000
        let warning = RetentionCheck.warning(targetTopic: "t", retentionMs: 7 * day, oldestTimestampMs: now - 8 * day, nowMs: now)
        #expect(warning?.contains("retention.ms=604800000") == true)
        #expect(warning?.contains("7d") == true)
        #expect(RetentionCheck.warning(targetTopic: "t", retentionMs: 7 * day, oldestTimestampMs: now - 6 * day, nowMs: now) == nil)
        #expect(RetentionCheck.warning(targetTopic: "t", retentionMs: -1, oldestTimestampMs: 0, nowMs: now) == nil)
        #expect(RetentionCheck.warning(targetTopic: "t", retentionMs: nil, oldestTimestampMs: 0, nowMs: now) == nil)
    }

    @Test func rfc3339ParsesAndFormats() {
        #expect(ReplayTime.parse("1970-01-01T00:00:00Z") == 0)
        #expect(ReplayTime.parse("2026-12-01T10:00:00Z") == 1_796_119_200_000)
        #expect(ReplayTime.parse("2026-12-01T18:00:00.25+08:00") == 1_796_119_200_250)
        #expect(ReplayTime.parse("2026-12-01t09:30:00.123-00:30") == 1_796_119_200_123)
        #expect(ReplayTime.parse("2024-02-29 00:00:00Z") == 1_709_164_800_000)
        for bad in ["2026-12-01", "2026-12-01T10:00:00", "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01T10:00:00+0800", "yesterday"] {
            #expect(ReplayTime.parse(bad) == nil, "\(bad)")
        }
        #expect(ReplayTime.format(1_796_119_200_250) == "2026-12-01T10:00:00.250Z")
        #expect(ReplayTime.format(0) == "1970-01-01T00:00:00Z")
        #expect(ReplayTime.format(-1) == "1969-12-31T23:59:59.999Z")
        for ms: Int64 in [0, 1, 999, 86_399_999, 951_782_400_000, 4_102_444_799_999] {
            #expect(ReplayTime.parse(ReplayTime.format(ms)) == ms)
        }
        #expect(ReplayTime.duration(ms: 604_800_000) == "7d")
        #expect(ReplayTime.duration(ms: 90_000) == "90s")
    }

    @Test func tokenBucketPacesToTheRate() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(bytesPerSecond: 1000, now: start)
        #expect(bucket.take(100, now: start) == .zero)  // the burst: a tenth of a second
        let wait = bucket.take(1000, now: start)
        #expect(wait == .seconds(1))
        // Two seconds later the debt is paid and the burst refilled: another second's worth waits 0.9 s.
        #expect(bucket.take(1000, now: start + .seconds(2)) == .milliseconds(900))
    }
}
