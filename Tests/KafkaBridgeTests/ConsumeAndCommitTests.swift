import Foundation
import KafkaBridge
import Testing

@Suite(.timeLimit(.minutes(1))) struct ConsumeAndCommitTests {
    @Test func consumesTenThousandRecordsInOrderAndCommitsWithMetadata() async throws {
        let partitions = 4
        let perPartition = 2_500
        let fixture = try ClusterFixture(partitions: partitions, topicPrefix: "consume")
        try await fixture.produce(perPartition: perPartition, partitions: partitions)
        #expect(fixture.producer.deliveredCount == 10_000)

        let group = uniqueName("group-consume")
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: group), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() >= 10_000 })

        let received = delegate.snapshot
        #expect(received.count == 10_000)
        for partition in 0..<Int32(partitions) {
            let tp = KafkaTopicPartition(topic: fixture.topic, partition: partition)
            #expect(received.offsets[tp] == Array(0..<Int64(perPartition)), "partition \(partition) out of order or incomplete")
        }
        // Records carry key, value, header and create time.
        let sample = try #require(received.records.first { $0.partition == 2 && $0.offset == 7 })
        #expect(sample.key.map { String(decoding: $0, as: UTF8.self) } == "k2-7")
        #expect(sample.value.map { String(decoding: $0, as: UTF8.self) } == "v2-7")
        #expect(sample.headers == [KafkaHeader(key: "seq", value: Array("7".utf8))])
        #expect(sample.timestamp == .createTime(milliseconds: 1_700_000_000_007))
        #expect(received.events.contains { if case .assigned(let tps) = $0 { tps.count == partitions } else { false } })

        let commits = (0..<Int32(partitions)).map {
            KafkaCommitOffset(topic: fixture.topic, partition: $0, offset: Int64(perPartition), metadata: "v1 key=seg-\($0) pos=\(100 * Int($0)) crc=42")
        }
        try await consumer.commit(commits)
        try await consumer.close(deadline: .seconds(10))

        // A new consumer in the same group reads the offsets and metadata back.
        let reader = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: group), delegate: RecordingDelegate(), logger: testLogger())
        let tps = (0..<Int32(partitions)).map { KafkaTopicPartition(topic: fixture.topic, partition: $0) }
        let committed = try await reader.committed(tps)
        #expect(committed.count == partitions)
        for (index, entry) in committed.sorted(by: { $0.topicPartition < $1.topicPartition }).enumerated() {
            #expect(entry.offset == Int64(perPartition))
            #expect(entry.metadata == "v1 key=seg-\(index) pos=\(100 * index) crc=42")
        }
        try await reader.close(deadline: .seconds(10))
    }

    @Test func misspeltPropertyIsRejectedByValidation() {
        let unknown = KafkaConsumer.validateConsumerProperty(name: "sesion.timeout.ms", value: "6000")
        #expect(unknown?.contains("No such configuration property") == true, "got \(unknown ?? "nil")")
        #expect(KafkaConsumer.validateConsumerProperty(name: "session.timeout.ms", value: "6000") == nil)
        #expect(KafkaConsumer.validateConsumerProperty(name: "session.timeout.ms", value: "soon") != nil)
        #expect(KafkaConsumer.validateConsumerProperty(name: "enable.auto.commit", value: "true") != nil)
        #expect(KafkaConsumer.validateConsumerProperty(name: "security.protocol", value: "SASL_SSL") == nil)
    }

    @Test func consumerCreationNamesTheRejectedProperty() {
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: "127.0.0.1:1", groupID: "g", topics: ["t"], properties: ["fetch.wait.max.msx": "10"])
        #expect {
            _ = try KafkaConsumer(configuration: configuration, delegate: RecordingDelegate(), logger: testLogger())
        } throws: { error in
            guard let error = error as? KafkaError else { return false }
            return error.code == .configuration && error.message.contains("fetch.wait.max.msx")
        }
    }
}

@Suite struct PassThroughTests {
    @Test func saslAndSslPropertiesPassThroughUnchanged() async throws {
        let secret = "s3cr3t-\(UUID().uuidString)"
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: "127.0.0.1:1", groupID: uniqueName("group-sasl"), topics: ["t"],
            properties: [
                "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                "sasl.username": "archiver", "sasl.password": secret, "ssl.endpoint.identification.algorithm": "none",
            ])
        let consumer = try KafkaConsumer(configuration: configuration, delegate: RecordingDelegate(), logger: testLogger())
        try? await consumer.close(deadline: .seconds(2))

        // A rejected property never echoes a secret from the configuration.
        var broken = configuration
        broken.properties["sasl.mechanism"] = "NOT-A-MECHANISM"
        do {
            _ = try KafkaConsumer(configuration: broken, delegate: RecordingDelegate(), logger: testLogger())
            Issue.record("an unsupported sasl.mechanism was accepted")
        } catch {
            #expect(!error.description.contains(secret))
            #expect(error.code == .configuration || error.code == .handleCreation, "\(error)")
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct RegexSubscriptionTests {
    @Test func aLeadingCaretSubscribesToEveryMatchingTopic() async throws {
        let cluster = try MockKafkaCluster(brokers: 1, logger: testLogger("mock"))
        let prefix = uniqueName("regex")
        for suffix in ["a", "b", "other"] { try cluster.createTopic("\(prefix)-\(suffix)", partitions: 2) }
        let producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, logger: testLogger("producer"))
        try await producer.produce(count: 30) { index in
            let topic = ["\(prefix)-a", "\(prefix)-b", "\(prefix)-other"][index % 3]
            return KafkaProducerRecord(topic: topic, partition: Int32(index % 2), value: Array("\(index)".utf8))
        }
        try await producer.flush()
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(
                bootstrapServers: cluster.bootstrapServers, groupID: uniqueName("group-regex"), topics: ["^\(prefix)-(a|b)$"]),
            delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 20 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(delegate.totalOffsets() == 20)
        #expect(Set(delegate.snapshot.records.map(\.topic)) == ["\(prefix)-a", "\(prefix)-b"])
        try await consumer.close(deadline: .seconds(10))
    }
}
