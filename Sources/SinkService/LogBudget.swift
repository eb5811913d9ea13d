/// How many lines of one kind a window of time may log: the first `linesPerWindow` of each window, the rest counted.
/// When a later line opens the next window, it also reports how many were left out in the one before, so that a
/// condition hitting thousands of partitions at once (OSS refusing every request) logs a bounded number of lines.
///
/// A value type with the clock passed in: the caller serializes access (``SinkObserver`` keeps it in a `Mutex`).
struct LogBudget: Sendable, Equatable {
    let linesPerWindow: Int
    let window: Duration
    private(set) var windowStart: ContinuousClock.Instant?
    private(set) var logged = 0
    private(set) var leftOut = 0

    init(linesPerWindow: Int, window: Duration) {
        self.linesPerWindow = linesPerWindow
        self.window = window
    }

    /// What to do with a line at `now`.
    enum Decision: Equatable {
        /// Log it; `leftOutBefore` lines of the previous window were not logged (0: none).
        case log(leftOutBefore: Int)
        /// Leave it out (log it at debug at most).
        case leaveOut
    }

    mutating func admit(at now: ContinuousClock.Instant) -> Decision {
        var leftOutBefore = 0
        if windowStart.map({ now - $0 >= window }) ?? true {
            leftOutBefore = leftOut
            windowStart = now
            logged = 0
            leftOut = 0
        }
        guard logged < linesPerWindow else {
            leftOut += 1
            return .leaveOut
        }
        logged += 1
        return .log(leftOutBefore: leftOutBefore)
    }
}
