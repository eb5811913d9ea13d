import Foundation
@testable import SinkService
import Testing

/// The bound between the poll thread and SinkCore: a full budget blocks the producer until bytes are
/// released, an oversized batch passes alone, and `close` frees every waiter.
@Suite struct HandoverBudgetTests {
    @Test func aFullBudgetBlocksUntilBytesAreReleased() async throws {
        let budget = HandoverBudget(limit: 100)
        budget.acquire(80)
        let acquired = Flag()
        let thread = Thread {
            budget.acquire(40)  // 80 + 40 > 100: waits
            acquired.set()
        }
        thread.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(!acquired.isSet)
        budget.release(80)
        try await waitFor { acquired.isSet }
        #expect(budget.inFlight == 40)
    }

    @Test func aBatchLargerThanTheLimitPassesAloneAndCloseFreesWaiters() async throws {
        let budget = HandoverBudget(limit: 10)
        budget.acquire(50)  // nothing outstanding: passes although larger than the limit
        #expect(budget.inFlight == 50)
        let acquired = Flag()
        Thread {
            budget.acquire(1)
            acquired.set()
        }.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(!acquired.isSet)
        budget.close()
        try await waitFor { acquired.isSet }
    }

    private func waitFor(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(condition())
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
