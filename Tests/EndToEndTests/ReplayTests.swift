import ArchiveReading
import Foundation
import KafkaBridge
import Logging
import OSSClient
import NIOCore
import OSSEmulator
import OSSSigning
import Replay
import SinkApp
import SinkConfig
import SinkCore
import SinkTesting
import Testing

/// `replay` against the real parts: records produced to the mock cluster, archived by the sink into the emulator,
/// replayed with librdkafka's idempotent producer, read back and compared record by record.
@Suite(.serialized) struct ReplayTests {
    /// Records with everything a record can carry: keys (null, empty, binary), values (tombstones, empty,
    /// binary, JSON), headers (duplicate names, null and binary values), explicit timestamps.
    static func records(topic: String, partitions: Int, count: Int, seed: UInt64 = 1) -> [KafkaProducerRecord] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let key: [UInt8]? = switch index % 9 {
            case 0: nil
            case 1: []
            case 2: random.bytes(8)
            default: Array("user-\(index % 23)".utf8)
            }
            let value: [UInt8]? = switch index % 13 {
            case 0: nil
            case 1: []
            case 2: random.bytes(40)
            default: Array("{\"n\":\(index),\"text\":\"line \\\"\(index)\\\"\\n é\"}".utf8)
            }
            var headers: [KafkaHeader] = []
            if index % 3 == 0 {
                headers = [KafkaHeader(key: "trace", value: Array("a\(index)".utf8)), KafkaHeader(key: "trace", value: random.bytes(5)),
                           KafkaHeader(key: "empty", value: []), KafkaHeader(key: "null", value: nil)]
            }
            return KafkaProducerRecord(
                topic: topic, partition: Int32(index % partitions), key: key, value: value, headers: headers,
                timestampMilliseconds: 1_763_900_000_000 + Int64(index) * 1000)
        }
    }

    /// A stack with an archived topic: `records` produced, archived by the sink with `sink` YAML lines, committed.
    struct Archived {
        let stack: TestStack
        let configuration: SinkConfiguration
        /// Per partition, in offset order.
        let expected: [Int32: [KafkaProducerRecord]]

        var topic: String { stack.topic }
    }

    func archive(
        partitions: Int, count: Int, compression: String = "none", sink extra: String = "", batchMaxBytes: String = "16KiB",
        name: String = "e2e-replay"
    ) async throws -> Archived {
        let stack = try await TestStack(partitions: partitions, name: name)
        let configuration = try stack.configuration(sink: extra, batchMaxBytes: batchMaxBytes, compression: compression)
        let records = Self.records(topic: stack.topic, partitions: partitions, count: count)
        let producer = try KafkaTestProducer(bootstrapServers: stack.cluster.bootstrapServers, compression: .lz4, logger: stack.logger)
        try await producer.produce(records)
        try await producer.flush(timeout: .seconds(60))
        producer.close()
        let expected = Dictionary(grouping: records) { $0.partition! }
        let next = expected.mapValues { Int64($0.count) }
        let committed = try await stack.runSink(configuration, timeout: .seconds(120)) { await stack.allCommitted(next) }
        #expect(committed, "the sink archived and committed everything")
        return Archived(stack: stack, configuration: configuration, expected: expected)
    }

    /// Runs a replay in this process through the same mapping the CLI uses.
    func replay(
        _ archived: Archived, to target: String, memory: ReplayMemory? = nil, _ options: (inout ReplayOptions) -> Void = { _ in }
    ) async throws -> (plan: ReplayPlan, status: ReplayStatus) {
        var replayOptions = ReplayOptions(topic: archived.topic, toTopic: target)
        options(&replayOptions)
        let client = try OSSClient(configuration: try OSSClientConfiguration(archived.configuration.oss))
        defer { Task { try? await client.shutdown() } }
        var configuration = try ReplayConfiguration(
            archived.configuration, options: replayOptions, archive: OSSArchiveReader(client: client),
            commits: KafkaCommitReader(configuration: KafkaConsumerConfiguration(archived.configuration)))
        configuration.adminTimeout = .milliseconds(200)
        if let memory { configuration.memory = memory }
        let engine = ReplayEngine(configuration: configuration, logger: archived.stack.logger)
        let plan = try await engine.plan()
        let status = try await engine.run(plan)
        return (plan, status)
    }

    /// Every record of `topic`, per partition, read without a group.
    func read(_ stack: TestStack, topic: String, partitions: Int) async throws -> [Int32: [KafkaRecord]] {
        let reader = try KafkaPartitionReader(bootstrapServers: stack.cluster.bootstrapServers, logger: stack.logger)
        defer { reader.close() }
        var result: [Int32: [KafkaRecord]] = [:]
        for partition in 0..<Int32(partitions) {
            result[partition] = try await reader.read(KafkaTopicPartition(topic: topic, partition: partition), from: 0, maxRecords: 1_000_000, timeout: .seconds(60))
        }
        return result
    }

    /// The target holds exactly `expected` (source offsets `from..<to` of each partition), in order, each record
    /// equal to its source record plus its provenance header, in the same partition.
    func expectReplayed(
        _ target: [Int32: [KafkaRecord]], _ expected: [Int32: [KafkaProducerRecord]], sourceTopic: String,
        offsets: (Int32) -> Range<Int64>, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (partition, records) in expected.sorted(by: { $0.key < $1.key }) {
            let range = offsets(partition)
            let wanted = Array(records[Int(range.lowerBound)..<Int(range.upperBound)])
            let got = target[partition] ?? []
            #expect(got.count == wanted.count, "partition \(partition): \(got.count) records, expected \(wanted.count)", sourceLocation: sourceLocation)
            for (index, (record, source)) in zip(got, wanted).enumerated() {
                let offset = range.lowerBound + Int64(index)
                var headers = record.headers
                let provenance = headers.popLast()
                guard provenance?.key == Provenance.headerName,
                      provenance?.value == Array("\(sourceTopic)/\(partition)/\(offset)".utf8),
                      record.key.map(Array.init) == source.key, record.value.map(Array.init) == source.value,
                      headers == source.headers, record.timestamp == .createTime(milliseconds: source.timestampMilliseconds!),
                      record.partition == partition
                else {
                    Issue.record("partition \(partition) record \(index) (source offset \(offset)) differs: \(record) vs \(source)", sourceLocation: sourceLocation)
                    return
                }
            }
        }
    }

    @Test(arguments: ["none", "gzip", "zstd"])
    func everyRecordComesBackAsItWasArchived(compression: String) async throws {
        // Compressed appends are small: smaller batches and segments give those archives several segments too.
        let size = compression == "none" ? "48KiB" : "4KiB"
        let archived = try await archive(
            partitions: 3, count: 1500, compression: compression, sink: "  rollover:\n    max_object_bytes: \(size)",
            batchMaxBytes: compression == "none" ? "16KiB" : "4KiB")
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-restored"
        try archived.stack.cluster.createTopic(target, partitions: 3)
        let segments = try await archived.stack.objects().count
        #expect(segments > 3, "several segments per partition")

        let (plan, status) = try await replay(archived, to: target)
        #expect(plan.partitions.map(\.records) == [500, 500, 500])
        #expect(status.partitions.allSatisfy { $0.state == .finished && $0.failure == nil })
        #expect(status.delivered == 1500)
        expectReplayed(try await read(archived.stack, topic: target, partitions: 3), archived.expected, sourceTopic: archived.topic) { _ in 0..<500 }

        // Run again: everything is already there.
        let (again, rerun) = try await replay(archived, to: target)
        #expect(again.partitions.allSatisfy { $0.upToDate && $0.resumeAfter == 499 })
        #expect(rerun.delivered == 0)
        #expect(try await archived.stack.watermarks(partition: 0).high == 500)
        let targetMarks = try await archived.stack.stack.watermarks(topic: target, partition: 2)
        #expect(targetMarks.high == 500)
    }

    @Test func segmentsLargerThanTheMemoryShareAreReadTwiceInRanges() async throws {
        let archived = try await archive(partitions: 1, count: 12_000)
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-restored"
        try archived.stack.cluster.createTopic(target, partitions: 1)
        let segment = try #require(try await archived.stack.objects().first)
        #expect(segment.record.length > 1 << 20)
        // 16 MiB over 8 jobs: segments above 1 MiB are read twice, in 512 KiB ranges.
        let memory = ReplayMemory(maxBufferedBytes: 16 << 20, jobs: 8)
        #expect(memory.inMemoryLimit == 1 << 20 && memory.chunkSize == 512 << 10)
        let (_, status) = try await replay(archived, to: target, memory: memory)
        #expect(status.partitions[0].bytesRead == 2 * segment.record.length)
        expectReplayed(try await read(archived.stack, topic: target, partitions: 1), archived.expected, sourceTopic: archived.topic) { _ in 0..<12_000 }
    }

    @Test func offsetAndTimeRangesSelectExactlyTheirRecords() async throws {
        let archived = try await archive(partitions: 2, count: 400, sink: "  rollover:\n    max_object_bytes: 16KiB")
        defer { Task { await archived.stack.shutdown() } }
        let cluster = archived.stack.cluster
        // Offsets: [30, 150) of each partition.
        try cluster.createTopic("\(archived.topic)-offsets", partitions: 2)
        let (offsetPlan, offsetRun) = try await replay(archived, to: "\(archived.topic)-offsets") {
            $0.selection = ReplaySelection(fromOffset: 30, toOffset: 150)
        }
        #expect(offsetPlan.partitions.map(\.records) == [120, 120])
        #expect(offsetRun.delivered == 240)
        expectReplayed(try await read(archived.stack, topic: "\(archived.topic)-offsets", partitions: 2), archived.expected, sourceTopic: archived.topic) { _ in 30..<150 }
        // The whole topic into the same target afterwards: it resumes after offset 149, and its plan says that
        // offsets 0..29 are not in the target and are not produced.
        let (widerPlan, widerRun) = try await replay(archived, to: "\(archived.topic)-offsets")
        #expect(widerRun.delivered == 100)
        for partition in 0..<2 {
            let note = "\(archived.topic)-offsets[\(partition)] begins with \(archived.topic)[\(partition)] offset 30: an earlier replay "
                + "covered a narrower range, so offsets 0..29 are not in it, and this run does not produce them (it resumes after "
                + "offset 149); replay them into a topic of their own (docs/replay.md)"
            #expect(widerPlan.notes.contains(note), "\(widerPlan.notes)")
        }
        expectReplayed(try await read(archived.stack, topic: "\(archived.topic)-offsets", partitions: 2), archived.expected, sourceTopic: archived.topic) { _ in 30..<200 }

        // Time: record i has timestamp base + i s and sits in partition i % 2 at offset i / 2. From record 101's
        // time (offset 50 of partition 1, included) to record 201's time (excluded): partition 0 gets records
        // 102...200 (offsets 51...100), partition 1 records 101...199 (offsets 50...99).
        try cluster.createTopic("\(archived.topic)-times", partitions: 2)
        let base: Int64 = 1_763_900_000_000
        let (_, timeRun) = try await replay(archived, to: "\(archived.topic)-times") {
            $0.selection = ReplaySelection(fromTimeMs: base + 101_000, toTimeMs: base + 201_000)
        }
        #expect(timeRun.delivered == 100)
        expectReplayed(try await read(archived.stack, topic: "\(archived.topic)-times", partitions: 2), archived.expected, sourceTopic: archived.topic) {
            $0 == 0 ? 51..<101 : 50..<100
        }
        #expect(timeRun.partitions.map(\.outsideRange).reduce(0, +) == 300)

        // One partition only.
        try cluster.createTopic("\(archived.topic)-one", partitions: 2)
        let (onePlan, _) = try await replay(archived, to: "\(archived.topic)-one") { $0.selection = ReplaySelection(partitions: [1], toOffset: 10) }
        #expect(onePlan.partitions.map(\.source) == [1])
        let one = try await read(archived.stack, topic: "\(archived.topic)-one", partitions: 2)
        #expect(one[0]?.isEmpty == true)
        #expect(one[1]?.count == 10)
    }

    @Test func aCorruptedSegmentStopsItsPartitionAndTheOthersFinish() async throws {
        let archived = try await archive(partitions: 3, count: 1200, sink: "  rollover:\n    max_object_bytes: 24KiB")
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-restored"
        try archived.stack.cluster.createTopic(target, partitions: 3)
        // Bit rot in the second segment of partition 1.
        let segments = try await archived.stack.objects(partition: 1)
        #expect(segments.count >= 3)
        let victim = segments[1]
        try await archived.stack.emulator.store.corrupt(bucket: archived.stack.bucket, key: victim.record.key, at: 1234)

        let (_, status) = try await replay(archived, to: target)
        let failed = try #require(status.partitions.first { $0.source == 1 })
        let reason = try #require(failed.failure)
        #expect(reason.contains(victim.record.key), "\(reason)")
        #expect(reason.contains("bytes 0..<\(victim.record.length)"), "\(reason)")
        #expect(status.partitions.filter { $0.source != 1 }.allSatisfy { $0.state == .finished })

        // Partitions 0 and 2 whole; partition 1 exactly up to the last record of the first segment.
        let firstSegmentRecords = segments[0].bytes.filter { $0 == 0x0A }.count
        let target1 = try await read(archived.stack, topic: target, partitions: 3)
        expectReplayed(target1, archived.expected, sourceTopic: archived.topic) { $0 == 1 ? 0..<Int64(firstSegmentRecords) : 0..<400 }

        // The CLI names the problem and exits 1; once the object is whole again, a rerun finishes the partition.
        try await archived.stack.emulator.store.corrupt(bucket: archived.stack.bucket, key: victim.record.key, at: 1234)
        let (_, rerun) = try await replay(archived, to: target)
        #expect(rerun.partitions.first { $0.source == 1 }?.state == .finished)
        expectReplayed(try await read(archived.stack, topic: target, partitions: 3), archived.expected, sourceTopic: archived.topic) { _ in 0..<400 }
    }

    @Test func theCommitsCheckpointCatchesAReplacedTail() async throws {
        let archived = try await archive(partitions: 1, count: 300)
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-restored"
        try archived.stack.cluster.createTopic(target, partitions: 1)
        // A different object of the same key and length as the committed last segment: OSS reports its own CRC-64,
        // which matches the bytes, but the group's commit names another CRC.
        let last = try #require(try await archived.stack.objects(partition: 0).last)
        var forged = last.bytes
        forged[10] ^= 0x01
        try await archived.stack.emulator.store.delete(bucket: archived.stack.bucket, key: last.record.key)
        _ = try await archived.stack.emulator.store.append(
            bucket: archived.stack.bucket, key: last.record.key, position: 0, body: .init(bytes: forged), attributes: OSSObjectAttributes())
        let (_, status) = try await replay(archived, to: target)
        let reason = try #require(status.partitions.first?.failure)
        #expect(reason.contains("committed offset 300"), "\(reason)")
        #expect(reason.contains(last.record.key))
    }

    @Test func rawArchivesAreRefusedUnlessValueOnly() async throws {
        let archived = try await archive(partitions: 2, count: 100, sink: "  format: raw")
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-values"
        try archived.stack.cluster.createTopic(target, partitions: 2)
        let error = await #expect(throws: ReplayError.self) { _ = try await replay(archived, to: target) }
        #expect(error?.code == .lossyFormat)
        #expect(error?.message.contains("--value-only") == true)
        // Values alone, in order, null keys, positions as provenance. (Values holding the delimiter split.)
        let (_, status) = try await replay(archived, to: target) { $0.valueOnly = true }
        let got = try await read(archived.stack, topic: target, partitions: 2)
        #expect(status.delivered > 0)
        #expect(got[0]?.first?.key == nil)
        #expect(got[0]?.first?.headers.last?.value == Array("\(archived.topic)/0/0".utf8))
    }

    @Test func fewerTargetPartitionsAreRefusedAndRepartitionSpreadsByKey() async throws {
        let archived = try await archive(partitions: 3, count: 300)
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-narrow"
        try archived.stack.cluster.createTopic(target, partitions: 2)
        let error = await #expect(throws: ReplayError.self) { _ = try await replay(archived, to: target) }
        #expect(error?.code == .targetTooSmall)
        #expect(error?.message.contains("has 2 partition(s)") == true)
        let missing = await #expect(throws: ReplayError.self) { _ = try await replay(archived, to: archived.topic + "-absent") }
        #expect(missing?.code == .targetMissing)
        #expect(missing?.message.contains("--partitions 3") == true)

        let (_, status) = try await replay(archived, to: target) { $0.repartition = true }
        #expect(status.delivered == 300)
        let got = try await read(archived.stack, topic: target, partitions: 2)
        #expect(got.values.reduce(0) { $0 + $1.count } == 300)
        for (partition, records) in got {
            for record in records {
                let expectedPartition: Int32 = if let key = record.key, !key.isEmpty {
                    Array(key).withUnsafeBytes { KafkaPartitioner.consistent.partition(key: $0, partitionCount: 2) }
                } else {
                    Provenance.of(headers: record.headers, name: \.key, value: \.value)!.partition % 2
                }
                #expect(partition == expectedPartition)
            }
        }
        // A rerun finds every record of every source partition in place.
        let (_, rerun) = try await replay(archived, to: target) { $0.repartition = true }
        #expect(rerun.delivered == 0)
        #expect(rerun.partitions.map(\.alreadyInTarget).reduce(0, +) == 300)
    }

    @Test func objectsInColdStorageNeedARestore() async throws {
        let archived = try await archive(partitions: 2, count: 200, sink: "  rollover:\n    max_object_bytes: 16KiB")
        defer { Task { await archived.stack.shutdown() } }
        let target = archived.topic + "-restored"
        try archived.stack.cluster.createTopic(target, partitions: 2)
        let cold = try #require(try await archived.stack.objects(partition: 0).dropFirst().first)
        try await archived.stack.emulator.store.transition(bucket: archived.stack.bucket, key: cold.record.key, storageClass: "ColdArchive")

        let (plan, status) = try await replay(archived, to: target)
        #expect(plan.partitions[0].segments.contains { $0.blocked?.contains("must be restored") == true })
        let reason = try #require(status.partitions[0].failure)
        #expect(reason.contains("\(cold.record.key) is in ColdArchive storage and must be restored"), "\(reason)")
        #expect(status.partitions[1].state == .finished)

        _ = try await archived.stack.emulator.store.restore(bucket: archived.stack.bucket, key: cold.record.key, days: 1)
        let (_, rerun) = try await replay(archived, to: target)
        #expect(rerun.partitions[0].state == .finished)
        expectReplayed(try await read(archived.stack, topic: target, partitions: 2), archived.expected, sourceTopic: archived.topic) { _ in 0..<100 }
    }
}

