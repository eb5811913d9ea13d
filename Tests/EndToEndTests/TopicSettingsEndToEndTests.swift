import ArchiveReading
import Foundation
import KafkaBridge
import Logging
import OSSClient
import OSSEmulator
import OSSSigning
import Replay
import SinkApp
import SinkConfig
import SinkCore
import SinkTesting
import Testing

/// One sink archiving three kinds of topics with their own `kafka.topics` settings (mock cluster + emulator):
/// each object has its topic's key, extension, content type, storage class, tags and contents; a restart after
/// appends whose commits failed proves every partition's tail with its topic's format and compression; `verify`
/// (library and CLI) finds every topic's segments clean.
@Suite(.serialized) struct TopicSettingsEndToEndTests {
    /// The three entries: the stack's topic with the defaults, an audit topic (jsonl with JSON values, gzip,
    /// a topic-less hourly template, sealed, IA, its own tags), and a pattern for raw zstd logs under `raw/`.
    static func topics(_ stack: TestStack) -> String {
        """
        - "\(stack.topic)"
        - name: "\(stack.topic)-audit"
          json_value: json
          compression: gzip
          key_template: "{prefix}audit/{yyyy}/{MM}/{dd}/{HH}/{partition}-{offset:020}{ext}"
          rollover:
            seal: true
          storage_class: IA
          tags:
            team: audit
        - pattern: "^\(stack.topic)-logs-.*"
          format: raw
          compression: zstd
          prefix: "raw/"
          key_template: "{prefix}{topic}/{partition}/{yyyy}{MM}{dd}{HH}/{offset:020}{ext}"
          batch:
            max_bytes: 16KiB
        """
    }

    static let sink = """
          batch:
            max_bytes: 64KiB
            linger: 100ms
        """

    /// Records of the audit topic (JSON values) and of the logs topics (text lines), `stepMs` apart.
    struct Waves {
        var events: [Int32: [SinkRecord]] = [:]
        var audit: [SinkRecord] = []
        var logs: [String: [SinkRecord]] = [:]

        mutating func add(_ other: Waves) {
            events = mergedWaves(events, other.events)
            audit += other.audit
            for (topic, records) in other.logs { logs[topic, default: []] += records }
        }

        var committedOffsets: [String: [Int32: Int64]] {
            var out: [String: [Int32: Int64]] = [:]
            if let topic = events.values.first?.first?.topic { out[topic] = nextOffsets(events) }
            if let last = audit.last { out[last.topic] = [0: last.offset + 1] }
            for (topic, records) in logs { out[topic] = [0: Int64(records.count)] }
            return out
        }
    }

    func produce(_ stack: TestStack, wave: Int, count: Int, after: Waves?, stepMs: Int64) async throws -> Waves {
        var waves = Waves()
        waves.events = try await stack.produce(count: 4 * count, partitions: 2, startOffsets: after.map { nextOffsets($0.events) } ?? [:],
                                               seed: wave)
        let auditStart = Int64(after?.audit.count ?? 0)
        let firstTime = after?.audit.last.map { $0.timestampMs + 1000 }
        waves.audit = try await stack.produce(values: smallValues(count, wave: wave), partition: 0, startOffset: auditStart,
                                              timestampStepMs: stepMs, firstTimestampMs: firstTime, topic: "\(stack.topic)-audit")
        for name in ["a", "b"] {
            let topic = "\(stack.topic)-logs-\(name)"
            let start = Int64(after?.logs[topic]?.count ?? 0)
            let lines = (0..<count).map { Array("\(name) line \(wave)-\($0) \(String(repeating: "x", count: $0 % 40))".utf8) }
            waves.logs[topic] = try await stack.produce(
                values: lines, partition: 0, startOffset: start, timestampStepMs: stepMs,
                firstTimestampMs: after?.logs[topic]?.last.map { $0.timestampMs + 1000 }, topic: topic)
        }
        return waves
    }

    func committed(_ stack: TestStack, _ offsets: [String: [Int32: Int64]]) async -> Bool {
        for (topic, expected) in offsets {
            guard let commits = try? await stack.stack.committed(group: stack.group, topic: topic, partitions: expected.count),
                  expected.allSatisfy({ commits[$0.key]?.offset == $0.value }) else { return false }
        }
        return true
    }

