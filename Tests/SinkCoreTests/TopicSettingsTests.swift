import Foundation
import OSSChecksum
@testable import SinkCore
import Testing

let events0 = TopicPartition(topic: "events", partition: 0)
let audit0 = TopicPartition(topic: "audit", partition: 0)
let logs0 = TopicPartition(topic: "logs-app", partition: 0)
let logs1 = TopicPartition(topic: "logs-db", partition: 1)

/// One sink, three topics with their own settings (the `kafka.topics` entries of the example): each
/// partition renders, compresses, names, batches, rolls over and seals as its topic says, while memory, appends in
/// flight and the rotation stay the sink's.
@Suite struct TopicSettingsTests {
    /// events: the sink's defaults (jsonl, none); audit: jsonl with JSON values, gzip, its own topic-less
    /// template with minute buckets, sealed; logs-*: raw, zstd, a prefix, wall-clock placement, small batches.
    static func settings(_ configure: (inout SinkSettings) -> Void = { _ in }) -> SinkSettings {
        var s = testSettings()
        s.topicRules = [
            TopicRule(.name("audit"), TopicSettings(
                keyTemplate: try! KeyTemplate("audit/{yyyy}{MM}{dd}/{HH}{mm}/{partition}-{offset:020}{ext}", requiresTopic: false),
                format: .jsonl(valueAsJSON: true), compression: .gzip(level: 9), batchMaxBytes: 1 << 20,
                batchMaxRecords: 2, linger: .seconds(5), maxObjectBytes: 1 << 30, sealOnRollover: true)),
            TopicRule(.pattern("^logs-.*"), TopicSettings(
                keyTemplate: try! KeyTemplate("{prefix}{topic}/{partition}/{offset:020}{ext}"), keyPrefix: "raw/",
                timestampSource: .wallClock, format: .raw(delimiter: Array("|\n".utf8)), compression: .zstd(level: 3),
                batchMaxBytes: 1 << 20, batchMaxRecords: 4, linger: .milliseconds(200), maxObjectBytes: 1 << 30)),
        ]
        configure(&s)
        return s
    }

    static func assign(_ h: inout Harness, _ tps: [TopicPartition]) {
        h.send(.assigned(tps.map { PartitionAssignment($0, committed: nil) }))
    }

    static func render(_ records: [SinkRecord], _ format: SinkSettings.Format) -> [UInt8] {
        let renderer = RecordRenderer(format: format)
        var out: [UInt8] = []
        for r in records { renderer.render(r, into: &out) }
        return out
    }

