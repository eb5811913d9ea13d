import Foundation
import KafkaBridge
import Logging
@_exported import SinkTesting
import Testing

/// A unique name per test run, so tests never share topics or groups.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

func testLogger(_ label: String = "kafka-bridge-test") -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["KAFKA_BRIDGE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .error
    return logger
}

/// Records everything the consumer delivers. Optional hooks run on the poll thread.
final class RecordingDelegate: KafkaConsumerDelegate, @unchecked Sendable {
    struct Received: Sendable {
        var offsets: [KafkaTopicPartition: [Int64]] = [:]
        var records: [KafkaRecord] = []
        var events: [KafkaRebalanceEvent] = []
        var errors: [KafkaError] = []
        var lagUpdates: [[KafkaTopicPartition: Int64]] = []
        var batches = 0
        var count: Int { records.count }
    }

    private let lock = NSLock()
    private var received = Received()
    let keepRecords: Bool
    let onRebalance: (@Sendable (KafkaConsumerControl, KafkaRebalanceEvent) -> Void)?
    let onBatch: (@Sendable (KafkaConsumerControl, KafkaRecordBatch) -> Void)?

    init(
        keepRecords: Bool = true,
        onRebalance: (@Sendable (KafkaConsumerControl, KafkaRebalanceEvent) -> Void)? = nil,
        onBatch: (@Sendable (KafkaConsumerControl, KafkaRecordBatch) -> Void)? = nil
    ) {
        self.keepRecords = keepRecords
        self.onRebalance = onRebalance
        self.onBatch = onBatch
    }

    var snapshot: Received { lock.withLock { received } }

    func consumer(_ control: KafkaConsumerControl, didReceive messages: KafkaMessageBatch) {
        let batch = messages.copied()
        lock.withLock {
            received.batches += 1
            for record in batch.records {
                received.offsets[record.topicPartition, default: []].append(record.offset)
                if keepRecords { received.records.append(record) }
            }
        }
        onBatch?(control, batch)
    }

    func consumer(_ control: KafkaConsumerControl, didRebalance event: KafkaRebalanceEvent) {
        lock.withLock { received.events.append(event) }
        onRebalance?(control, event)
    }

    func consumer(_ control: KafkaConsumerControl, didUpdateLag lag: [KafkaTopicPartition: Int64]) {
        lock.withLock { received.lagUpdates.append(lag) }
    }

    func consumer(_ control: KafkaConsumerControl, didReceiveError error: KafkaError) {
        lock.withLock { received.errors.append(error) }
    }

    func totalOffsets() -> Int { lock.withLock { received.offsets.values.reduce(0) { $0 + $1.count } } }

    func lastOffsets() -> [KafkaTopicPartition: Int64] {
        lock.withLock { received.offsets.compactMapValues { $0.last } }
    }
}

/// A cluster with one topic, plus a producer on it.
struct ClusterFixture {
    let cluster: MockKafkaCluster
    let producer: KafkaTestProducer
    let topic: String

    init(brokers: Int = 1, partitions: Int, topicPrefix: String) throws {
        cluster = try MockKafkaCluster(brokers: brokers, logger: testLogger("mock"))
        topic = uniqueName(topicPrefix)
        try cluster.createTopic(topic, partitions: partitions)
        producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, compression: .lz4, logger: testLogger("producer"))
    }

    /// Produces `perPartition` records to each partition: key "k<partition>-<i>", value "v<partition>-<i>", header seq=i.
    func produce(perPartition: Int, partitions: Int, startIndex: Int = 0) async throws {
        let topic = topic
        try await producer.produce(count: perPartition * partitions) { index in
            let partition = Int32(index % partitions)
            let i = startIndex + index / partitions
            return KafkaProducerRecord(
                topic: topic, partition: partition, key: Array("k\(partition)-\(i)".utf8), value: Array("v\(partition)-\(i)".utf8),
                headers: [KafkaHeader(key: "seq", value: Array("\(i)".utf8))], timestampMilliseconds: 1_700_000_000_000 + Int64(i)
            )
        }
        try await producer.flush(timeout: .seconds(30))
    }

    func consumerConfiguration(group: String, protocol rebalance: KafkaRebalanceProtocol = .cooperativeSticky, properties: [String: String] = [:]) -> KafkaConsumerConfiguration {
        var properties = properties
        properties["session.timeout.ms"] = properties["session.timeout.ms"] ?? "6000"
        properties["heartbeat.interval.ms"] = properties["heartbeat.interval.ms"] ?? "500"
        return KafkaConsumerConfiguration(
            bootstrapServers: cluster.bootstrapServers, groupID: group, topics: [topic],
            rebalanceProtocol: rebalance, statisticsInterval: .milliseconds(200), properties: properties
        )
    }
}
