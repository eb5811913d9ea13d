import Foundation
public import Logging
public import ServiceLifecycle
public import SinkService
import Synchronization

/// The sink while ``withSink(_:logger:reporter:services:_:)`` runs its body.
public final class RunningSink: Sendable {
    private let exited = Mutex(false)

    /// Whether the sink (or one of the services beside it) stopped on its own.
    public var hasExited: Bool { exited.withLock { $0 } }

    func markExited() { exited.withLock { $0 = true } }
}

/// Runs the sink service (and `services` beside it, such as a health server) in one `ServiceGroup`, runs
/// `body`, then stops everything gracefully and waits for it.
///
/// - Returns: what `body` returned.
/// - Throws: `body`'s error (after the stop), else the error the service group ended with.
public func withSink<T: Sendable>(
    _ configuration: SinkServiceConfiguration, logger: Logger, reporter: any SinkReporter = SilentSinkReporter(),
    services: [any Service] = [], _ body: (RunningSink) async throws -> T
) async throws -> T {
    let service = SinkService(configuration: configuration, logger: logger, reporter: reporter)
    let group = ServiceGroup(configuration: .init(services: [service] + services, logger: logger))
    let running = RunningSink()
    let task = Task {
        defer { running.markExited() }
        try await group.run()
    }
    let result: Result<T, any Error>
    do {
        result = .success(try await body(running))
    } catch {
        result = .failure(error)
    }
    await group.triggerGracefulShutdown()
    let ended = await task.result
    let value = try result.get()
    try ended.get()
    return value
}

/// Runs the sink until `done` holds (checked every `poll`), the sink stops on its own, or `timeout` passes;
/// then stops it gracefully.
///
/// - Returns: whether `done` held.
/// - Throws: the error `done` threw, or the sink's own error.
@discardableResult
public func runSink(
    _ configuration: SinkServiceConfiguration, logger: Logger, reporter: any SinkReporter = SilentSinkReporter(),
    timeout: Duration = .seconds(60), poll: Duration = .milliseconds(100),
    until done: @escaping @Sendable () async throws -> Bool
) async throws -> Bool {
    try await withSink(configuration, logger: logger, reporter: reporter) { running in
        var held = false
        try await eventually(timeout: timeout, poll: poll) {
            held = try await done()
            return held || running.hasExited
        }
        return held
    }
}