    /// Decoded bytes of every object under `prefix`.
    func decodedCount(_ stack: TestStack, prefix: String, _ compression: SinkSettings.Compression) async -> Int {
        var total = 0
        for object in (try? await stack.stack.objects(prefix: prefix)) ?? [] {
            guard let plain = try? AppendCompression.decompress(object.bytes, compression) else { return -1 }
            total += plain.count
        }
        return total
    }

    func render(_ records: [SinkRecord], _ format: SinkSettings.Format) -> [UInt8] {
        let renderer = RecordRenderer(format: format)
        var out: [UInt8] = []
        for record in records { renderer.render(record, into: &out) }
        return out
    }

    static let auditFormat = SinkSettings.Format.jsonl(valueAsJSON: true)
    static let rawFormat = SinkSettings.Format.raw(delimiter: [0x0a])

    /// Everything produced is in OSS (decoded), for every topic.
    func landed(_ stack: TestStack, _ all: Waves) async -> Bool {
        guard await decodedCount(stack, prefix: "\(stack.topic)/", .none) >= all.events.values.reduce(0, { $0 + render($1, .jsonl(valueAsJSON: false)).count }),
              await decodedCount(stack, prefix: "audit/", .gzip(level: 6)) >= render(all.audit, Self.auditFormat).count
        else { return false }
        for (topic, records) in all.logs {
            guard await decodedCount(stack, prefix: "raw/\(topic)/", .zstd(level: 3)) >= render(records, Self.rawFormat).count else { return false }
        }
        return true
    }

