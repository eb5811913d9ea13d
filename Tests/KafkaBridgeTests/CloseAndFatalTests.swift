import Foundation
import KafkaBridge
import Testing

@Suite(.timeLimit(.minutes(1))) struct CloseAndFatalTests {
    @Test func closeRunsTheRevokeHandlerWhichCommitsSynchronously() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "close")
        try await fixture.produce(perPartition: 50, partitions: 2)
        let group = uniqueName("group-close")
        let processed = ProcessedOffsets()
        let delegate = RecordingDelegate(
            onRebalance: { control, event in
                guard case .revoked(let revoked) = event else { return }
                let commits = processed.nextOffsets(for: revoked).map {
                    KafkaCommitOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value, metadata: "shutdown")
                }
                processed.observe(revoked, stillAssigned: Set(revoked).isSubset(of: Set(control.assignment)), commit: control.commitSync(commits))
            },
            onBatch: { _, batch in processed.record(batch) }
        )
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: group), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 100 })
        let start = ContinuousClock.now
        try await consumer.close(deadline: .seconds(10))
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(consumer.assignment.isEmpty)

        let observations = processed.observations
        #expect(observations.count == 1)
        #expect(observations.first.map { Set($0.revoked) }?.count == 2)
        #expect(observations.first?.stillAssigned == true)
        #expect(observations.first?.commit.isSuccess == true)

        // Operations after close report `.closed`.
        await #expect(throws: KafkaError.self) { try await consumer.commit([KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 1)]) }
        await #expect(throws: KafkaError.self) { try await consumer.close() }

        let reader = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: group), delegate: RecordingDelegate(), logger: testLogger())
        let committed = try await reader.committed((0..<2).map { KafkaTopicPartition(topic: fixture.topic, partition: $0) })
        #expect(committed.map(\.offset) == [50, 50])
        #expect(committed.map(\.metadata) == ["shutdown", "shutdown"])
        try await reader.close(deadline: .seconds(10))
    }

    /// Records fetched after the last poll reach the queue the close serves (librdkafka forwards the consumer
    /// queue to it) and are dropped there. Serving that queue with callbacks only made librdkafka abort the
    /// process (`rd_kafka_q_serve: assert: res != RD_KAFKA_OP_RES_PASS`). The window is a race, so this closes
    /// several consumers while a producer keeps writing.
    @Test func closingWhileRecordsKeepArrivingDropsThem() async throws {
        let fixture = try ClusterFixture(partitions: 4, topicPrefix: "close-busy")
        let producing = Task {
            var round = 0
            while !Task.isCancelled {
                try await fixture.produce(perPartition: 200, partitions: 4, startIndex: round * 200)
                round += 1
            }
        }
        for _ in 0..<6 {
            let delegate = RecordingDelegate()
            let consumer = try KafkaConsumer(
                configuration: fixture.consumerConfiguration(group: uniqueName("group-close-busy")), delegate: delegate, logger: testLogger())
            #expect(await eventually { delegate.totalOffsets() > 0 })
            let start = ContinuousClock.now
            try await consumer.close(deadline: .seconds(10))
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(consumer.assignment.isEmpty)
        }
        producing.cancel()
        _ = await producing.result
    }

    /// Closing at any moment of the first join returns promptly with nothing assigned. (librdkafka
    /// 2.0.2 aborts destroying a cooperative-sticky member that joined but has no assignment yet; the
    /// close waits for that assignment. The window is narrow on the mock cluster, so this test does
    /// not reliably hit it; the 10,000-record test's short-lived reader did.)
    @Test func closingDuringTheFirstJoinDoesNotCrash() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "close-join")
        for delay in [0, 20, 60, 120, 250, 500, 900] {
            let delegate = RecordingDelegate()
            let consumer = try KafkaConsumer(
                configuration: fixture.consumerConfiguration(group: uniqueName("group-close-join")), delegate: delegate, logger: testLogger())
            try await Task.sleep(for: .milliseconds(delay))
            let start = ContinuousClock.now
            try await consumer.close(deadline: .seconds(10))
            #expect(ContinuousClock.now - start < .seconds(10))
            #expect(consumer.assignment.isEmpty)
        }
    }

    @Test func fencedStaticMemberSurfacesAFatalError() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "fatal")
        try await fixture.produce(perPartition: 5, partitions: 1)
        var configuration = fixture.consumerConfiguration(group: uniqueName("group-fatal"))
        configuration.groupInstanceID = "fenced-member"
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: configuration, delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 5 })
        try fixture.cluster.pushRequestErrors(.heartbeat, [.fencedInstanceID])
        #expect(await eventually { delegate.snapshot.errors.contains { $0.isFatal } })
        let fatal = try #require(delegate.snapshot.errors.first { $0.isFatal })
        #expect(fatal.code == .fatal)
        #expect(consumer.fatalError == fatal)
        #expect(fatal.librdkafkaName == "FENCED_INSTANCE_ID", "\(fatal)")
        // Commits now fail instead of pretending to succeed.
        await #expect(throws: KafkaError.self) { try await consumer.commit([KafkaCommitOffset(topic: fixture.topic, partition: 0, offset: 5)]) }
        try? await consumer.close(deadline: .seconds(5))
    }
}
