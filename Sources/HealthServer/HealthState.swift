public import Foundation
import Synchronization

/// What `/healthz` and `/readyz` answer, updated by the SinkService shell as things happen.
///
/// Ready means: the consumer joined its group (with partitions assigned, or none left to assign), no
/// configuration error is active, OSS answered, a Kafka broker is reachable, and the process is neither failed
/// nor shutting down. Alive means: the process runs and has not been marked fatal.
///
/// Every condition that keeps the sink from being ready remembers since when it holds, so ``waiting()`` can
/// say what the sink waits for and since when (`/readyz` and the periodic "still waiting" log line).
///
/// - Thread safety: a lock protects the state; every method may be called from any thread or task.
/// - Reasons are single lines: line breaks are replaced with spaces, and text passes through the `redact`
///   function given at init (the process's secret redactor).
public final class HealthState: Sendable {
    /// One reason not to be ready, in the order ``readiness`` checks them.
    public enum Condition: String, Sendable, Hashable, CaseIterable {
        case fatal
        case shuttingDown = "shutting_down"
        case configurationError = "configuration_error"
        case ossUnreachable = "oss_unreachable"
        case kafkaBrokersDown = "kafka_brokers_down"
        case groupNotJoined = "group_not_joined"
    }

    /// What the sink waits for: the first condition that keeps it from being ready, and since when it holds.
    public struct Waiting: Sendable, Equatable {
        public var condition: Condition
        /// The `/readyz` reason.
        public var reason: String
        /// When the condition began (a new reason for the same condition keeps the time).
        public var since: Date

        public init(condition: Condition, reason: String, since: Date) {
            self.condition = condition
            self.reason = reason
            self.since = since
        }
    }

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
        /// `nil` while a Kafka broker is reachable; otherwise librdkafka's reason.
        public var kafkaDownReason: String?
        /// While not joined: what the membership waits for (from librdkafka's group state), when known.
        public var groupWait: String?
        /// When each condition that holds now began.
        public var since: [Condition: Date]
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
    private let now: @Sendable () -> Date

    /// A state that is alive and not ready: not joined, and OSS not reached yet.
    ///
    /// - Parameters:
    ///   - redact: when given, reasons pass through it before they are stored.
    ///   - onChange: when given, called with the initial state and after every change.
    ///   - now: the clock that dates the conditions (injected by tests).
    public init(
        redact: (@Sendable (String) -> String)? = nil, onChange: ChangeHandler? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let start = now()
        self.state = Mutex(Snapshot(
            fatalReason: nil,
            shuttingDown: false,
            groupJoined: false,
            assignedPartitions: 0,
            configError: nil,
            ossUnreachableReason: "OSS not reached yet",
            kafkaDownReason: nil,
            groupWait: nil,
            since: [.groupNotJoined: start, .ossUnreachable: start]
        ))
        self.onChange = onChange
        self.redact = redact
        self.now = now
        state.withLock { publish($0) }
    }

    /// The consumer joined its group and holds `assignedPartitions` partitions (0 is fine).
    public func markGroupJoined(assignedPartitions: Int) {
        update {
            $0.groupJoined = true
            $0.groupWait = nil
            $0.assignedPartitions = max(0, assignedPartitions)
        }
    }

    /// What the group membership waits for (`nil`: nothing known); shown while not joined.
    public func setGroupWait(_ detail: String?) {
        let line = detail.map(clean)
        update { $0.groupWait = line }
    }

    /// No Kafka broker can be reached; librdkafka keeps trying.
    public func markKafkaBrokersDown(reason: String) {
        let line = clean(reason)
        update { $0.kafkaDownReason = line }
    }

    /// A Kafka broker is reachable again.
    public func markKafkaBrokersUp() {
        update { $0.kafkaDownReason = nil }
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
    /// configuration error, OSS unreachable, Kafka brokers down, group not joined.
    public var readiness: Readiness {
        Self.readiness(of: snapshot())
    }

    /// What the sink waits for now, and since when; `nil` when it is ready.
    public func waiting() -> Waiting? {
        let state = snapshot()
        guard let (condition, reason) = Self.failing(state) else { return nil }
        return Waiting(condition: condition, reason: reason, since: state.since[condition] ?? now())
    }

    /// The `/healthz` answer.
    public var liveness: Liveness {
        if let reason = snapshot().fatalReason { return .failed(reason) }
        return .alive
    }

    static func readiness(of state: Snapshot) -> Readiness {
        failing(state).map { .notReady($0.1) } ?? .ready
    }

    /// The first condition that holds in `state`, with its reason.
    static func failing(_ state: Snapshot) -> (Condition, String)? {
        if let reason = state.fatalReason { return (.fatal, "fatal: \(reason)") }
        if state.shuttingDown { return (.shuttingDown, "shutting down") }
        if let reason = state.configError { return (.configurationError, "configuration error: \(reason)") }
        if let reason = state.ossUnreachableReason { return (.ossUnreachable, "OSS unreachable: \(reason)") }
        if let reason = state.kafkaDownReason { return (.kafkaBrokersDown, "Kafka brokers down: \(reason)") }
        if !state.groupJoined {
            return (.groupNotJoined, "consumer group not joined yet" + (state.groupWait.map { ": \($0)" } ?? ""))
        }
        return nil
    }

    /// Which conditions hold in `state`.
    static func holding(_ state: Snapshot) -> Set<Condition> {
        var holding: Set<Condition> = []
        if state.fatalReason != nil { holding.insert(.fatal) }
        if state.shuttingDown { holding.insert(.shuttingDown) }
        if state.configError != nil { holding.insert(.configurationError) }
        if state.ossUnreachableReason != nil { holding.insert(.ossUnreachable) }
        if state.kafkaDownReason != nil { holding.insert(.kafkaBrokersDown) }
        if !state.groupJoined { holding.insert(.groupNotJoined) }
        return holding
    }

    private func update(_ change: (inout Snapshot) -> Void) {
        let time = now()
        // Publishing under the lock keeps the gauges in the order of the changes.
        state.withLock { value in
            change(&value)
            let holding = Self.holding(value)
            for condition in Condition.allCases {
                if !holding.contains(condition) {
                    value.since[condition] = nil
                } else if value.since[condition] == nil {
                    value.since[condition] = time
                }
            }
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
