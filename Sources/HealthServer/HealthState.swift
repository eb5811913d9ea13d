import Synchronization
/// What `/healthz` and `/readyz` answer, updated by the SinkService shell as things happen.
///
/// Ready means: the consumer joined its group (with partitions assigned, or none left to assign), no
/// configuration error is active, OSS answered, and the process is neither failed nor shutting down.
/// Alive means: the process runs and has not been marked fatal.
///
/// - Thread safety: a lock protects the state; every method may be called from any thread or task.
/// - Reasons are single lines: line breaks are replaced with spaces, and text passes through the `redact`
///   function given at init (the process's secret redactor).
public final class HealthState: Sendable {
    /// A copy of the state at one instant.
    public struct Snapshot: Sendable, Equatable {
        /// Set by ``markFatal(reason:)``: `/healthz` answers 503.
        public var fatalReason: String?
        /// Set by ``markShuttingDown()``.
        public var shuttingDown: Bool
        /// The consumer is a member of its group.
        public var groupJoined: Bool
        /// Partitions assigned to this replica; 0 is ready (more replicas than partitions leave some idle).
        public var assignedPartitions: Int
        /// An active configuration error (OSS 403/404/other 4xx, a setting that cannot work).
        public var configError: String?
        /// `nil` while OSS answers; otherwise why it does not (or that it was not reached yet).
        public var ossUnreachableReason: String?
    }

    /// The answer of `/readyz`.
    public enum Readiness: Sendable, Equatable {
        case ready
        /// Not ready, with a one-line reason.
        case notReady(String)
    }

    /// The answer of `/healthz`.
    public enum Liveness: Sendable, Equatable {
        case alive
        /// Marked fatal, with a one-line reason.
        case failed(String)
    }

    /// Called under the state's lock after every change, in order: whether the state is ready, and whether a
    /// configuration error is active (for gauges such as `kafka_oss_sink_ready`).
    public typealias ChangeHandler = @Sendable (_ ready: Bool, _ configError: Bool) -> Void

    private let state: Mutex<Snapshot>
    private let onChange: ChangeHandler?
    private let redact: (@Sendable (String) -> String)?

    /// A state that is alive and not ready: not joined, and OSS not reached yet.
    ///
    /// - Parameters:
    ///   - redact: when given, reasons pass through it before they are stored.
    ///   - onChange: when given, called with the initial state and after every change.
    public init(redact: (@Sendable (String) -> String)? = nil, onChange: ChangeHandler? = nil) {
        self.state = Mutex(Snapshot(
            fatalReason: nil,
            shuttingDown: false,
            groupJoined: false,
            assignedPartitions: 0,
            configError: nil,
            ossUnreachableReason: "OSS not reached yet"
        ))
        self.onChange = onChange
        self.redact = redact
        state.withLock { publish($0) }
    }

    /// The consumer joined its group and holds `assignedPartitions` partitions (0 is fine).
    public func markGroupJoined(assignedPartitions: Int) {
        update {
            $0.groupJoined = true
            $0.assignedPartitions = max(0, assignedPartitions)
        }
    }

    /// The assignment changed (after a rebalance) while the consumer stays in its group.
    public func setAssignedPartitions(_ count: Int) {
        update { $0.assignedPartitions = max(0, count) }
    }

    /// The consumer left or lost its group (session timeout, fatal consumer error, leaving on shutdown).
    public func markGroupLeft() {
        update {
            $0.groupJoined = false
            $0.assignedPartitions = 0
        }
    }

    /// A configuration error is active: `/readyz` answers 503 with `reason` until ``clearConfigError()``.
    public func reportConfigError(_ reason: String) {
        let line = clean(reason)
        update { $0.configError = line }
    }

    /// The configuration error is gone (for example an append succeeded after the policy was fixed).
    public func clearConfigError() {
        update { $0.configError = nil }
    }

    /// OSS answered a request (any HTTP response, including an OSS error that is not a network failure).
    public func markOSSReachable() {
        update { $0.ossUnreachableReason = nil }
    }

    /// OSS could not be reached (connection refused, DNS, TLS, timeouts after retries).
    public func markOSSUnreachable(reason: String) {
        let line = clean(reason)
        update { $0.ossUnreachableReason = line }
    }

    /// Graceful shutdown started: `/readyz` answers 503 so no new work is routed here; `/healthz` stays 200.
    public func markShuttingDown() {
        update { $0.shuttingDown = true }
    }

    /// The process cannot continue: `/healthz` answers 503 so an orchestrator restarts it.
    public func markFatal(reason: String) {
        let line = clean(reason)
        update { $0.fatalReason = line }
    }

    /// The current state.
    public func snapshot() -> Snapshot {
        state.withLock { $0 }
    }

    /// The `/readyz` answer. The first failing condition wins, in this order: fatal, shutting down,
    /// configuration error, OSS unreachable, group not joined.
    public var readiness: Readiness {
        Self.readiness(of: snapshot())
    }

    /// The `/healthz` answer.
    public var liveness: Liveness {
        if let reason = snapshot().fatalReason { return .failed(reason) }
        return .alive
    }

    static func readiness(of state: Snapshot) -> Readiness {
        if let reason = state.fatalReason { return .notReady("fatal: \(reason)") }
        if state.shuttingDown { return .notReady("shutting down") }
        if let reason = state.configError { return .notReady("configuration error: \(reason)") }
        if let reason = state.ossUnreachableReason { return .notReady("OSS unreachable: \(reason)") }
        if !state.groupJoined { return .notReady("consumer group not joined yet") }
        return .ready
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        // Publishing under the lock keeps the gauges in the order of the changes.
        state.withLock { value in
            change(&value)
            publish(value)
        }
    }

    private func publish(_ state: Snapshot) {
        onChange?(Self.readiness(of: state) == .ready, state.configError != nil)
    }

    private func clean(_ reason: String) -> String {
        let redacted = redact?(reason) ?? reason
        let line = String(redacted.map { (character: Character) -> Character in character.isNewline ? " " : character })
        return line.isEmpty ? "(no reason given)" : line
    }
}
