import Foundation
public import KafkaBridge
public import Logging
import NIOCore
public import OSSEmulator
public import OSSSigning
public import ServiceLifecycle
import SinkApp
public import SinkConfig
public import SinkCore
public import SinkService

/// One test's local stack: a ``SinkStack`` with a topic and a consumer group of its own, sink configurations for
/// it, records produced with known offsets, and what landed read back.
public final class TestStack: Sendable {
    public let stack: SinkStack
    public let topic: String
    public let group: String
    public let logger: Logger
    public static let credentials = OSSCredentials(accessKeyId: "e2e-key-id", accessKeySecret: "e2e-secret-never-logged")

    public var cluster: MockKafkaCluster { stack.cluster }
    public var emulator: OSSEmulatorServer { stack.emulator }
    public var endpoint: String { stack.endpoint }
    public var bucket: String { stack.bucket }

    /// A stack with topic `<name>-<random>` of `partitions` partitions (and an emulator whose SealAppendObject
    /// answers `OperationNotSupported` unless `sealEnabled`).
    public init(partitions: Int, name: String, sealEnabled: Bool = true) async throws {
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        self.logger = logger
        let suffix = UInt32.random(in: 0...UInt32.max)
        topic = "\(name)-\(suffix)"
        group = "\(name)-group-\(suffix)"
        stack = try await SinkStack(bucket: "e2e-archive", credentials: Self.credentials, sealEnabled: sealEnabled, logger: logger)
        do {
            try stack.cluster.createTopic(topic, partitions: partitions)
        } catch {
            await stack.shutdown()
            throw error
        }
    }

    public func shutdown() async {
        await stack.shutdown()
    }

    /// Creates another topic, `<topic>-<suffix>` (so that a pattern such as `^<topic>-logs-.*` matches only this
    /// stack's topics), with `partitions` partitions; returns its name.
    @discardableResult
    public func createTopic(suffix: String, partitions: Int) throws -> String {
        let name = "\(topic)-\(suffix)"
        try stack.cluster.createTopic(name, partitions: partitions)
        return name
    }

    /// A sink configuration for this stack whose `kafka.topics` is `topics` (YAML list items, one per line,
    /// such as `- name: x` with its keys indented below), with `sink` YAML lines under `sink:`.
    public func configuration(topics: String, sink: String = "", shutdownTimeout: String = "20s") throws -> SinkConfiguration {
        try ConfigurationFile.parse(yaml: yaml(topics: topics, sink: sink, shutdownTimeout: shutdownTimeout),
                                    environment: ["E2E_SECRET": Self.credentials.accessKeySecret]).configuration
    }

