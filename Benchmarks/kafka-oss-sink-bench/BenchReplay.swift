import ArchiveReading
import CBenchSupport
import Foundation
import KafkaBridge
import LocalStack
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning
import Replay
import SinkApp
import SinkConfig
import SinkCore

/// Section 6: replay. An archive of 1 KiB records (jsonl, as the sink writes it: one appendable object per
/// partition, 4 MiB appends) in the emulator; per round a plain-C librdkafka producer producing the same records
/// from memory (the floor, with the same producer settings and the same provenance header), then `replay` from
/// the emulator, each in a child process of its own, each into a new topic of the mock cluster.
struct BenchReplay {
    let stack: BenchStack
    let plan: BenchPlan
    let logger: Logger
    let progress: @Sendable (String) -> Void

    /// The producer settings of both sides: replay's (idempotent, gapless, its queue share of the default budget)
    /// and lz4, which the mock cluster needs to keep 600 MB.
    static let producerProperties: [String: String] = [
        "compression.codec": "lz4",
        "queue.buffering.max.kbytes": String(ReplayMemory().producerQueueKilobytes),
    ]
    static let floorProperties: [String: String] = producerProperties.merging([
        "enable.idempotence": "true", "enable.gapless.guarantee": "true", "message.timeout.ms": "0",
    ]) { $1 }

    static let timestampBase: Int64 = 1_765_000_000_000

    func run() async throws -> ReplayBenchResult {
        let partitions = plan.replayPartitions
        let records = plan.replayRecords
        let topic = "bench-archived-\(stack.runID)"
        progress("6. replay: writing an archive of \(records) x 1 KiB over \(partitions) partitions into the emulator")
        let archiveBytes = try await writeArchive(topic: topic, partitions: partitions, records: records)
        let config = try writeConfiguration(topic: topic)
        defer { try? FileManager.default.removeItem(atPath: config) }

        var floors: [ReplayBenchRound] = []
        var replays: [ReplayBenchRound] = []
        for round in 1...max(1, plan.replayRounds) {
            let floorTopic = "bench-produce-floor-\(stack.runID)-\(round)"
            try stack.cluster.createTopic(floorTopic, partitions: partitions)
            let floor = try await stack.runChild(
                "produce-child", ["--bootstrap-servers", stack.cluster.bootstrapServers, "--topic", floorTopic, "--archived-topic", topic,
                                  "--partitions", "\(partitions)", "--records", "\(records)"],
                label: "produce floor round \(round)", timeout: plan.sinkTimeout)
            try await checkTopic(floorTopic, partitions: partitions, records: records, what: "the produce floor")
            floors.append(floor)
            let target = "bench-replayed-\(stack.runID)-\(round)"
            try stack.cluster.createTopic(target, partitions: partitions)
            let replay = try await stack.runChild(
                "replay-child", ["--config", config, "--topic", topic, "--to-topic", target],
                label: "replay round \(round)", timeout: plan.sinkTimeout)
            try await checkTopic(target, partitions: partitions, records: records, what: "replay")
            replays.append(replay)
            progress(String(format: "  round %d: floor %.0f records/s (%.1f CPU s), replay %.0f records/s (%.1f CPU s): %.2f of the floor",
                            round, floor.recordsPerSecond, floor.cpuSeconds, replay.recordsPerSecond, replay.cpuSeconds,
                            replay.recordsPerSecond / floor.recordsPerSecond))
        }
        let ratios = zip(replays, floors).map { $0.recordsPerSecond / $1.recordsPerSecond }
        return ReplayBenchResult(
            records: records, recordBytes: 1024, partitions: partitions, archiveBytes: archiveBytes, rounds: replays.count,
            floor: median(floors), replay: median(replays), roundRatiosToFloor: ratios,
            ratioToFloor: ratios.sorted()[ratios.count / 2])
    }

    private func median(_ rounds: [ReplayBenchRound]) -> ReplayBenchRound {
        rounds.sorted { $0.recordsPerSecond < $1.recordsPerSecond }[rounds.count / 2]
    }

    /// Every partition of `topic` holds its share of the records.
    private func checkTopic(_ topic: String, partitions: Int, records: Int, what: String) async throws {
        var ends: [Int32: Int64] = [:]
        for p in 0..<partitions { ends[Int32(p)] = Int64(records / partitions + (p < records % partitions ? 1 : 0)) }
        do {
            try await stack.checkKept(topic: topic, endOffsets: ends)
        } catch {
            throw BenchFailure("\(what) did not leave every record in \(topic): \(error)")
        }
    }