/// `kafka-oss-sink replay` as a user runs it: killed with SIGKILL at random points, stopped with SIGTERM, run again.
@Suite(.serialized) struct ReplayCLITests {
    let helper = ReplayTests()

    /// The sum of the target's high watermarks.
    func produced(_ stack: TestStack, topic: String, partitions: Int) async -> Int64 {
        var total: Int64 = 0
        for partition in 0..<Int32(partitions) {
            total += (try? await stack.stack.watermarks(topic: topic, partition: partition).high) ?? 0
        }
        return total
    }

    @Test func killedThreeTimesThenRunToTheEndGivesEveryRecordOnceInOrder() async throws {
        let partitions = 4
        let count = 40_000
        let archived = try await helper.archive(partitions: partitions, count: count, sink: "  rollover:\n    max_object_bytes: 512KiB", name: "e2e-replay-kill")
        let stack = archived.stack
        defer { Task { await stack.shutdown() } }
        let target = archived.topic + "-restored"
        try stack.cluster.createTopic(target, partitions: partitions)
        let file = try stack.configurationFile(sink: "  rollover:\n    max_object_bytes: 512KiB\nreplay:\n  jobs: 2\n  properties:\n    compression.codec: lz4")
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let arguments = ["replay", "--config", file.path, "--topic", archived.topic, "--to-topic", target, "--max-rate", "1MiB"]
        let directory = FileManager.default.temporaryDirectory

        var random = SplitMix64(seed: UInt64(UInt32.random(in: 0...UInt32.max)))
        var reached: Int64 = 0
        for round in 0..<3 {
            // Somewhere in the next quarter of the records.
            let threshold = reached + Int64(count / 8) + Int64(random.below(count / 8))
            let run = try CLIProcess.start(arguments, in: directory, environment: file.environment)
            let got = await eventually(timeout: .seconds(90), poll: .milliseconds(20)) {
                await produced(stack, topic: target, partitions: partitions) >= threshold
            }
            run.send(SIGKILL)
            let result = await run.wait()
            #expect(got, "round \(round): the replay reached \(threshold) records before it was killed")
            #expect(result.status == 128 + SIGKILL, "round \(round): \(result.stderr)")
            reached = await produced(stack, topic: target, partitions: partitions)
            #expect(reached < Int64(count), "round \(round): killed before the end")
        }

        // SIGTERM: stops at the next record, flushes, exits 0 and says how to go on.
        let stopping = try CLIProcess.start(arguments, in: directory, environment: file.environment)
        _ = await eventually(timeout: .seconds(90), poll: .milliseconds(20)) {
            await produced(stack, topic: target, partitions: partitions) > reached + 1000
        }
        stopping.send(SIGTERM)
        let stopped = await stopping.wait()
        #expect(stopped.status == 0, "\(stopped.stderr)")
        #expect(stopped.stdout.contains("stopped: run the same command again to resume"), "\(stopped.stdout)")

        let finish = try await CLIProcess.run(
            arguments.filter { $0 != "--max-rate" && $0 != "1MiB" }, in: directory, environment: file.environment)
        #expect(finish.status == 0, "\(finish.stdout)\n\(finish.stderr)")
        #expect(finish.stdout.contains("0 partition(s) failed"))
        let got = try await helper.read(stack, topic: target, partitions: partitions)
        helper.expectReplayed(got, archived.expected, sourceTopic: archived.topic) { _ in 0..<Int64(count / partitions) }
        #expect(!finish.stdout.contains(TestStack.credentials.accessKeySecret))
        #expect(!finish.stderr.contains(TestStack.credentials.accessKeySecret))
    }