    @Test func eachTopicIsRenderedCompressedAndNamedByItsOwnSettings() throws {
        var h = Harness(Self.settings())
        Self.assign(&h, [events0, audit0, logs0])
        let json = { (tp: TopicPartition, o: Int64) in record(tp, o, value: "{\"n\":\(o)}") }
        let out = h.send(.records([json(events0, 0), json(events0, 1), json(events0, 2),
                                   json(audit0, 0), json(audit0, 1),
                                   json(logs0, 0), json(logs0, 1), json(logs0, 2), json(logs0, 3)]))
        // Each topic's batch is full at its own max_records: 3, 2 and 4.
        let appends = Dictionary(uniqueKeysWithValues: out.appends.map { ($0.topicPartition, $0) })
        #expect(Set(appends.keys) == [events0, audit0, logs0])
        let events = try #require(appends[events0])
        #expect(events.key == "events/0/events+0+00000000000000000000.jsonl")
        #expect(events.bytes == Self.render((0...2).map { json(events0, $0) }, .jsonl(valueAsJSON: false)))
        let audit = try #require(appends[audit0])
        // Record time 2023-11-14T22:13:20Z (UTC, the rule's time zone), no {topic} in the key.
        #expect(audit.key == "audit/20231114/2213/0-00000000000000000000.jsonl.gz")
        #expect(try AppendCompression.decompress(audit.bytes, .gzip(level: 9))
                    == Self.render((0...1).map { json(audit0, $0) }, .jsonl(valueAsJSON: true)))
        let logs = try #require(appends[logs0])
        #expect(logs.key == "raw/logs-app/0/00000000000000000000.bin.zst")
        #expect(try AppendCompression.decompress(logs.bytes, .zstd(level: 3)) == Array("{\"n\":0}|\n{\"n\":1}|\n{\"n\":2}|\n{\"n\":3}|\n".utf8))
    }

    @Test func lingerIsPerTopicAndATopicNoRuleMatchesTakesTheDefaults() throws {
        var h = Harness(Self.settings())
        let other = TopicPartition(topic: "orders", partition: 3)
        Self.assign(&h, [other, logs1])
        let first = h.send(.records([record(other, 0), record(logs1, 0)]))
        #expect(first.appends.isEmpty)
        // logs-* lingers 200 ms, the default 1 s.
        #expect(first.timers == [h.clock + .milliseconds(200)])
        h.advance(.milliseconds(200))
        let logs = h.send(.timerFired)
        #expect(logs.appends.map(\.topicPartition) == [logs1])
        #expect(logs.appends.first?.key == "raw/logs-db/1/00000000000000000000.bin.zst")
        h.advance(.milliseconds(800))
        let orders = try #require(h.send(.timerFired).appends.first)
        #expect(orders.key == "orders/3/orders+3+00000000000000000000.jsonl")
    }

    @Test func wallClockPlacementIsPerTopic() throws {
        // The record says 2023; the logs-* rule places by wall clock, so a minute-bucket template uses "now".
        var h = Harness(Self.settings { s in
            s.topicRules[1].settings.keyTemplate = try! KeyTemplate("{prefix}{topic}/{yyyy}/{mm}/{partition}/{offset:020}{ext}")
            s.topicRules[1].settings.batchMaxRecords = 1
        })
        h.wall = 1_800_000_000_000  // 2027-01-15T08:00:00Z
        Self.assign(&h, [logs0, audit0])
        let out = h.send(.records([record(logs0, 0), record(audit0, 0), record(audit0, 1)]))
        #expect(Set(out.appends.map(\.key)) == ["raw/logs-app/2027/00/0/00000000000000000000.bin.zst",
                                                  "audit/20231114/2213/0-00000000000000000000.jsonl.gz"])
    }

    @Test func timeBucketsAreTheTopicsOwn() throws {
        // audit rolls over at every minute ({mm}); events' template has no time fields.
        var h = Harness(Self.settings())
        Self.assign(&h, [events0, audit0])
        let minute: Int64 = 60_000
        var out = h.send(.records([record(audit0, 0, time: baseTime), record(audit0, 1, time: baseTime + minute),
                                   record(events0, 0, time: baseTime), record(events0, 1, time: baseTime + minute),
                                   record(events0, 2, time: baseTime + 2 * minute)]))
        let a = try #require(out.appends.first { $0.topicPartition == audit0 })
        #expect(a.recordCount == 1, "the next minute's record waits for the next segment")
        let e = try #require(out.appends.first { $0.topicPartition == events0 })
        #expect(e.recordCount == 3)
        out = h.send(.appendCompleted(a.id, .success(nextPosition: a.bytes.count, crc64: a.expectedCRC64)))
        out += h.acknowledgeCommits(out)
        #expect(out.rollovers == [.timeBucket])
        // The finished audit segment is sealed (its rule seals), then tagged with its format.
        let seal = try #require(out.seals.first)
        #expect(seal.key == a.key && seal.position == a.bytes.count)
        let tag = try #require(h.send(.sealCompleted(seal.id, .sealed)).tags.first)
        #expect(tag.tags.contains(SegmentTag("segment.format", "jsonl.json+gzip")) && tag.tags.last == SegmentTag("segment.sealed", "true"))
        // The next minute's record opens the next segment after audit's own linger (5 s).
        h.advance(.seconds(5))
        #expect(h.send(.timerFired).appends.first?.key == "audit/20231114/2214/0-00000000000000000001.jsonl.gz")
    }

    @Test func sealingFollowsEachTopicAndARefusalStopsItForAll() throws {
        var h = Harness(Self.settings { s in
            s.topicRules[0].settings.maxObjectBytes = 40
            s.topicRules[0].settings.batchMaxBytes = 40
            s.topicRules[1].settings.maxObjectBytes = 10
            s.topicRules[1].settings.batchMaxBytes = 10
            s.topicRules[1].settings.batchMaxRecords = 1
            s.topicRules[0].settings.batchMaxRecords = 1
        })
        #expect(h.sink.sealing)
        Self.assign(&h, [audit0, logs0])
        // First append of each, then the second one rolls over by size.
        for tp in [audit0, logs0] {
            let first = try #require(h.send(.records(records(tp, 0...1, size: 30))).appends.first)
            h.acknowledgeCommits(h.send(.appendCompleted(first.id, .success(nextPosition: first.bytes.count, crc64: first.expectedCRC64))))
        }
        #expect(h.log.rollovers == [.size, .size])
        // audit (sealed by its rule) gets a seal; logs-* (no seal) is tagged at once, sealed: false.
        #expect(h.log.seals.map(\.topicPartition) == [audit0])
        let logsTag = try #require(h.log.tags.first { $0.topicPartition == logs0 })
        #expect(logsTag.tags.contains(SegmentTag("segment.format", "raw+zstd")) && logsTag.tags.last == SegmentTag("segment.sealed", "false"))
        let refused = h.send(.sealCompleted(h.log.seals[0].id, .notEnabled("OperationNotSupported")))
        #expect(refused.notices.contains(.sealNotEnabled(audit0, key: h.log.seals[0].key, reason: "OperationNotSupported")))
        #expect(!h.sink.sealing)
        #expect(refused.tags.first?.tags.last == SegmentTag("segment.sealed", "false"))
    }

    @Test func recoveryProvesATailWithItsTopicsCompression() throws {
        var h = Harness(Self.settings())
        let s = h.sink.settings.topicSettings(for: "logs-app")
        // The object: [0...3] committed, then [4...5] appended by a run that crashed before committing.
        let committed = AppendCompression.compress(Self.render(records(logs0, 0...3), s.format), s.compression)
        let tail = AppendCompression.compress(Self.render(records(logs0, 4...5), s.format), s.compression)
        let key = "raw/logs-app/0/00000000000000000000.bin.zst"
        let meta = CommitMetadata(key: key, position: committed.count, crc64: CRC64.checksum(committed), firstOffset: 0,
                                  recordCount: 4, openedAtMs: baseTime)
        let head = try #require(h.send(.assigned([PartitionAssignment(logs0, committed: CommittedOffset(offset: 4, metadata: meta.encoded))])).heads.first)
        let info = ObjectInfo(length: committed.count + tail.count, crc64: CRC64.checksum(committed + tail), appendable: true)
        let range = try #require(h.send(.headCompleted(head.id, .found(info))).ranges.first)
        // The tail a logs-* writer may have left: the sink's uncommitted bytes plus two of the topic's batches.
        #expect(range.range == committed.count..<info.length)
        h.send(.rangeCompleted(range.id, .success(tail)))
        let out = h.send(.records(records(logs0, 4...9)))
        #expect(out.recoveries == [.tailProven])
        #expect(out.commits.first?.offset == 6)
        let next = try #require(out.appends.first)
        #expect(next.key == key && next.position == info.length && next.firstOffset == 6)
        #expect(try AppendCompression.decompress(next.bytes, s.compression) == Self.render(records(logs0, 6...9), s.format))
    }

    @Test func oneMemoryBudgetAndOneRotationForEveryTopic() throws {
        // 9 partitions over three topics, 4 filling at a time once memory is short.
        let tps = (0..<3).flatMap { p in [TopicPartition(topic: "events", partition: p), TopicPartition(topic: "audit", partition: p),
                                           TopicPartition(topic: "logs-app", partition: p)] }
        var h = Harness(Self.settings { s in
            s.maxBufferedBytes = 1 << 16; s.rotateAboveBytes = 4096; s.maxFillingPartitions = 4
            s.resumeBelowBytes = 1 << 15
            s.batchMaxBytes = 1 << 15
            for i in s.topicRules.indices {
                s.topicRules[i].settings.batchMaxBytes = 1 << 15
                s.topicRules[i].settings.batchMaxRecords = 1000
            }
            s.batchMaxRecords = 1000
        })
        Self.assign(&h, tps)
        h.send(.records(tps.flatMap { records($0, 0...9, size: 100) }))
        #expect(h.sink.heldBytes > 4096)
        #expect(h.log.notices.contains { if case .rotationStarted = $0 { true } else { false } })
        #expect(h.sink.fillingPartitions.count <= 4)
        #expect(h.sink.fillingPartitions.count + h.sink.parkedPartitions.count == tps.count)
        // The partitions of all three topics take turns together: 4 fill, the other 5 wait.
        #expect(h.sink.parkedPartitions.count == 5)
        #expect(Set(h.sink.parkedPartitions.map(\.topic)).count > 1)
    }

    @Test func settingsAreCheckedPerTopic() {
        var s = Self.settings()
        s.topicRules[1].settings.batchMaxBytes = 2 << 30
        s.topicRules.append(TopicRule(.pattern("^m.*"), TopicSettings(
            keyTemplate: try! KeyTemplate("m/{partition}/{offset}{ext}", requiresTopic: false))))
        #expect(throws: SinkSettingsError.self) { try Sink(settings: s) }
        do {
            try s.validate()
        } catch {
            #expect(error.problems.contains("topic ^logs-.*: batch max_bytes (2147483648) must not exceed rollover max_object_bytes (1073741824)"))
            #expect(error.problems.contains("topic ^logs-.*: max_buffered_bytes (67108864) must be at least batch max_bytes (2147483648)"))
            #expect(error.problems.contains("topic ^m.*: the key template \"m/{partition}/{offset}{ext}\" has no {topic}, but more than one topic may use it: their segments would share keys; add {topic}"))
            #expect(error.problems.count == 3)
        }
        // A name rule may leave {topic} out.
        #expect(throws: Never.self) { try Sink(settings: Self.settings()) }
    }
}

