import Foundation
import KafkaBridge
import Logging
import SinkTesting
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

    @Test func statisticsParserReadsBrokersAndGroupState() throws {
        let json = """
        {"name":"c","brokers":{
          "127.0.0.1:9092/bootstrap":{"name":"127.0.0.1:9092/bootstrap","nodeid":-1,"source":"configured","state":"UP"},
          "127.0.0.1:9093/2":{"name":"127.0.0.1:9093/2","nodeid":2,"source":"learned","state":"DOWN"},
          "GroupCoordinator":{"name":"GroupCoordinator","nodeid":-1,"source":"logical","state":"UP"},
          ":0/internal":{"name":":0/internal","nodeid":-1,"source":"internal","state":"UP"}},
         "cgrp":{"state":"up","stateage":1200,"join_state":"wait-join","rebalance_age":1100,"assignment_size":0}}
        """
        let status = try #require(KafkaStatistics.status(fromStatisticsJSON: Data(json.utf8)))
        #expect(status == KafkaConsumerStatus(brokersKnown: 2, brokersUp: 1, groupState: "up", joinState: "wait-join", assignedPartitions: 0))
        #expect(status.groupWait == "JoinGroup sent; the coordinator holds it until the group's rebalance completes")
        var steady = status
        steady.joinState = "steady"
        #expect(steady.groupWait == nil)
        steady.groupState = "wait-coord"
        #expect(steady.groupWait == "looking for the group coordinator (group state wait-coord)")
        #expect(KafkaStatistics.status(fromStatisticsJSON: Data("not json".utf8)) == nil)
    }

    @Test func aBrokerFailureIsLoggedOnce() async throws {
        // Nothing listens on this port: librdkafka's connect failure reaches both its log and the error callback.
        let logs = CapturedLogs()
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: "127.0.0.1:1", groupID: uniqueName("group-dead"), topics: ["events"])
        let consumer = try KafkaConsumer(configuration: configuration, delegate: RecordingDelegate(), logger: logs.logger(label: "kafka", level: .info))
        // librdkafka logs a broker failure from the broker thread before it queues the error for the error
        // callback, so once the callback's line ([_TRANSPORT]) is there, a duplicate would be there too.
        #expect(await eventually(timeout: .seconds(20)) { logs.lines.contains { $0.message.contains("[_TRANSPORT]") } })
        try await consumer.close(deadline: .seconds(5))
        let refused = logs.lines.filter { $0.message.contains("127.0.0.1:1") && $0.message.contains("Connection refused") }
        // Every line about the failure is the error callback's warning (with the error name): none is librdkafka's
        // own line for the same event, which used to come first, at error level.
        #expect(!refused.isEmpty)
        #expect(refused.allSatisfy { $0.level == .warning && $0.message.contains("[_TRANSPORT]") }, "\(refused.map(\.message))")
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
