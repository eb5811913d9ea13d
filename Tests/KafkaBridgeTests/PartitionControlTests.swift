import Foundation
import KafkaBridge
import Testing

@Suite(.timeLimit(.minutes(1))) struct PartitionControlTests {
    @Test func pauseStopsOnlyThatPartitionAndResumeContinuesWithoutLoss() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "pause")
        try await fixture.produce(perPartition: 100, partitions: 2)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-pause")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 200 })
        let p0 = KafkaTopicPartition(topic: fixture.topic, partition: 0)
        let p1 = KafkaTopicPartition(topic: fixture.topic, partition: 1)

        try await consumer.pause([p0])
        try await fixture.produce(perPartition: 100, partitions: 2, startIndex: 100)
        #expect(await eventually { delegate.snapshot.offsets[p1]?.count == 200 })
        // A second round reaches partition 1 through later fetches: partition 0 was left out of all of them.
        try await fixture.produce(perPartition: 100, partitions: 2, startIndex: 200)
        #expect(await eventually { delegate.snapshot.offsets[p1]?.count == 300 })
        #expect(delegate.snapshot.offsets[p0]?.count == 100, "a paused partition kept delivering")

        try await consumer.resume([p0])
        #expect(await eventually { delegate.totalOffsets() == 600 })
        let offsets = delegate.snapshot.offsets
        #expect(offsets[p0] == Array(0..<300))
        #expect(offsets[p1] == Array(0..<300))
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func pauseFromTheBatchHandlerAppliesBeforeTheNextPoll() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "pause-inline")
        try await fixture.produce(perPartition: 50, partitions: 1)
        let delegate = RecordingDelegate(onBatch: { control, batch in
            // Backpressure: pause as soon as the record at offset 49 arrives.
            if batch.records.contains(where: { $0.offset == 49 }) {
                try? control.pause(Array(Set(batch.records.map(\.topicPartition))))
            }
        })
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-pause-inline")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 50 })
        try await fixture.produce(perPartition: 50, partitions: 1, startIndex: 50)
        try await Task.sleep(for: .milliseconds(700))
        #expect(delegate.totalOffsets() == 50, "records arrived after the handler paused the partition")
        try await consumer.resume([KafkaTopicPartition(topic: fixture.topic, partition: 0)])
        #expect(await eventually { delegate.totalOffsets() == 100 })
        try await consumer.close(deadline: .seconds(10))
        #expect(delegate.snapshot.offsets.values.first == Array(0..<100))
    }

    @Test func seekRewindsAPartition() async throws {
        let fixture = try ClusterFixture(partitions: 1, topicPrefix: "seek")
        try await fixture.produce(perPartition: 100, partitions: 1)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-seek")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 100 })
        let tp = KafkaTopicPartition(topic: fixture.topic, partition: 0)
        try await consumer.seek([tp: .offset(60)])
        #expect(await eventually { delegate.totalOffsets() == 140 })
        #expect(delegate.snapshot.offsets[tp] == Array(0..<100) + Array(60..<100))
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func seekInTheAssignHandlerSetsTheStartingOffset() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "seek-assign")
        try await fixture.produce(perPartition: 100, partitions: 2)
        let delegate = RecordingDelegate(onRebalance: { control, event in
            guard case .assigned(let tps) = event else { return }
            do {
                try control.seek(Dictionary(uniqueKeysWithValues: tps.map { ($0, KafkaSeekPosition.offset(30)) }))
                // Partition 1 starts paused.
                try control.pause(tps.filter { $0.partition == 1 })
            } catch {
                Issue.record("seek/pause in the assign handler failed: \(error)")
            }
        })
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-seek-assign")), delegate: delegate, logger: testLogger())
        let p1 = KafkaTopicPartition(topic: fixture.topic, partition: 1)
        #expect(await eventually { delegate.totalOffsets() == 70 })
        try await Task.sleep(for: .milliseconds(500))
        #expect(delegate.snapshot.offsets[p1] == nil, "partition 1 was paused from the start")
        try await consumer.resume([p1])
        #expect(await eventually { delegate.totalOffsets() == 140 })
        for offsets in delegate.snapshot.offsets.values { #expect(offsets == Array(30..<100)) }
        #expect(delegate.totalOffsets() == 140)
        try await consumer.close(deadline: .seconds(10))
    }
}
