import Foundation
import Hummingbird
public import Logging
public import Prometheus
public import ServiceLifecycle
import Synchronization

/// The HTTP endpoint on `server.listen`: `/healthz`, `/readyz` and `/metrics`.
///
/// - `GET /healthz`: 200 `ok` while the process runs; 503 `fatal: <reason>` after ``HealthState/markFatal(reason:)``.
/// - `GET /readyz`: 200 `ready` when ``HealthState/readiness`` is ready, else 503
///   `not ready: <reason> (since <RFC 3339 time>)` (one line).
/// - `GET /metrics`: the registry in the Prometheus text exposition format (version 0.0.4).
///
/// A `Service`: ``run()`` serves until graceful shutdown (or cancellation) of its `ServiceGroup`, then
/// returns. Port 0 binds a free port; ``listeningPort()`` tells which.
public final class HealthServer: Service, Sendable {
    /// The address to listen on.
    public let host: String
    /// The port asked for (0: any free port).
    public let requestedPort: Int

    private let state: HealthState
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let bound = PortSignal()

    /// - Parameters:
    ///   - host: for example `0.0.0.0` (all IPv4 interfaces) or `127.0.0.1`.
    ///   - port: 0 binds a free port.
    ///   - state: what the health endpoints answer.
    ///   - registry: what `/metrics` exposes (``MetricsBootstrap/bootstrapPrometheus()``'s registry in the service).
    ///   - logger: for the server's own events (listening, bind failures).
    public init(host: String, port: Int, state: HealthState, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.host = host
        self.requestedPort = port
        self.state = state
        self.registry = registry
        self.logger = logger
    }

    /// Serves until graceful shutdown or cancellation, then returns.
    ///
    /// - Throws: ``HealthServerError`` with code `bindFailed` when the address cannot be bound (in use,
    ///   not local), `alreadyRunning` when called twice.
    public func run() async throws {
        guard bound.claimRun() else {
            throw HealthServerError(.alreadyRunning, "the health server at \(host):\(requestedPort) was already started")
        }
        let host = host
        let requestedPort = requestedPort
        let logger = logger
        let bound = bound
        // Hummingbird announces itself at info; the line below is the one "listening" line.
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            router: Self.makeRouter(state: state, registry: registry),
            configuration: ApplicationConfiguration(address: .hostname(host, port: requestedPort), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? requestedPort
                logger.info("health server listening", metadata: ["host": "\(host)", "port": "\(port)"])
                bound.succeed(port)
            },
            logger: serverLogger
        )
        do {
            try await app.run()
        } catch {
            let failure = bound.port == nil
                ? HealthServerError(
                    .bindFailed,
                    "cannot listen on \(host):\(requestedPort) for /healthz, /readyz and /metrics: \(error) "
                        + "(set server.listen to a free host:port)")
                : HealthServerError(.serverFailed, "the health server on \(host):\(requestedPort) stopped: \(error)")
            bound.fail(failure)
            throw failure
        }
        bound.fail(HealthServerError(.serverFailed, "the health server on \(host):\(requestedPort) stopped"))
    }

    /// The bound port, once listening; `nil` before.
    public var port: Int? {
        bound.port
    }

    /// Waits until the server listens and returns the bound port.
    ///
    /// - Throws: the ``HealthServerError`` of ``run()`` when it failed (or stopped) before listening.
    public func listeningPort() async throws -> Int {
        try await bound.wait()
    }

    static func makeRouter(state: HealthState, registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ -> Response in
            switch state.liveness {
            case .alive: return textResponse(.ok, "ok")
            case .failed(let reason): return textResponse(.serviceUnavailable, "fatal: \(reason)")
            }
        }
        router.get("/readyz") { _, _ -> Response in
            guard let waiting = state.waiting() else { return textResponse(.ok, "ready") }
            return textResponse(.serviceUnavailable, "not ready: \(waiting.reason) (since \(waiting.since.formatted(.iso8601)))")
        }
        router.get("/metrics") { _, _ -> Response in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * 1024)
            registry.emit(into: &bytes)
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: buffer)
            )
        }
        return router
    }

    private static func textResponse(_ status: HTTPResponse.Status, _ text: String) -> Response {
        let buffer = ByteBufferAllocator().buffer(string: text + "\n")
        return Response(
            status: status,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: buffer)
        )
    }
}

/// A failure of the health server.
public struct HealthServerError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The listen address could not be bound.
        public static let bindFailed = Code("bindFailed")
        /// The server stopped with an error after it was listening.
        public static let serverFailed = Code("serverFailed")
        /// ``HealthServer/run()`` was called a second time.
        public static let alreadyRunning = Code("alreadyRunning")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The bound port (or why there is none), delivered to any number of waiters.
private final class PortSignal: Sendable {
    private struct State {
        var started = false
        var result: Result<Int, HealthServerError>?
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    private let state = Mutex(State())

    func claimRun() -> Bool {
        state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
    }

    var port: Int? {
        state.withLock { state in
            if case .success(let port) = state.result { return port }
            return nil
        }
    }

    func succeed(_ port: Int) { complete(.success(port)) }
    func fail(_ error: HealthServerError) { complete(.failure(error)) }

    private func complete(_ result: Result<Int, HealthServerError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard state.result == nil else { return [] }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            waiter.resume(with: result.mapError { $0 as any Error })
        }
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<Int, HealthServerError>? in
                if let result = state.result { return result }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }
}
