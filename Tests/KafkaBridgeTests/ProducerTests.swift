import Foundation
import KafkaBridge
import Synchronization
import Testing

/// ``KafkaProducer`` and ``KafkaPartitionReader`` against librdkafka's mock cluster.
@Suite(.serialized) struct ProducerTests {
    /// Delivery reports collected on the producer's poll thread.
    final class Reports: Sendable {
        let reports = Mutex<[KafkaDeliveryReport]>([])
        var all: [KafkaDeliveryReport] { reports.withLock { $0 } }
        func add(_ report: KafkaDeliveryReport) { reports.withLock { $0.append(report) } }
    }

    func makeCluster(partitions: Int) throws -> (MockKafkaCluster, String) {
        let cluster = try MockKafkaCluster(brokers: 1, logger: testLogger("mock"))
        let topic = uniqueName("producer")
        try cluster.createTopic(topic, partitions: partitions)
        return (cluster, topic)
    }

    @Test func everyFieldArrivesAsSentInOrder() async throws {
        let (cluster, topic) = try makeCluster(partitions: 2)
        defer { cluster.shutdown() }
        let reports = Reports()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers, properties: ["linger.ms": "1"]),
            logger: testLogger("producer"), onDelivery: reports.add)
        let binary: [UInt8] = [0x00, 0xff, 0x0a, 0x22, 0x5c]
        let records: [KafkaProducerRecord] = [
            KafkaProducerRecord(topic: topic, partition: 1, key: Array("k1".utf8), value: Array("v1".utf8),
                                headers: [KafkaHeader(key: "h", value: Array("a".utf8)), KafkaHeader(key: "h", value: Array("b".utf8))],
                                timestampMilliseconds: 1_600_000_000_123),
            KafkaProducerRecord(topic: topic, partition: 1, key: nil, value: nil, headers: [], timestampMilliseconds: 1_600_000_000_000),
            KafkaProducerRecord(topic: topic, partition: 1, key: [], value: [],
                                headers: [KafkaHeader(key: "null", value: nil), KafkaHeader(key: "empty", value: [])],
                                timestampMilliseconds: 1),
            KafkaProducerRecord(topic: topic, partition: 1, key: binary, value: binary,
                                headers: [KafkaHeader(key: "bin", value: binary)], timestampMilliseconds: 42),
            KafkaProducerRecord(topic: topic, partition: 0, key: Array("p0".utf8), value: Array("x".utf8), timestampMilliseconds: 7),
        ]
        for (index, record) in records.enumerated() { try await producer.produce(record, token: UInt64(100 + index)) }
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.outstanding == 0)
        await producer.close()

        let delivered = reports.all
        #expect(delivered.count == records.count)
        #expect(delivered.allSatisfy { $0.error == nil && $0.persisted == .persisted })
        let partitionOne = delivered.filter { $0.partition == 1 }
        #expect(partitionOne.map(\.token) == [100, 101, 102, 103])
        #expect(partitionOne.map(\.offset) == [0, 1, 2, 3])
        #expect(delivered.first { $0.partition == 0 }?.token == 104)

        let reader = try KafkaPartitionReader(bootstrapServers: cluster.bootstrapServers, logger: testLogger("reader"))
        defer { reader.close() }
        let read = try await reader.read(KafkaTopicPartition(topic: topic, partition: 1), from: 0)
        #expect(read.count == 4)
        for (sent, got) in zip(records.prefix(4), read) {
            #expect(got.key.map(Array.init) == sent.key)
            #expect(got.value.map(Array.init) == sent.value)
            #expect(got.headers == sent.headers)
            #expect(got.timestamp == .createTime(milliseconds: sent.timestampMilliseconds!))
        }
        // From an offset, and up to an offset.
        let middle = try await reader.read(KafkaTopicPartition(topic: topic, partition: 1), from: 1, until: 3)
        #expect(middle.map(\.offset) == [1, 2])
        let marks = try await reader.watermarks(KafkaTopicPartition(topic: topic, partition: 1))
        #expect(marks.low == 0 && marks.high == 4)
    }

    @Test func aFullQueueIsWaitedForAndOrderKept() async throws {
        let (cluster, topic) = try makeCluster(partitions: 1)
        defer { cluster.shutdown() }
        let reports = Reports()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                bootstrapServers: cluster.bootstrapServers, properties: ["queue.buffering.max.messages": "8", "linger.ms": "0"]),
            logger: testLogger("producer"), onDelivery: reports.add)
        var full = 0
        for index in 0..<2000 {
            let value = Array("record-\(index)".utf8)
            let accepted = try value.withUnsafeBytes { bytes in
                try producer.enqueue(KafkaOutgoingRecord(partition: 0, key: nil, value: bytes, timestampMilliseconds: nil), topic: topic, token: UInt64(index))
            }
            if !accepted {
                full += 1
                try await producer.produce(KafkaProducerRecord(topic: topic, partition: 0, value: value), token: UInt64(index))
            }
        }
        try await producer.flush(timeout: .seconds(60))
        await producer.close()
        #expect(full > 0, "an 8-record queue must fill up")
        let delivered = reports.all
        #expect(delivered.map(\.token) == (0..<2000).map(UInt64.init))
        #expect(delivered.map(\.offset) == (0..<2000).map { Optional(Int64($0)) })
    }

    @Test func settingsThatBreakExactlyOnceAreRejected() throws {
        let bootstrap = "127.0.0.1:1"
        for (name, value) in [("enable.idempotence", "false"), ("enable.gapless.guarantee", "false"), ("transactional.id", "t"), ("acks", "1")] {
            #expect(throws: KafkaError.self, "\(name)=\(value)") {
                _ = try KafkaProducer(
                    configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap, properties: [name: value]),
                    logger: testLogger())
            }
            #expect(KafkaProducer.validateProperty(name: name, value: value, delivery: .idempotentGapless) != nil)
        }
        #expect(KafkaProducer.validateProperty(name: "acks", value: "all", delivery: .idempotentGapless) == nil)
        #expect(KafkaProducer.validateProperty(name: "linger.ms", value: "20", delivery: .idempotentGapless) == nil)
        #expect(KafkaProducer.validateProperty(name: "linger.ms", value: "soon", delivery: .idempotentGapless) != nil)
        #expect(KafkaProducer.validateProperty(name: "lingr.ms", value: "5", delivery: .idempotentGapless) != nil)
        #expect(KafkaProducer.validateProperty(name: "enable.idempotence", value: "false", delivery: .acknowledged) == nil)
    }

    @Test func aPartitionTheTopicLacksFails() async throws {
        let (cluster, topic) = try makeCluster(partitions: 1)
        defer { cluster.shutdown() }
        let reports = Reports()
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(bootstrapServers: cluster.bootstrapServers), logger: testLogger("producer"),
            onDelivery: reports.add)
        // Once the topic's metadata is known, the enqueue itself fails; before, the delivery report does.
        do {
            try await producer.produce(KafkaProducerRecord(topic: topic, partition: 5, value: Array("x".utf8)), token: 9)
            try await producer.flush(timeout: .seconds(30))
        } catch {
            #expect(error.code == .produceFailed || error.code == .fatal, "\(error)")
        }
        await producer.close()
        #expect(reports.all.allSatisfy { $0.error != nil && $0.token == 9 })
    }

    @Test func hashPartitionsMatchLibrdkafkasPartitioner() async throws {
        let (cluster, topic) = try makeCluster(partitions: 7)
        defer { cluster.shutdown() }
        for partitioner in KafkaPartitioner.allCases {
            let reports = Reports()
            let producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    bootstrapServers: cluster.bootstrapServers, properties: ["partitioner": partitioner.rawValue]),
                logger: testLogger("producer"), onDelivery: reports.add)
            let keys = (0..<50).map { Array("key-\($0)".utf8) }
            for (index, key) in keys.enumerated() {
                try await producer.produce(KafkaProducerRecord(topic: topic, partition: nil, key: key, value: [1]), token: UInt64(index))
            }
            try await producer.flush(timeout: .seconds(30))
            await producer.close()
            let byToken = Dictionary(uniqueKeysWithValues: reports.all.map { ($0.token, $0.partition) })
            for (index, key) in keys.enumerated() {
                let computed = key.withUnsafeBytes { partitioner.partition(key: $0, partitionCount: 7) }
                #expect(byToken[UInt64(index)] == computed, "\(partitioner) \(String(decoding: key, as: UTF8.self))")
            }
        }
        #expect(KafkaPartitioner(property: "consistent_random") == .consistent)
        #expect(KafkaPartitioner(property: "murmur2_random") == .murmur2)
        #expect(KafkaPartitioner(property: "random") == nil)
    }

    @Test func theReaderSeesTopicsWithoutCreatingThem() async throws {
        let (cluster, topic) = try makeCluster(partitions: 3)
        defer { cluster.shutdown() }
        let reader = try KafkaPartitionReader(
            bootstrapServers: cluster.bootstrapServers, properties: ["linger.ms": "5", "client.id": "reader"], logger: testLogger("reader"))
        defer { reader.close() }
        let missing = uniqueName("missing")
        let topics = try await reader.topics()
        #expect(topics[topic] == 3)
        #expect(topics[missing] == nil)
        #expect(try await reader.topics()[missing] == nil)
        // An empty partition reads as nothing, at once.
        let empty = try await reader.read(KafkaTopicPartition(topic: topic, partition: 2), from: 0, timeout: .seconds(10))
        #expect(empty.isEmpty)
        // The mock cluster has no DescribeConfigs: an error, not a hang.
        await #expect(throws: KafkaError.self) {
            _ = try await reader.topicConfiguration(topic, names: ["retention.ms"], timeout: .seconds(3))
        }
    }

    @Test func propertyScopesComeFromLibrdkafka() {
        #expect(KafkaPropertyCatalog.scope(of: "linger.ms") == .producer)
        #expect(KafkaPropertyCatalog.scope(of: "fetch.wait.max.ms") == .consumer)
        #expect(KafkaPropertyCatalog.scope(of: "bootstrap.servers") == .both)
        #expect(KafkaPropertyCatalog.scope(of: "sasl.username") == .both)
        #expect(KafkaPropertyCatalog.scope(of: "acks") == .producer)
    }
}