    @Test func theCommandExplainsWhatIsWrong() async throws {
        let archived = try await helper.archive(partitions: 3, count: 300, name: "e2e-replay-cli")
        let stack = archived.stack
        defer { Task { await stack.shutdown() } }
        try stack.cluster.createTopic(archived.topic + "-two", partitions: 2)
        try stack.cluster.createTopic(archived.topic + "-three", partitions: 3)
        let file = try stack.configurationFile()
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        let directory = FileManager.default.temporaryDirectory
        func replay(_ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await CLIProcess.run(["replay", "--config", file.path, "--topic", archived.topic] + extra, in: directory, environment: file.environment)
        }

        let narrow = try await replay(["--to-topic", archived.topic + "-two"])
        #expect(narrow.status == 1)
        #expect(narrow.stderr.contains("has 2 partition(s) but \(archived.topic) is archived with partitions up to 2"), "\(narrow.stderr)")
        let badTime = try await replay(["--from-time", "2026-12-01"])
        #expect(badTime.status == 64)
        #expect(badTime.stderr.contains("is not an RFC 3339 time"))
        let badRange = try await replay(["--from-offset", "10", "--to-offset", "5"])
        #expect(badRange.status == 64)
        #expect(badRange.stderr.contains("must be greater than --from-offset"))
        let noServers = try await replay(["--to-topic", archived.topic + "-three", "--to-bootstrap-servers", "127.0.0.1:1"])
        #expect(noServers.status == 1)
        #expect(noServers.stderr.contains("cannot reach the target cluster at 127.0.0.1:1"), "\(noServers.stderr)")

        let plan = try await replay(["--to-topic", archived.topic + "-three", "--dry-run", "--from-offset", "40"])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("\(archived.topic)[1]     [1]"), "\(plan.stdout)")
        #expect(plan.stdout.contains("40..99"))
        #expect(plan.stdout.contains("3 partition(s), 3 segment(s), 180 record(s)"))
        #expect(plan.stdout.contains("nothing produced (--dry-run)"))
        #expect(try await stack.stack.watermarks(topic: archived.topic + "-three", partition: 0).high == 0)
    }
}
