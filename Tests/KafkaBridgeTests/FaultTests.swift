import Foundation
import KafkaBridge
import Testing

@Suite(.timeLimit(.minutes(1))) struct FaultTests {
    @Test func injectedCommitFailureIsReportedAndTheNextCommitSucceeds() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "commit-fail")
        try await fixture.produce(perPartition: 10, partitions: 1)
        let group = uniqueName("group-commit-fail")
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: group), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 10 })

        try fixture.cluster.pushRequestErrors(.offsetCommit, [.offsetMetadataTooLarge])
        let offsets = [KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 10, metadata: "first")]
        let result = await consumer.commitResult(offsets)
        #expect(!result.isSuccess)
        let error = try #require(result.firstError)
        #expect(error.code == .commitFailed)
        #expect(error.librdkafkaName == "OFFSET_METADATA_TOO_LARGE", "\(error)")
        await #expect(throws: KafkaError.self) {
            try fixture.cluster.pushRequestErrors(.offsetCommit, [.offsetMetadataTooLarge])
            try await consumer.commit(offsets)
        }

        let retry = [KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 10, metadata: "second")]
        try await consumer.commit(retry)
        let committed = try await consumer.committed([KafkaTopicPartition(topic: fixture.topic, partition: 0)])
        #expect(committed == [KafkaCommittedOffset(topicPartition: .init(topic: fixture.topic, partition: 0), offset: 10, metadata: "second")])
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func consumptionSurvivesABrokerGoingDownAndUp() async throws {
        let fixture = try ClusterFixture(brokers: 3, partitions: 3, topicPrefix: "broker-down")
        try await fixture.produce(perPartition: 200, partitions: 3)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-broker-down")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 600 })
        for partition in 0..<Int32(3) {
            try fixture.cluster.setPartitionLeader(topic: fixture.topic, partition: partition, brokerID: 2)
        }
        try fixture.cluster.setBrokerDown(2)
        try await Task.sleep(for: .milliseconds(500))
        try fixture.cluster.setBrokerUp(2)
        try await fixture.produce(perPartition: 100, partitions: 3, startIndex: 200)
        #expect(await eventually { delegate.totalOffsets() == 900 })
        for offsets in delegate.snapshot.offsets.values { #expect(offsets == Array(0..<300)) }
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func brokerRTTDelaysCommits() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "rtt")
        try await fixture.produce(perPartition: 5, partitions: 1)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-rtt")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 5 })
        try fixture.cluster.setBrokerRTT(1, .milliseconds(300))
        let start = ContinuousClock.now
        try await consumer.commit([KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 5)])
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        try fixture.cluster.setBrokerRTT(1, .zero)
        try await consumer.close(deadline: .seconds(10))
    }
}