extension TopicSettingsTests {
    /// The crash simulation with three topics: every topic's records archived once, in order, in its own format,
    /// compression and keys; finished segments sealed only where the topic seals.
    @Test(arguments: [UInt64(21), 22, 23])
    func threeTopicsThroughCrashes(seed: UInt64) {
        let settings = Self.settings { s in
            s.batchMaxRecords = 15
            // audit: minute buckets roll over and seal; logs-*: small objects roll over by size, tagged only.
            s.topicRules[0].settings.batchMaxRecords = 4
            s.topicRules[1].settings.batchMaxRecords = 6
            s.topicRules[1].settings.batchMaxBytes = 300
            s.topicRules[1].settings.maxObjectBytes = 300
        }
        let partitions = [events0, TopicPartition(topic: "events", partition: 1), audit0, logs0, logs1]
        var sim = Simulation(settings: settings, partitions: partitions, recordsPerPartition: 250, seed: seed)
        sim.crashAfterAppend = 0.06
        sim.crashAfterFinishing = 0.1
        sim.loseCommit = 0.2
        sim.loseResponse = 0.1
        sim.start()
        sim.runToEnd()
        sim.settleFinishing()
        #expect(sim.crashes > 2)
        #expect(sim.outcomes.contains(.tailProven))
        for tp in partitions {
            #expect(sim.archive(tp) == sim.expected(tp), "\(tp)")
            #expect(sim.committed[tp]?.offset == 250)
            sim.checkFinished(tp)
        }
        let keys = Array(sim.oss.objects.keys)
        #expect(keys.contains { $0.hasPrefix("audit/") && $0.hasSuffix(".jsonl.gz") })
        #expect(keys.contains { $0.hasPrefix("raw/logs-db/1/") && $0.hasSuffix(".bin.zst") })
        #expect(sim.oss.objects.filter { $0.key.hasPrefix("audit/") }.values.filter(\.sealed).count > 1)
        #expect(sim.oss.objects.filter { !$0.key.hasPrefix("audit/") }.values.allSatisfy { !$0.sealed })
        #expect(sim.oss.objects.filter { $0.key.hasPrefix("raw/") }.count > 4, "logs-* rolled over by size")
        sim.checkCommitMetadata()
    }
}
