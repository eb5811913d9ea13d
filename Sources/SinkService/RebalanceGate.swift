import Foundation
import KafkaBridge
import SinkCore

/// Lets the sink finish revoked or lost partitions while librdkafka's rebalance callback blocks the
/// poll thread.
///
/// The rebalance handler (on the poll thread) opens the gate, hands the event to the driver, and then
/// runs every consumer operation the driver submits (commits above all) with the handler's
/// `KafkaConsumerControl`, until the driver reports each partition released or the deadline passes.
/// While the gate is closed, the driver uses the consumer's ordinary asynchronous API instead.
///
/// - Important: thread-safe; `runWhileReleasing` must be called only on the poll thread.
final class RebalanceGate: @unchecked Sendable {
    typealias Work = @Sendable (KafkaConsumerControl) -> Void

    private let condition = NSCondition()
    private var open = false
    private var pending: Set<TopicPartition> = []
    private var work: [Work] = []
    /// Set once the driver stopped: nothing will release partitions any more.
    private var abandoned = false

    /// Runs on the poll thread: calls `announce`, then serves submitted work until every partition in
    /// `partitions` is released, `timeout` passes, or the gate is abandoned. Returns the partitions not
    /// released.
    func runWhileReleasing(
        _ partitions: Set<TopicPartition>, control: KafkaConsumerControl, timeout: Duration, announce: () -> Void
    ) -> Set<TopicPartition> {
        condition.lock()
        open = true
        pending.formUnion(partitions)
        condition.unlock()

        announce()

        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds)
            + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        while true {
            while !work.isEmpty {
                let item = work.removeFirst()
                condition.unlock()
                item(control)
                condition.lock()
            }
            if pending.isDisjoint(with: partitions) || abandoned { break }
            if !condition.wait(until: deadline) { break }
        }
        let unreleased = pending.intersection(partitions)
        pending.subtract(partitions)
        open = !pending.isEmpty
        let leftovers = open ? [] : work
        if !open { work.removeAll() }
        condition.unlock()
        // Work submitted just before the gate closed still runs on this thread.
        for item in leftovers { item(control) }
        return unreleased
    }

    /// Runs `item` on the blocked poll thread when a rebalance handler is waiting; returns false when
    /// no handler is waiting (the caller must use the consumer's asynchronous API).
    func submitIfOpen(_ item: @escaping Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard open else { return false }
        work.append(item)
        condition.signal()
        return true
    }

    /// The driver stopped (aborted): rebalance handlers waiting now or later return at once instead of
    /// waiting for releases that will never come, so closing the consumer is not held up by the revoke
    /// deadline. Their partitions' uncommitted records are consumed again by the next owner.
    func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }

    /// The driver finished `partition`.
    func released(_ partition: TopicPartition) {
        condition.lock()
        pending.remove(partition)
        condition.signal()
        condition.unlock()
    }
}