    /// ``configuration(topics:sink:shutdownTimeout:)`` as a file in the temporary directory, and the environment
    /// that supplies its secret: for the CLI.
    public func configurationFile(topics: String, sink: String = "") throws -> (path: String, environment: [String: String]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString).yaml").path
        try yaml(topics: topics, sink: sink, shutdownTimeout: "20s").write(toFile: path, atomically: true, encoding: .utf8)
        let environment = ProcessInfo.processInfo.environment.merging(["E2E_SECRET": Self.credentials.accessKeySecret]) { $1 }
        return (path, environment)
    }

    private func yaml(topics: String, sink: String, shutdownTimeout: String) -> String {
        let placeholder = "\(topic)-topics-placeholder"
        let base = stack.configurationYAML(
            group: group, topics: [placeholder], kafkaProperties: ["session.timeout.ms": "4000", "heartbeat.interval.ms": "500"],
            secretVariable: "E2E_SECRET", extra: """
                sink:
                \(sink)
                shutdown_timeout: \(shutdownTimeout)
                """)
        let list = topics.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
        return base.replacingOccurrences(of: "  topics: [\"\(placeholder)\"]", with: "  topics:\n" + list)
    }

    /// The sink configuration for this stack: `batchMaxBytes`, `compression` and `shutdownTimeout` set, linger
    /// 100 ms, and `extra` YAML lines under `sink:` (indented by two spaces, for example `  rollover:`).
    public func configuration(
        sink extra: String = "", batchMaxBytes: String = "64KiB", compression: String = "none",
        shutdownTimeout: String = "20s"
    ) throws -> SinkConfiguration {
        let yaml = stack.configurationYAML(
            group: group, topics: [topic], kafkaProperties: ["session.timeout.ms": "4000", "heartbeat.interval.ms": "500"],
            secretVariable: "E2E_SECRET", extra: """
                sink:
                  compression: \(compression)
                  batch:
                    max_bytes: \(batchMaxBytes)
                    linger: 100ms
                \(extra)
                shutdown_timeout: \(shutdownTimeout)
                """)
        return try ConfigurationFile.parse(yaml: yaml, environment: ["E2E_SECRET": Self.credentials.accessKeySecret]).configuration
    }

    /// A configuration file for this stack (as ``configuration(sink:batchMaxBytes:compression:shutdownTimeout:)``
    /// writes it) in the temporary directory, and the environment that supplies its secret: for the CLI.
    public func configurationFile(sink extra: String = "") throws -> (path: String, environment: [String: String]) {
        let yaml = stack.configurationYAML(group: group, topics: [topic], secretVariable: "E2E_SECRET", extra: """
            sink:
              batch:
                max_bytes: 64KiB
                linger: 100ms
            \(extra)
            """)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sink-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let environment = ProcessInfo.processInfo.environment.merging(["E2E_SECRET": Self.credentials.accessKeySecret]) { $1 }
        return (path, environment)
    }

    /// Runs the sink with `configuration` until `done` holds (checked every 100 ms, at most `timeout`), then stops
    /// it gracefully. Logs go to `logger` (the stack's, warnings only, by default).
    /// - Returns: whether `done` held.
    @discardableResult
    public func runSink(
        _ configuration: SinkConfiguration, logger: Logger? = nil, reporter: any SinkReporter = SilentSinkReporter(),
        timeout: Duration = .seconds(60), until done: @escaping @Sendable () async -> Bool
    ) async throws -> Bool {
        try await LocalStack.runSink(
            SinkServiceConfiguration(configuration), logger: logger ?? self.logger, reporter: reporter, timeout: timeout,
            until: done)
    }

    /// Runs the sink with `configuration` (and `services` beside it) while `body` runs, then stops it gracefully.
    public func withSink<T: Sendable>(
        _ configuration: SinkConfiguration, logger: Logger? = nil, reporter: any SinkReporter = SilentSinkReporter(),
        services: [any Service] = [], _ body: (RunningSink) async throws -> T
    ) async throws -> T {
        try await LocalStack.withSink(
            SinkServiceConfiguration(configuration), logger: logger ?? self.logger, reporter: reporter, services: services,
            body)
    }

    // MARK: Producing

    /// Produces `count` records round-robin over `partitions` and returns them per partition, with the
    /// offsets the broker gives them (sequential per partition from `startOffsets`). Keys, headers, binary values
    /// and tombstone-free JSON vary with the index.
    public func produce(count: Int, partitions: Int, startOffsets: [Int32: Int64] = [:], seed: Int = 0) async throws -> [Int32: [SinkRecord]] {
        var expected: [Int32: [SinkRecord]] = [:]
        var records: [KafkaProducerRecord] = []
        for index in 0..<count {
            let partition = Int32(index % partitions)
            let offset = (startOffsets[partition] ?? 0) + Int64(expected[partition]?.count ?? 0)
            let timestamp: Int64 = 1_763_900_000_000 + Int64(seed * count + index) * 1000
            let key: [UInt8]? = index % 7 == 0 ? nil : Array("user-\(index % 50)".utf8)
            let value: [UInt8] = index % 11 == 0
                ? [0xff, 0xfe, UInt8(index & 0xff), 0x00]   // not UTF-8
                : Array("{\"event\":\"click\",\"n\":\(seed * count + index),\"text\":\"line \\\"quoted\\\"\\n\"}".utf8)
            let headers = index % 3 == 0 ? [KafkaHeader(key: "trace", value: Array("t-\(index)".utf8))] : []
            records.append(KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value,
                                               headers: headers, timestampMilliseconds: timestamp))
            expected[partition, default: []].append(SinkRecord(
                topic: topic, partition: partition, offset: offset, timestampMs: timestamp, timestampType: .createTime,
                key: key, value: value, headers: headers.map { SinkRecord.Header(key: $0.key, value: $0.value) }))
        }
        try await deliver(records, compression: .lz4)
        return expected
    }

    /// Produces one record per value to `partition` of `topic` (default: the stack's; offsets from `startOffset`,
    /// keys `key-<offset>`, timestamps `timestampStepMs` apart from `firstTimestampMs`, by default from
    /// 1_763_900_000_000 + `startOffset` steps) with `compression`, and returns the records the sink must archive.
    public func produce(values: [[UInt8]], partition: Int32, startOffset: Int64 = 0,
                        compression: KafkaTestProducer.Compression = .lz4, timestampStepMs: Int64 = 1000,
                        firstTimestampMs: Int64? = nil, topic: String? = nil) async throws -> [SinkRecord] {
        let topic = topic ?? self.topic
        var expected: [SinkRecord] = []
        var records: [KafkaProducerRecord] = []
        let first = firstTimestampMs ?? 1_763_900_000_000 + startOffset * timestampStepMs
        for (index, value) in values.enumerated() {
            let offset = startOffset + Int64(index)
            let timestamp: Int64 = first + Int64(index) * timestampStepMs
            let key = Array("key-\(offset)".utf8)
            records.append(KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value,
                                               headers: [], timestampMilliseconds: timestamp))
            expected.append(SinkRecord(topic: topic, partition: partition, offset: offset, timestampMs: timestamp,
                                       timestampType: .createTime, key: key, value: value, headers: []))
        }
        try await deliver(records, compression: compression)
        return expected
    }

    private func deliver(_ records: [KafkaProducerRecord], compression: KafkaTestProducer.Compression) async throws {
        let producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, compression: compression, logger: logger)
        defer { producer.close() }
        try await producer.produce(records)
        try await producer.flush(timeout: .seconds(30))
        guard producer.deliveredCount == records.count else {
            throw TestStackError("delivered \(producer.deliveredCount) of \(records.count) records: \(producer.firstDeliveryError.map { "\($0)" } ?? "-")")
        }
    }

    // MARK: Reading back

    /// Every object under the topic's prefix, in key order, with its bytes.
    public func objects() async throws -> [(record: OSSObjectRecord, bytes: [UInt8])] {
        try await stack.objects(prefix: topic + "/")
    }

    /// Objects of one partition (keys hold `/<partition>/`).
    public func objects(partition: Int32) async throws -> [(record: OSSObjectRecord, bytes: [UInt8])] {
        try await stack.objects(prefix: "\(topic)/\(partition)/")
    }

    /// Total bytes of every object under the topic's prefix (0 while the store cannot be read).
    public func archivedByteCount() async -> Int {
        ((try? await objects()) ?? []).reduce(0) { $0 + $1.bytes.count }
    }

    /// Total decoded bytes of the topic's objects (each object a concatenation of gzip members or zstd frames);
    /// -1 when one does not decode.
    public func decodedByteCount(_ compression: SinkSettings.Compression) async -> Int {
        var total = 0
        for object in (try? await objects()) ?? [] {
            guard let plain = try? AppendCompression.decompress(object.bytes, compression) else { return -1 }
            total += plain.count
        }
        return total
    }

    /// The group's committed offsets and metadata, read without joining the group (safe while the sink runs).
    public func committed(partitions: Int) async throws -> [Int32: KafkaCommittedOffset] {
        try await stack.committed(group: group, topic: topic, partitions: partitions)
    }

    /// The group's committed offsets, read without joining the group.
    public func committedOffsets(partitions: Int) async throws -> [Int32: Int64] {
        try await committed(partitions: partitions).compactMapValues(\.offset)
    }

    /// Whether every partition's committed offset has reached `offsets`.
    public func allCommitted(_ offsets: [Int32: Int64]) async -> Bool {
        guard let committed = try? await committedOffsets(partitions: offsets.count) else { return false }
        return offsets.allSatisfy { committed[$0.key] == $0.value }
    }

    /// The partition's low and high watermarks.
    public func watermarks(partition: Int32) async throws -> (low: Int64, high: Int64) {
        try await stack.watermarks(topic: topic, partition: partition)
    }

    /// Replaces `key` with a Normal object holding `bytes` (PutObject by another writer).
    public func overwrite(key: String, with bytes: [UInt8]) async throws {
        _ = try await emulator.store.put(bucket: bucket, key: key, body: ByteBuffer(bytes: bytes), attributes: OSSObjectAttributes())
    }
}

