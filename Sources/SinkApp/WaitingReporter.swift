public import Foundation
public import HealthServer
public import Logging
public import ServiceLifecycle

/// Logs, every `interval` while the sink is not ready, what it waits for and since when: the same reason
/// `/readyz` gives (joining the group, the assignment, OSS unreachable, Kafka brokers down, a configuration
/// error, shutting down).
///
/// A wait shorter than `interval` is not logged, so a normal start (ready within a few seconds) stays quiet.
/// The clock is injected: ``line(at:)`` is what a tick logs at a given time, so tests drive time themselves.
public struct WaitingReporter: Service {
    public let health: HealthState
    public let logger: Logger
    public let interval: Duration
    private let now: @Sendable () -> Date

    public init(health: HealthState, logger: Logger, interval: Duration = .seconds(10),
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.health = health
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    /// One log event: level, message and metadata.
    public struct Line: Sendable, Equatable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        public init(level: Logger.Level, message: String, metadata: [String: String]) {
            self.level = level
            self.message = message
            self.metadata = metadata
        }
    }

    /// What a tick at `time` logs: `nil` when the sink is ready or has waited less than `interval`.
    public func line(at time: Date) -> Line? {
        guard let waiting = health.waiting() else { return nil }
        let waited = time.timeIntervalSince(waiting.since)
        guard waited >= Double(interval.components.seconds) else { return nil }
        let level: Logger.Level = switch waiting.condition {
        case .groupNotJoined, .shuttingDown: .info
        case .configurationError, .ossUnreachable, .kafkaBrokersDown, .fatal: .warning
        }
        return Line(
            level: level,
            message: "still waiting: \(waiting.reason)",
            metadata: [
                "waiting_for": waiting.condition.rawValue,
                "since": waiting.since.formatted(.iso8601),
                "waited_s": String(Int(waited)),
            ])
    }

    /// Logs ``line(at:)`` every `interval` until graceful shutdown or cancellation (`run` lists it first among its
    /// services, so that it stops last and also reports a stop that takes long).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
                if let line = line(at: now()) {
                    logger.log(level: line.level, "\(line.message)", metadata: line.metadata.mapValues { .string($0) })
                }
            }
        }
    }
}
