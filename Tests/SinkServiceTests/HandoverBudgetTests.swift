import Foundation
@testable import SinkService
import SinkTesting
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
        #expect(await eventually { budget.waiters == 1 })
        #expect(!acquired.isSet)
        budget.release(80)
        #expect(await eventually { acquired.isSet })
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
        #expect(await eventually { budget.waiters == 1 })
        #expect(!acquired.isSet)
        budget.close()
        #expect(await eventually { acquired.isSet })
    }
}

private final class Flag: Sendable {
    private let value = SharedBox(false)
    func set() { value.set(true) }
    var isSet: Bool { value.current }
}