/// A test stack step failed.
public struct TestStackError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What jsonl rendering of `records` must produce, byte for byte.
public func rendered(_ records: [SinkRecord]) -> [UInt8] {
    let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
    var out: [UInt8] = []
    for record in records { renderer.render(record, into: &out) }
    return out
}

/// Byte count of the jsonl rendering of every record in `records`.
public func renderedCount(_ records: [Int32: [SinkRecord]]) -> Int {
    records.values.reduce(0) { $0 + rendered($1).count }
}

/// Merges record waves per partition, keeping offset order.
public func mergedWaves(_ waves: [Int32: [SinkRecord]]...) -> [Int32: [SinkRecord]] {
    waves.reduce(into: [:]) { result, wave in result.merge(wave) { $0 + $1 } }
}

/// Next offsets per partition after `records`.
public func nextOffsets(_ records: [Int32: [SinkRecord]]) -> [Int32: Int64] {
    records.mapValues { Int64($0.count) }
}

/// `count` small JSON values tagged with `wave`.
public func smallValues(_ count: Int, wave: Int) -> [[UInt8]] {
    (0..<count).map { Array("{\"wave\":\(wave),\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: 40))\"}".utf8) }
}

/// Pipes `input` through the executable at `path` (e.g. `/usr/bin/zcat`) and returns its standard output.
/// - Throws: when the tool exits non-zero, naming it and its standard error.
public func pipeThrough(_ path: String, _ input: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Write on another thread so a tool that fills its output pipe cannot deadlock us.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestStackError("\(path) exited with \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return [UInt8](output)
}