    /// Renders the records as the sink would (default key template, jsonl, no compression, 4 MiB appends, one
    /// segment per partition) straight into the emulator's store. Returns the stored bytes.
    private func writeArchive(topic: String, partitions: Int, records: Int) async throws -> Int {
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
        let settings = SinkSettings()
        let buckets = TimeBuckets(timeZone: settings.timeZone, granularity: settings.keyTemplate.timeGranularity)
        var total = 0
        for partition in 0..<partitions {
            let indices = Array(stride(from: partition, to: records, by: partitions))
            guard let first = indices.first else { continue }
            let key = settings.keyTemplate.render(
                prefix: "", topic: topic, partition: Int32(partition), offset: 0,
                time: buckets.localTime(Self.timestampBase + Int64(first)), ext: settings.fileExtension)
            var batch: [UInt8] = []
            batch.reserveCapacity(4 << 20)
            var position: UInt64 = 0
            func flush() async throws {
                guard !batch.isEmpty else { return }
                let outcome = try await stack.emulator.store.append(
                    bucket: stack.bucket, key: key, position: position, body: ByteBuffer(bytes: batch),
                    attributes: OSSObjectAttributes(contentType: "application/x-ndjson"))
                guard case .applied = outcome else { throw BenchFailure("writing the replay archive failed: \(outcome)") }
                position += UInt64(batch.count)
                batch.removeAll(keepingCapacity: true)
            }
            for (offset, index) in indices.enumerated() {
                let record = SinkRecord(
                    topic: topic, partition: Int32(partition), offset: Int64(offset), timestampMs: Self.timestampBase + Int64(index),
                    key: BenchPayload.key(index), value: BenchPayload.value(index, size: 1024 - BenchPayload.keyBytes))
                renderer.render(record, into: &batch)
                if batch.count >= 4 << 20 { try await flush() }
            }
            try await flush()
            total += Int(position)
        }
        return total
    }

