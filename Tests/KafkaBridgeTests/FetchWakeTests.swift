import Foundation
import Testing
@testable import KafkaBridge

/// When the poll thread pauses between rounds to let records build up in the queue (pure).
@Suite struct PollCoalescingTests {
    @Test func onlyARoundThatDrainedTheQueueAfterFewRecordsPauses() {
        #expect(RDConsumerCore.pausesAfterRound(records: 1, drainedQueue: true))
        #expect(RDConsumerCore.pausesAfterRound(records: RDConsumerCore.coalesceBelowRecords - 1, drainedQueue: true))
        #expect(!RDConsumerCore.pausesAfterRound(records: RDConsumerCore.coalesceBelowRecords, drainedQueue: true))
        // A round that timed out with nothing already waited; one cut at the batch limits has more queued.
        #expect(!RDConsumerCore.pausesAfterRound(records: 0, drainedQueue: true))
        #expect(!RDConsumerCore.pausesAfterRound(records: 5, drainedQueue: false))
        #expect(RDConsumerCore.coalesceMicroseconds <= 1000, "the pause is what a record can wait extra")
    }
}

/// The decision when librdkafka's broker threads need waking (pure).
@Suite struct FetchStallDetectorTests {
    let start = ContinuousClock.now

    func at(_ ms: Int) -> ContinuousClock.Instant { start + .milliseconds(ms) }

    @Test func aQueueThatStaysShortNeverWakes() {
        var d = FetchStallDetector(maxMessages: 1000, maxBytes: 1 << 20)
        for ms in 0..<100 {
            do { let fired = d.observe(queuedMessages: ms % 400, records: 10, bytes: 1000, now: at(ms * 50)); #expect(!fired) }
        }
        #expect(!d.armed)
    }

    @Test func firesOnceWhenTheQueueDrainsAfterFillingByCount() {
        var d = FetchStallDetector(maxMessages: 1000, maxBytes: 1 << 30)
        do { let fired = d.observe(queuedMessages: 600, records: 100, bytes: 100, now: at(0)); #expect(!fired) }
        #expect(d.armed)
        // Still above a quarter: waits.
        do { let fired = d.observe(queuedMessages: 300, records: 100, bytes: 100, now: at(50)); #expect(!fired) }
        do { let fired = d.observe(queuedMessages: 200, records: 100, bytes: 100, now: at(100)); #expect(fired) }
        #expect(!d.armed)
        // Drained further without filling again: nothing more.
        do { let fired = d.observe(queuedMessages: 0, records: 100, bytes: 100, now: at(150)); #expect(!fired) }
    }

    @Test func bytesAreEstimatedFromTheRecordsTaken() {
        // 1 KiB records: 600 queued are 600 KiB, past half of 1 MiB although far below the message limit.
        var d = FetchStallDetector(maxMessages: 100_000, maxBytes: 1 << 20)
        do { let fired = d.observe(queuedMessages: 600, records: 10, bytes: 10 * 1024, now: at(0)); #expect(!fired) }
        #expect(d.armed)
        do { let fired = d.observe(queuedMessages: 300, records: 10, bytes: 10 * 1024, now: at(50)); #expect(!fired) }
        do { let fired = d.observe(queuedMessages: 200, records: 10, bytes: 10 * 1024, now: at(100)); #expect(fired) }
    }

    @Test func wakesAtMostOncePerInterval() {
        var d = FetchStallDetector(maxMessages: 1000, maxBytes: 1 << 30, minimumInterval: .milliseconds(20))
        _ = d.observe(queuedMessages: 900, records: 1, bytes: 1, now: at(0))
        do { let fired = d.observe(queuedMessages: 0, records: 1, bytes: 1, now: at(1)); #expect(fired) }
        _ = d.observe(queuedMessages: 900, records: 1, bytes: 1, now: at(2))
        // Too soon: stays armed and fires on the next look after the interval.
        do { let fired = d.observe(queuedMessages: 0, records: 1, bytes: 1, now: at(10)); #expect(!fired) }
        #expect(d.armed)
        do { let fired = d.observe(queuedMessages: 0, records: 1, bytes: 1, now: at(25)); #expect(fired) }
    }
}

/// librdkafka 2.0.2's broker thread sleeps up to a second after a resume or a full queue; the consumer wakes it.
@Suite(.timeLimit(.minutes(2))) struct FetchWakeTests {
    @Test func aResumeWakesTheFetcher() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "wake-resume")
        try await fixture.produce(perPartition: 50, partitions: 2)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(
            configuration: fixture.consumerConfiguration(group: uniqueName("group-wake-resume")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 100 })
        let partitions = (0..<2).map { KafkaTopicPartition(topic: fixture.topic, partition: Int32($0)) }
        let before = try #require(consumer.core.fetchWaker).wakeUps
        try await consumer.pause(partitions)
        try await fixture.produce(perPartition: 50, partitions: 2, startIndex: 50)
        try await consumer.resume(partitions)
        #expect(await eventually { (consumer.core.fetchWaker?.wakeUps ?? 0) > before })
        #expect(await eventually { delegate.totalOffsets() == 200 })
        #expect(delegate.snapshot.offsets[partitions[0]] == Array(0..<100))
        try await consumer.close(deadline: .seconds(10))
    }

    @Test func aConsumerSlowerThanTheFetcherWakesItAndLosesNothing() async throws {
        let fixture = try ClusterFixture(partitions: 4, topicPrefix: "wake-full")
        try await fixture.produce(perPartition: 5000, partitions: 4)
        // A queue of 200 messages fills at once; the handler takes its time with every batch.
        let delegate = RecordingDelegate(onBatch: { _, _ in Thread.sleep(forTimeInterval: 0.002) })
        var configuration = fixture.consumerConfiguration(
            group: uniqueName("group-wake-full"), properties: ["queued.min.messages": "200", "queued.max.messages.kbytes": "64"])
        configuration.maxBatchRecords = 50
        let consumer = try KafkaConsumer(configuration: configuration, delegate: delegate, logger: testLogger())
        #expect(await eventually(timeout: .seconds(90)) { delegate.totalOffsets() == 20_000 })
        #expect((consumer.core.fetchWaker?.wakeUps ?? 0) > 0)
        for partition in 0..<4 {
            #expect(delegate.snapshot.offsets[KafkaTopicPartition(topic: fixture.topic, partition: Int32(partition))] == Array(0..<5000))
        }
        try await consumer.close(deadline: .seconds(10))
    }
}
