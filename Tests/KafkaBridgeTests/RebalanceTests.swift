import Foundation
import KafkaBridge
import Testing

/// Tracks what a consumer processed, for its revoke handler.
final class ProcessedOffsets: @unchecked Sendable {
    private let lock = NSLock()
    private var next: [KafkaTopicPartition: Int64] = [:]
    private(set) var revokeObservations: [(revoked: [KafkaTopicPartition], stillAssigned: Bool, commit: KafkaCommitResult)] = []

    func record(_ batch: KafkaRecordBatch) {
        lock.withLock { for record in batch.records { next[record.topicPartition] = record.offset + 1 } }
    }

    func nextOffsets(for partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition: Int64] {
        lock.withLock { next.filter { partitions.contains($0.key) } }
    }

    func observe(_ revoked: [KafkaTopicPartition], stillAssigned: Bool, commit: KafkaCommitResult) {
        lock.withLock { revokeObservations.append((revoked, stillAssigned, commit)) }
    }

    var observations: [(revoked: [KafkaTopicPartition], stillAssigned: Bool, commit: KafkaCommitResult)] {
        lock.withLock { revokeObservations }
    }
}

@Suite(.timeLimit(.minutes(1))) struct RebalanceTests {
    @Test(arguments: [KafkaRebalanceProtocol.cooperativeSticky, .eager])
    func revokeHandlerCommitsBeforePartitionsMoveAndTheNewOwnerStartsThere(_ rebalance: KafkaRebalanceProtocol) async throws {
        let partitions = 4
        let fixture = try ClusterFixture(partitions: partitions, topicPrefix: "rebalance")
        try await fixture.produce(perPartition: 400, partitions: partitions)
        let group = uniqueName("group-rebalance")

        let processed = ProcessedOffsets()
        let first = RecordingDelegate(
            onRebalance: { control, event in
                guard case .revoked(let revoked) = event else { return }
                // Still assigned while the handler runs: finish and commit synchronously.
                let stillAssigned = Set(revoked).isSubset(of: Set(control.assignment))
                let commits = processed.nextOffsets(for: revoked).map {
                    KafkaCommitOffset(topic: $0.key.topic, partition: $0.key.partition, offset: $0.value, metadata: "revoke p\($0.key.partition) next=\($0.value)")
                }
                processed.observe(revoked, stillAssigned: stillAssigned, commit: control.commitSync(commits))
            },
            onBatch: { _, batch in processed.record(batch) }
        )
        let consumer1 = try KafkaConsumer(
            configuration: fixture.consumerConfiguration(group: group, protocol: rebalance), delegate: first, logger: testLogger())
        #expect(await eventually { first.totalOffsets() == 1_600 })
        #expect(consumer1.assignment.count == partitions)
        // A regular commit before the rebalance (the sink commits after each append).
        try await consumer1.commit((0..<Int32(partitions)).map {
            KafkaCommitOffset(topic: fixture.topic, partition: $0, offset: 400, metadata: "append p\($0) next=400")
        })

        let second = RecordingDelegate()
        let consumer2 = try KafkaConsumer(
            configuration: fixture.consumerConfiguration(group: group, protocol: rebalance), delegate: second, logger: testLogger())
        #expect(await eventually {
            let a = Set(consumer1.assignment), b = Set(consumer2.assignment)
            return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.count + b.count == partitions
        })
        let moved = consumer2.assignment
        let observations = processed.observations
        #expect(!observations.isEmpty, "the first consumer's revoke handler never ran")
        for observation in observations {
            #expect(observation.stillAssigned, "revoked partitions were already unassigned when the handler ran")
            if rebalance == .cooperativeSticky {
                #expect(observation.commit.isSuccess, "revoke commit failed: \(String(describing: observation.commit.firstError))")
            } else if let error = observation.commit.firstError {
                // librdkafka 2.0.2's mock coordinator refuses every commit while an eager rebalance
                // is in progress (a real broker accepts it from the current generation); the
                // failure must be reported, not swallowed.
                #expect(error.librdkafkaName == "REBALANCE_IN_PROGRESS", "\(error)")
            }
        }
        let revokeCommitSucceeded = observations.allSatisfy(\.commit.isSuccess)
        let revokedAll = Set(observations.flatMap(\.revoked))
        #expect(Set(moved).isSubset(of: revokedAll))
        if rebalance == .cooperativeSticky {
            // Only the moved partitions are revoked.
            #expect(revokedAll == Set(moved))
        }

        // The new owner starts exactly where the revoke handler committed.
        let committed = try await consumer2.committed(moved)
        for entry in committed {
            #expect(entry.offset == 400)
            let prefix = revokeCommitSucceeded ? "revoke" : "append"
            #expect(entry.metadata == "\(prefix) p\(entry.topicPartition.partition) next=400")
        }
        try await fixture.produce(perPartition: 100, partitions: partitions, startIndex: 400)
        #expect(await eventually { first.totalOffsets() + second.totalOffsets() == 2_000 })
        let secondOffsets = second.snapshot.offsets
        for tp in moved { #expect(secondOffsets[tp] == Array(400..<500)) }
        #expect(Set(secondOffsets.keys) == Set(moved))
        let firstOffsets = first.snapshot.offsets
        for tp in consumer1.assignment { #expect(firstOffsets[tp] == Array(0..<500)) }

        try await consumer2.close(deadline: .seconds(10))
        try await consumer1.close(deadline: .seconds(10))
        #expect(first.totalOffsets() + second.totalOffsets() == 2_000)
    }

    @Test func lostPartitionsAreReportedSeparatelyFromRevoked() async throws {
        let fixture = try ClusterFixture(partitions: 2, topicPrefix: "lost")
        try await fixture.produce(perPartition: 10, partitions: 2)
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(configuration: fixture.consumerConfiguration(group: uniqueName("group-lost")), delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 20 })

        // The coordinator forgets the member: the next heartbeat fails and the assignment is lost.
        try fixture.cluster.pushRequestErrors(.heartbeat, [.unknownMemberID])
        #expect(await eventually { delegate.snapshot.events.contains { if case .lost = $0 { true } else { false } } })
        let events = delegate.snapshot.events
        let lost = events.compactMap { if case .lost(let tps) = $0 { tps } else { nil } }
        #expect(lost.first.map(Set.init) == Set((0..<2).map { KafkaTopicPartition(topic: fixture.topic, partition: Int32($0)) }))
        #expect(!events.contains { if case .revoked = $0 { true } else { false } }, "lost partitions were reported as revoked: \(events)")
        // It rejoins and gets them back.
        #expect(await eventually { consumer.assignment.count == 2 })
        try await consumer.close(deadline: .seconds(10))
    }
}