    /// The hour (UTC) a record's timestamp falls in, as the hourly templates write it.
    static func hour(_ ms: Int64) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        return ("\(c.year!)/\(two(c.month))/\(two(c.day))/\(two(c.hour))", "\(c.year!)\(two(c.month))\(two(c.day))\(two(c.hour))")
    }

    /// Segments split at each new hour of the records' timestamps (the first record of each hour starts one).
    static func hourly(_ records: [SinkRecord]) -> [[SinkRecord]] {
        var segments: [[SinkRecord]] = []
        for record in records {
            if let last = segments.last?.last, hour(last.timestampMs).0 == hour(record.timestampMs).0 {
                segments[segments.count - 1].append(record)
            } else {
                segments.append([record])
            }
        }
        return segments
    }

    /// Each topic's objects: the keys its template gives, its extension, content type, storage class, tags and
    /// contents; finished segments sealed only where the topic seals.
    func expectObjects(_ stack: TestStack, _ all: Waves) async throws {
        let client = try OSSClient(configuration: try OSSClientConfiguration(try stack.configuration(topics: Self.topics(stack)).oss))
        defer { Task { try? await client.shutdown() } }

        for partition in Int32(0)...1 {
            let objects = try await stack.objects(partition: partition)
            #expect(!objects.isEmpty)
            #expect(objects.allSatisfy { $0.record.key.hasSuffix(".jsonl") && $0.record.attributes.contentType == "application/x-ndjson" })
            #expect(objects.allSatisfy { $0.record.attributes.storageClass == "Standard" && $0.record.attributes.tagging == nil })
            #expect(objects.first?.record.key.hasPrefix("\(stack.topic)/\(partition)/") == true)
            #expect(objects.flatMap(\.bytes) == render(all.events[partition]!, .jsonl(valueAsJSON: false)))
        }

        let audit = try await stack.stack.objects(prefix: "audit/")
        let auditSegments = Self.hourly(all.audit)
        #expect(auditSegments.count >= 3, "the audit records span hours")
        #expect(audit.map(\.record.key) == auditSegments.map {
            "audit/\(Self.hour($0[0].timestampMs).0)/0-\(String(format: "%020lld", $0[0].offset)).jsonl.gz"
        })
        for (index, (object, records)) in zip(audit, auditSegments).enumerated() {
            #expect(try AppendCompression.decompress(object.bytes, .gzip(level: 6)) == render(records, Self.auditFormat))
            #expect(object.record.attributes.contentType == "application/gzip")
            #expect(object.record.attributes.storageClass == "IA")
            let tags = try await client.getObjectTagging(key: object.record.key)
            #expect(tags.contains { $0.key == "team" && $0.value == "audit" }, "\(object.record.key): \(tags)")
            let finished = index < audit.count - 1
            #expect((object.record.sealedTime != nil) == finished, "\(object.record.key) sealed: \(object.record.sealedTime != nil)")
            if finished {
                #expect(tags.contains { $0.key == SegmentTags.format && $0.value == "jsonl.json+gzip" })
                #expect(tags.contains { $0.key == SegmentTags.sealed && $0.value == "true" })
            }
        }

        for (topic, records) in all.logs {
            let objects = try await stack.stack.objects(prefix: "raw/\(topic)/")
            let segments = Self.hourly(records)
            #expect(objects.map(\.record.key) == segments.map {
                "raw/\(topic)/0/\(Self.hour($0[0].timestampMs).1)/\(String(format: "%020lld", $0[0].offset)).bin.zst"
            })
            for (index, (object, segment)) in zip(objects, segments).enumerated() {
                #expect(try AppendCompression.decompress(object.bytes, .zstd(level: 3)) == render(segment, Self.rawFormat))
                #expect(object.record.attributes.contentType == "application/zstd" && object.record.attributes.storageClass == "Standard")
                #expect(object.record.sealedTime == nil, "logs topics do not seal")
                if index < objects.count - 1 {
                    let tags = try await client.getObjectTagging(key: object.record.key)
                    #expect(tags.contains { $0.key == SegmentTags.format && $0.value == "raw+zstd" })
                    #expect(tags.contains { $0.key == SegmentTags.sealed && $0.value == "false" })
                }
            }
        }
    }

    @Test func threeTopicsWithTheirOwnSettingsInOneSinkThroughARestartWithUncommittedTails() async throws {
        let stack = try await TestStack(partitions: 2, name: "e2e-topics")
        defer { Task { await stack.shutdown() } }
        try stack.createTopic(suffix: "audit", partitions: 1)
        try stack.createTopic(suffix: "logs-a", partitions: 1)
        try stack.createTopic(suffix: "logs-b", partitions: 1)
        let configuration = try stack.configuration(topics: Self.topics(stack), sink: Self.sink, shutdownTimeout: "3s")

        // Wave 0: records 10 minutes apart, so the hourly templates roll over (audit seals, logs tags only).
        var all = try await produce(stack, wave: 0, count: 30, after: nil, stepMs: 600_000)
        let wave0 = all
        try await stack.runSink(configuration) { await committed(stack, wave0.committedOffsets) }
        #expect(await committed(stack, wave0.committedOffsets))
        await eventually(timeout: .seconds(20)) {
            // Tags of the finished segments may still be on their way when the commits are.
            let audit = (try? await stack.stack.objects(prefix: "audit/")) ?? []
            return audit.dropLast().allSatisfy { $0.record.sealedTime != nil && $0.record.attributes.tagging?.contains("segment.") == true }
        }
        try await expectObjects(stack, all)

        // Wave 1 within the last hour, appended while every commit fails: each open segment gets a tail that no
        // commit describes.
        try stack.cluster.pushRequestErrors(.offsetCommit, Array(repeating: .offsetMetadataTooLarge, count: 100_000))
        let wave1 = try await produce(stack, wave: 1, count: 12, after: all, stepMs: 1000)
        all.add(wave1)
        let landedAll = all
        let gaveUp = FailureSignal()
        do {
            try await stack.runSink(configuration, reporter: gaveUp) {
                guard await landed(stack, landedAll) else { return false }
                Task {
                    await eventually(timeout: .seconds(30)) { gaveUp.failed }
                    try? stack.cluster.clearRequestErrors(.offsetCommit)
                }
                return true
            }
        } catch {
            // The stop cannot commit: it gives up after shutdown_timeout, as expected.
        }
        try stack.cluster.clearRequestErrors(.offsetCommit)
        #expect(await committed(stack, wave0.committedOffsets), "the commits still describe wave 0 only")

        // Wave 2 after the restart: every partition proves its tail with its topic's format and compression.
        let wave2 = try await produce(stack, wave: 2, count: 12, after: all, stepMs: 1000)
        all.add(wave2)
        let final = all
        let log = CapturedLogs(echo: .warning)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) { await committed(stack, final.committedOffsets) }
        let outcomes = log.lines("partition recovered").map { $0.metadata["outcome"] ?? "" }
        #expect(outcomes.filter { $0 == "tail_proven" }.count == 5, "recoveries: \(outcomes)")
        #expect(log.lines("segment rolled over").isEmpty)
        try await expectObjects(stack, all)

        // verify with the per-topic settings: every topic's segments found, decoded and clean.
        let client = try OSSClient(configuration: try OSSClientConfiguration(configuration.oss))
        defer { Task { try? await client.shutdown() } }
        let report = try await ArchiveVerifier(
            settings: try SinkSettings(configuration), archive: OSSArchiveReader(client: client),
            commits: KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration)),
            options: VerifyOptions(topics: configuration.kafka.topics.map(\.selector.description))).run()
        #expect(report.problems.isEmpty, "\(report.text())")
        #expect(report.partitions.map(\.id.description).sorted() == [
            "\(stack.topic)[0]", "\(stack.topic)[1]", "\(stack.topic)-audit[0]", "\(stack.topic)-logs-a[0]", "\(stack.topic)-logs-b[0]",
        ].sorted())
        let jsonl = report.partitions.filter { !$0.id.topic.contains("-logs-") }
        #expect(jsonl.allSatisfy { $0.segments.allSatisfy { $0.crcOK == true && $0.lastOffset != nil } })
        let file = try stack.configurationFile(topics: Self.topics(stack), sink: Self.sink)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let cli = try await CLIProcess.run(["verify", "--config", file.path], in: FileManager.default.temporaryDirectory,
                                           environment: file.environment)
        #expect(cli.status == 0, "\(cli.stdout)\(cli.stderr)")
        #expect(cli.stdout.contains("verify: 5 partitions, \(report.segmentCount) segments, 0 problems"), "\(cli.stdout)")
        let check = try await CLIProcess.run(["check-config", file.path], in: FileManager.default.temporaryDirectory,
                                             environment: file.environment)
        #expect(check.status == 0 && check.stderr.isEmpty, "\(check.stderr)")
        #expect(check.stdout.contains("#     keys like: audit/2024/01/01/00/0-00000000000000000000.jsonl.gz"))

        // replay with the per-topic settings: the audit topic (gzip, topic-less keys) comes back whole, a logs
        // topic (raw zstd under raw/) as values.
        try await expectReplayed(stack, configuration, source: "\(stack.topic)-audit", all.audit, valueOnly: false)
        let logsA = "\(stack.topic)-logs-a"
        try await expectReplayed(stack, configuration, source: logsA, all.logs[logsA] ?? [], valueOnly: true)
    }

    /// Replays `source` into `<source>-back` and compares what arrives with `records` (whole records, or the values
    /// alone for a raw archive).
    func expectReplayed(
        _ stack: TestStack, _ configuration: SinkConfiguration, source: String, _ records: [SinkRecord], valueOnly: Bool
    ) async throws {
        let target = source + "-back"
        try stack.cluster.createTopic(target, partitions: 1)
        let client = try OSSClient(configuration: try OSSClientConfiguration(configuration.oss))
        defer { Task { try? await client.shutdown() } }
        let replay = try ReplayConfiguration(
            configuration, options: ReplayOptions(topic: source, toTopic: target, valueOnly: valueOnly),
            archive: OSSArchiveReader(client: client),
            commits: KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration)))
        let engine = ReplayEngine(configuration: replay, logger: stack.logger)
        let status = try await engine.run(try await engine.plan())
        #expect(status.delivered == Int64(records.count), "\(source): \(status.delivered) of \(records.count) replayed")
        let reader = try KafkaPartitionReader(bootstrapServers: stack.cluster.bootstrapServers, logger: stack.logger)
        defer { reader.close() }
        let got = try await reader.read(KafkaTopicPartition(topic: target, partition: 0), from: 0, maxRecords: 100_000,
                                        timeout: .seconds(60))
        #expect(got.count == records.count, "\(source): \(got.count) records in \(target), expected \(records.count)")
        for (index, (record, source)) in zip(got, records).enumerated() {
            let same = record.value == source.value
                && (valueOnly || (record.key == source.key && record.timestamp == .createTime(milliseconds: source.timestampMs)))
            guard same else {
                Issue.record("\(target) record \(index) differs: \(record) vs \(source)")
                return
            }
        }
    }
}
