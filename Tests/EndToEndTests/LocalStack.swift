import Foundation
import NIOCore
import KafkaBridge
import Logging
import OSSEmulator
import OSSSigning
import ServiceLifecycle
import SinkConfig
import SinkCore
import SinkService
import Testing

/// A mock Kafka cluster and an OSS emulator on loopback, with helpers to produce records, run the sink
/// and read back what landed.
final class LocalStack: Sendable {
    let cluster: MockKafkaCluster
    let emulator: OSSEmulatorServer
    let endpoint: String
    let bucket = "e2e-archive"
    let topic: String
    let group: String
    let logger: Logger
    static let credentials = OSSCredentials(accessKeyId: "e2e-key-id", accessKeySecret: "e2e-secret-never-logged")

    init(partitions: Int, name: String) async throws {
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        self.logger = logger
        let suffix = UInt32.random(in: 0...UInt32.max)
        topic = "\(name)-\(suffix)"
        group = "\(name)-group-\(suffix)"
        cluster = try MockKafkaCluster(brokers: 1, logger: logger)
        try cluster.createTopic(topic, partitions: partitions)
        emulator = try OSSEmulatorServer(configuration: .init(buckets: [bucket], credentials: [Self.credentials], logger: logger))
        endpoint = try await emulator.start()
    }

    func shutdown() async {
        await emulator.shutdown()
        cluster.shutdown()
    }

    /// The sink configuration for this stack: `batchMaxBytes`, `compression` and `shutdownTimeout` set, and
    /// `extra` YAML lines under `sink:` (indented by two spaces, for example `  rollover:`).
    func configuration(
        sink extra: String = "", batchMaxBytes: String = "64KiB", compression: String = "none",
        shutdownTimeout: String = "20s"
    ) throws -> SinkConfiguration {
        let yaml = """
            kafka:
              bootstrap_servers: "\(cluster.bootstrapServers)"
              group_id: "\(group)"
              topics: ["\(topic)"]
              properties:
                session.timeout.ms: "6000"
                heartbeat.interval.ms: "500"
            oss:
              endpoint: "\(endpoint)"
              region: "cn-hangzhou"
              bucket: "\(bucket)"
              path_style: true
              credentials:
                provider: static
                access_key_id: "\(Self.credentials.accessKeyId)"
                access_key_secret: "${E2E_SECRET}"
            sink:
              compression: \(compression)
              batch:
                max_bytes: \(batchMaxBytes)
                linger: 100ms
            \(extra)
            shutdown_timeout: \(shutdownTimeout)
            """
        return try SinkConfiguration.parse(
            yaml: yaml, environment: ["E2E_SECRET": Self.credentials.accessKeySecret]).configuration
    }

    /// Produces `count` records round-robin over `partitions` and returns them per partition, with the
    /// offsets the broker gives them (sequential per partition from `startOffsets`).
    func produce(count: Int, partitions: Int, startOffsets: [Int32: Int64] = [:], seed: Int = 0) async throws -> [Int32: [SinkRecord]] {
        let producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, compression: .lz4, logger: logger)
        defer { producer.close() }
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
        try await producer.produce(records)
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == count)
        return expected
    }

    /// Runs the sink until `done()` holds (checked every 100 ms, at most `timeout`), then stops it
    /// gracefully and waits for it to exit.
    func runSink(_ configuration: SinkConfiguration, timeout: Duration = .seconds(60),
                 until done: @escaping @Sendable () async -> Bool) async throws {
        let service = SinkService(configuration: configuration, logger: logger)
        let serviceGroup = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serviceGroup.run() }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, await !done() {
                try await Task.sleep(for: .milliseconds(100))
            }
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// Every object under the topic's prefix, in key order, with its bytes.
    func objects() async throws -> [(record: OSSObjectRecord, bytes: [UInt8])] {
        var result: [(OSSObjectRecord, [UInt8])] = []
        for record in emulator.store.list(bucket: bucket) where record.key.hasPrefix(topic + "/") {
            guard let read = try await emulator.store.read(bucket: bucket, key: record.key) else { continue }
            var bytes: [UInt8] = []
            for var buffer in read.body { bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            result.append((read.record, bytes))
        }
        return result
    }

    /// Objects of one partition (keys hold `/<partition>/`).
    func objects(partition: Int32) async throws -> [(record: OSSObjectRecord, bytes: [UInt8])] {
        try await objects().filter { $0.record.key.hasPrefix("\(topic)/\(partition)/") }
    }

    /// The group's committed offsets and metadata, read by a short-lived consumer of the same group.
    func committed(partitions: Int) async throws -> [Int32: KafkaCommittedOffset] {
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: cluster.bootstrapServers, groupID: group, topics: [topic]),
            delegate: IdleDelegate(), logger: logger)
        let list = try await consumer.committed((0..<partitions).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })
        try? await consumer.close(deadline: .seconds(5))
        return Dictionary(uniqueKeysWithValues: list.map { ($0.topicPartition.partition, $0) })
    }
}

final class IdleDelegate: KafkaConsumerDelegate {
    func consumer(_ control: KafkaConsumerControl, didReceive batch: KafkaRecordBatch) {}
    func consumer(_ control: KafkaConsumerControl, didRebalance event: KafkaRebalanceEvent) {}
}

/// What jsonl rendering of `records` must produce, byte for byte.
func rendered(_ records: [SinkRecord]) -> [UInt8] {
    let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
    var out: [UInt8] = []
    for record in records { renderer.render(record, into: &out) }
    return out
}