    /// The configuration the archive was "written" with, for the replay child (secret from its environment).
    private func writeConfiguration(topic: String) throws -> String {
        let properties = Self.producerProperties.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }.joined(separator: "\n")
        let yaml = stack.stack.configurationYAML(group: "bench-replay-\(stack.runID)", topics: [topic], secretVariable: "BENCH_OSS_SECRET", extra: """
            replay:
              properties:
            \(properties)
            """)
        let path = NSTemporaryDirectory() + "kafka-oss-sink-bench-replay-\(stack.runID).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// One round of the produce floor or of replay, measured in its child.
struct ReplayBenchRound: Codable, Sendable {
    var records: Int
    /// Key + value bytes.
    var bytes: Int
    /// Floor: first enqueue until flushed. Replay: from the start of producing (after planning) until every record
    /// was acknowledged.
    var seconds: Double
    var recordsPerSecond: Double
    var mbPerSecond: Double
    /// CPU of the child's own threads during the timed part (its `getrusage` before and after).
    var cpuSeconds: Double
    /// `cpuSeconds` per GB of key + value.
    var cpuSecondsPerGB: Double
    /// The child's whole life: start, generating the records (floor) or planning (replay), the run, exit.
    var lifeCPUSeconds: Double
    var peakRSSBytes: Int64?
}

/// Section 6's result.
struct ReplayBenchResult: Codable, Sendable {
    var records: Int
    var recordBytes: Int
    var partitions: Int
    /// Bytes of the archive (jsonl).
    var archiveBytes: Int
    var rounds: Int
    /// Median rounds by records/s.
    var floor: ReplayBenchRound
    var replay: ReplayBenchRound
    /// Each replay round over the floor round run just before it.
    var roundRatiosToFloor: [Double]
    /// The median of those.
    var ratioToFloor: Double
}

/// What a replay or produce child reports (JSON in the file named by `--report`).
struct ReplayChildReport: Codable, Sendable {
    var records: Int?
    var bytes: Int?
    var seconds: Double?
    /// User + system CPU of the child during the timed part.
    var cpuSeconds: Double?
    var peakRSSBytes: Int64?
    var error: String?
}

extension BenchStack {
    /// Runs `bench <command> <arguments> --report FILE` in a child process and returns its round.
    func runChild(_ command: String, _ arguments: [String], label: String, timeout: Duration) async throws -> ReplayBenchRound {
        let directory = NSTemporaryDirectory() + "kafka-oss-sink-bench-\(command)-\(runID)-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reportPath = directory + "/report.json"
        setenv("BENCH_OSS_SECRET", BenchStack.credentials.accessKeySecret, 1)
        let process = try BenchProcess(
            executable: BenchProcess.currentExecutable, arguments: [command] + arguments + ["--report", reportPath],
            stdoutPath: directory + "/stdout.log", stderrPath: directory + "/stderr.log")
        let exit = await process.wait(timeout: timeout)
        let report = (try? Data(contentsOf: URL(fileURLWithPath: reportPath))).flatMap { try? JSONDecoder().decode(ReplayChildReport.self, from: $0) }
        guard !exit.killed, exit.status == 0, let report, report.error == nil, let records = report.records, let bytes = report.bytes,
              let seconds = report.seconds, seconds > 0, let cpu = report.cpuSeconds else {
            throw BenchFailure("\(label) failed (status \(exit.status)\(exit.killed ? ", killed after \(timeout)" : "")): "
                + "\(report?.error ?? "no report")\n\(process.stderrTail())")
        }
        return ReplayBenchRound(
            records: records, bytes: bytes, seconds: seconds, recordsPerSecond: Double(records) / seconds,
            mbPerSecond: Double(bytes) / seconds / 1_000_000, cpuSeconds: cpu, cpuSecondsPerGB: cpu / (Double(bytes) / 1e9),
            lifeCPUSeconds: exit.usage.cpuSeconds, peakRSSBytes: report.peakRSSBytes)
    }
}

/// `bench replay-child`: one replay in this process, producing timed from the start of the run.
enum BenchReplayChild {
    static func run(configPath: String, topic: String, target: String, reportPath: String) async throws {
        var logger = Logger(label: "kafka-oss-sink-bench")
        logger.logLevel = .warning
        var report = ReplayChildReport()
        do {
            let loaded = try ConfigurationFile.load(path: configPath)
            let client = try OSSClient(configuration: try OSSClientConfiguration(loaded.configuration.oss))
            var configuration = try ReplayConfiguration(
                loaded.configuration, options: ReplayOptions(topic: topic, toTopic: target, readCommits: false),
                archive: OSSArchiveReader(client: client), commits: nil)
            configuration.adminTimeout = .milliseconds(100)
            let engine = ReplayEngine(configuration: configuration, logger: logger)
            let plan = try await engine.plan()
            let cpuBefore = BenchUsage.selfNow().cpuSeconds
            let start = monotonicNanoseconds()
            let status = try await engine.run(plan)
            let seconds = Double(monotonicNanoseconds() - start) / 1e9
            report.cpuSeconds = BenchUsage.selfNow().cpuSeconds - cpuBefore
            try? await client.shutdown()
            if let failed = status.failedPartitions.first?.failure ?? status.fatal {
                report.error = failed
            }
            report.records = Int(status.delivered)
            // Key + value bytes, the basis of every rate in the bench (the floor counts the same).
            report.bytes = Int(status.delivered) * 1024
            report.seconds = seconds
            report.peakRSSBytes = processPeakRSSBytes()
        } catch {
            report.error = "\(error)"
        }
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
        if report.error != nil { throw BenchFailure(report.error!) }
    }
}

/// `bench produce-child`: the produce floor, the archive's records generated in memory first.
enum BenchProduceChild {
    static func run(bootstrapServers: String, topic: String, archivedTopic: String, partitions: Int, records: Int, reportPath: String) async throws {
        var report = ReplayChildReport()
        // The records and their provenance headers, in one buffer, before the clock starts.
        var storage: [UInt8] = []
        storage.reserveCapacity(records * 1100)
        var ranges: [(key: Range<Int>, value: Range<Int>, header: Range<Int>)] = []
        ranges.reserveCapacity(records)
        var counters = [Int64](repeating: 0, count: partitions)
        for index in 0..<records {
            let partition = index % partitions
            let key = storage.count..<(storage.count + BenchPayload.keyBytes)
            storage += BenchPayload.key(index)
            let valueStart = storage.count
            storage += BenchPayload.value(index, size: 1024 - BenchPayload.keyBytes)
            let value = valueStart..<storage.count
            let headerStart = storage.count
            storage += Provenance(topic: archivedTopic, partition: Int32(partition), offset: counters[partition]).encoded
            counters[partition] += 1
            ranges.append((key, value, headerStart..<storage.count))
        }
        let properties = BenchReplay.floorProperties.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let cpuBefore = BenchUsage.selfNow().cpuSeconds
        let result: kos_floor_produce_result_t = storage.withUnsafeBytes { bytes in
            let base = bytes.baseAddress!
            let cRecords = ranges.enumerated().map { index, r in
                kos_floor_record_t(
                    key: base + r.key.lowerBound, key_length: r.key.count, value: base + r.value.lowerBound, value_length: r.value.count,
                    header_value: base + r.header.lowerBound, header_length: r.header.count, partition: Int32(index % partitions),
                    timestamp_ms: BenchReplay.timestampBase + Int64(index))
            }
            var cStrings: [UnsafeMutablePointer<CChar>?] = properties.map { strdup($0) } + [nil]
            defer { cStrings.forEach { free($0) } }
            return cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { pointer in
                    kos_floor_produce(bootstrapServers, topic, cRecords, Int64(records), Provenance.headerName, 600_000, pointer, Int32(properties.count / 2))
                }
            }
        }
        let cpu = BenchUsage.selfNow().cpuSeconds - cpuBefore
        if result.error != 0 {
            var text = result.errstr
            report.error = withUnsafeBytes(of: &text) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        } else {
            report.records = Int(result.messages)
            report.bytes = Int(result.bytes)
            report.seconds = Double(result.elapsed_ns) / 1e9
            report.cpuSeconds = cpu
            report.peakRSSBytes = processPeakRSSBytes()
        }
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
        if report.error != nil { throw BenchFailure(report.error!) }
    }
}
