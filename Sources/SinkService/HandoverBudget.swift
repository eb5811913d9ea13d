import Foundation

/// Bounds the record bytes the poll thread has handed to the driver and SinkCore has not yet taken.
///
/// The poll thread blocks in `acquire` while the bound is reached, so librdkafka stops pulling records
/// the sink cannot process yet (its own prefetch is bounded by `queued.max.messages.kbytes`); the memory
/// between Kafka and SinkCore's watermarks therefore stays bounded however slow OSS or rendering is.
///
/// - Important: thread-safe. `close` releases every waiter for good (used when the driver stops).
final class HandoverBudget: @unchecked Sendable {
    let limit: Int
    private let condition = NSCondition()
    private var outstanding = 0
    private var closed = false
    private var waiting = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits until `bytes` fit (a batch larger than the limit passes alone), then reserves them.
    func acquire(_ bytes: Int) {
        condition.lock()
        while !closed && outstanding > 0 && outstanding + bytes > limit {
            waiting += 1
            condition.wait()
            waiting -= 1
        }
        outstanding += bytes
        condition.unlock()
    }

    /// SinkCore took `bytes`.
    func release(_ bytes: Int) {
        condition.lock()
        outstanding = max(0, outstanding - bytes)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops bounding: waiters return at once and no later `acquire` waits.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Threads blocked in ``acquire(_:)`` right now.
    var waiters: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting
    }

    /// Bytes handed over and not yet taken (for tests and metrics).
    var inFlight: Int {
        condition.lock()
        defer { condition.unlock() }
        return outstanding
    }
}
