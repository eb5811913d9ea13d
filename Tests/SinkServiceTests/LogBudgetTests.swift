@testable import SinkService
import Testing

/// `LogBudget`: lines per window, and the count of those left out reported with the next window's first line.
@Suite struct LogBudgetTests {
    @Test func aWindowLogsItsFirstLinesAndTheNextReportsTheRest() {
        var budget = LogBudget(linesPerWindow: 3, window: .seconds(10))
        let t0 = ContinuousClock.now
        let first = (0..<1000).map { budget.admit(at: t0 + .milliseconds($0)) }
        #expect(first.prefix(3) == [.log(leftOutBefore: 0), .log(leftOutBefore: 0), .log(leftOutBefore: 0)])
        #expect(first.dropFirst(3).allSatisfy { $0 == .leaveOut })
        // The next window: the first line carries the 997 left out.
        #expect(budget.admit(at: t0 + .seconds(10)) == .log(leftOutBefore: 997))
        #expect(budget.admit(at: t0 + .seconds(11)) == .log(leftOutBefore: 0))
        // A quiet window after one with nothing left out reports nothing.
        #expect(budget.admit(at: t0 + .seconds(60)) == .log(leftOutBefore: 0))
    }
}
