import Foundation
import KafkaBridge
import Testing

@Suite(.timeLimit(.minutes(1))) struct LagAndMembershipTests {
    @Test func consumerLagFollowsCommittedOffsets() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "lag")
        try await fixture.produce(perPartition: 1_000, partitions: 1)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-lag")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 1_000 })
        let tp = KafkaTopicPartition(topic: fixture.topic, partition: 0)
        try await consumer.commit([KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 400)])
        #expect(await eventually { consumer.consumerLag[tp] == 600 }, "lag \(consumer.consumerLag)")
        try await consumer.commit([KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 1_000)])
        #expect(await eventually { consumer.consumerLag[tp] == 0 }, "lag \(consumer.consumerLag)")
        #expect(delegate.snapshot.lagUpdates.contains { $0[tp] == 600 })
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func statisticsParserReadsConsumerLagPerPartition() {
        let json = """
        {"name":"c","topics":{"events":{"topic":"events","partitions":{
          "0":{"partition":0,"consumer_lag":12},"1":{"partition":1,"consumer_lag":-1},"-1":{"partition":-1,"consumer_lag":5}}}}}
        """
        let lag = KafkaStatistics.consumerLag(fromStatisticsJSON: Data(json.utf8))
        #expect(lag == [KafkaTopicPartition(topic: "events", partition: 0): 12])
    }

    @Test func staticMemberRejoinsWithItsInstanceIDAndResumesFromItsCommit() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "static")
        try await fixture.produce(perPartition: 10, partitions: 2)
        let group = uniqueName("group-static")
        var configuration = fixture.consumerConfiguration(group: group)
        configuration.groupInstanceID = "sink-0"
        let first = RecordingDelegate()
        let a = try KafkaConsumer(configuration: configuration, delegate: first, logger: testLogger())
        #expect(await eventually { first.totalOffsets() == 20 })
        try await a.close(finalCommit: (0..<2).map { KafkaCommitOffset(topic: fixture.topic, partition: $0, offset: 10, metadata: "static") }, deadline: .seconds(10))

        try await fixture.produce(perPartition: 5, partitions: 2, startIndex: 10)
        let second = RecordingDelegate()
        let restarted = try KafkaConsumer(configuration: configuration, delegate: second, logger: testLogger())
        #expect(await eventually { second.totalOffsets() == 10 })
        for offsets in second.snapshot.offsets.values { #expect(offsets == Array(10..<15)) }
        try await restarted.close(deadline: .seconds(10))
    }
}
