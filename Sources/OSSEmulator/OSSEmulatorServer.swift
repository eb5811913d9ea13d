public import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
public import OSSSigning
import ServiceLifecycle

/// Settings of an `OSSEmulatorServer`.
public struct OSSEmulatorConfiguration: Sendable {
    /// Address to listen on (loopback by default).
    public var host: String
    /// Port; 0 picks a free one (read it back from `OSSEmulatorServer.port`).
    public var port: Int
    /// Buckets that exist from the start.
    public var buckets: [String]
    /// Accepted credentials. A pair with a `securityToken` is an STS pair: requests signed with it must carry
    /// that token in `x-oss-security-token`.
    public var credentials: [OSSCredentials]
    public var storage: OSSEmulatorStorage
    /// Region reported by GetBucketInfo (`oss-<region>`); V4 requests may sign with any region.
    public var region: String
    /// Maximum |request time − server time| (15 minutes, as OSS).
    public var maxClockSkew: TimeInterval
    /// Largest object (5 GiB, as OSS); request bodies are bounded by it too.
    public var maxObjectSize: UInt64
    /// Serve the fault-injection admin endpoint `/-/faults`.
    public var faultAdminEnabled: Bool
    /// SealAppendObject works (true), or answers 400 `OperationNotSupported` "SealAppendable is not supported."
    /// as OSS does for an account that has not had the feature enabled (false).
    public var sealEnabled: Bool
    /// The server's clock (for skew checks and Last-Modified).
    public var now: @Sendable () -> Date
    public var logger: Logger
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    public var tls: OSSEmulatorTLS?

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        buckets: [String],
        credentials: [OSSCredentials],
        storage: OSSEmulatorStorage = .memory,
        region: String = "cn-hangzhou",
        maxClockSkew: TimeInterval = 15 * 60,
        maxObjectSize: UInt64 = OSSObjectStore.defaultMaxObjectSize,
        faultAdminEnabled: Bool = true,
        sealEnabled: Bool = true,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger = OSSEmulatorConfiguration.defaultLogger(),
        tls: OSSEmulatorTLS? = nil
    ) {
        self.host = host
        self.port = port
        self.buckets = buckets
        self.credentials = credentials
        self.storage = storage
        self.region = region
        self.maxClockSkew = maxClockSkew
        self.maxObjectSize = maxObjectSize
        self.faultAdminEnabled = faultAdminEnabled
        self.sealEnabled = sealEnabled
        self.now = now
        self.logger = logger
        self.tls = tls
    }
}

/// The emulator's certificate or key cannot be used.
public struct OSSEmulatorTLSError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The emulator's HTTPS identity: PEM files of the certificate chain (leaf first) and of its private key.
public struct OSSEmulatorTLS: Sendable, Equatable {
    public var certificateChainFile: String
    public var privateKeyFile: String

    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }

    /// The server side of TLS 1.2/1.3 with the files' certificate chain and key.
    /// - Throws: ``OSSEmulatorTLSError`` naming the file that cannot be read or parsed.
    func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainFile)
        } catch {
            throw OSSEmulatorTLSError("cannot read the TLS certificate \(certificateChainFile) (a PEM certificate chain, leaf first): \(error)")
        }
        guard !chain.isEmpty else {
            throw OSSEmulatorTLSError("the TLS certificate file \(certificateChainFile) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        } catch {
            throw OSSEmulatorTLSError("cannot read the TLS private key \(privateKeyFile) (an unencrypted PEM key): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}

extension OSSEmulatorConfiguration {
    /// Warnings and errors to standard error (stdout stays free for the CLI's endpoint line).
    public static func defaultLogger() -> Logger {
        var logger = Logger(label: "oss-emulator", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }
}

/// An OSS-compatible HTTP server (Hummingbird) for tests, demos and local use.
///
/// ```swift
/// let server = try OSSEmulatorServer(configuration: .init(
///     buckets: ["test-bucket"],
///     credentials: [OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk")]))
/// try await server.start()            // listens on 127.0.0.1:<free port>
/// let endpoint = server.endpoint      // "http://127.0.0.1:PORT" (path-style addressing)
/// server.faults.dropAfterApplyNext(1, match: .init(method: "POST"))
/// await server.shutdown()
/// ```
/// - Important: `start` and `shutdown` are for one run; create a new server (same directory) to restart.
public final class OSSEmulatorServer: Sendable {
    public let configuration: OSSEmulatorConfiguration
    /// The objects; tests may inspect or seed them directly.
    public let store: OSSObjectStore
    /// Fault injection (off until a rule is added).
    public let faults: OSSFaultInjector
    private let state = LockedState()
    private let tlsConfiguration: TLSConfiguration?

    /// Opens the store (a directory store reloads and repairs its contents) and creates the configured buckets.
    public init(configuration: OSSEmulatorConfiguration) throws {
        self.configuration = configuration
        store = try OSSObjectStore(storage: configuration.storage, maxObjectSize: configuration.maxObjectSize)
        faults = OSSFaultInjector()
        tlsConfiguration = try configuration.tls?.serverConfiguration()
        for bucket in configuration.buckets { try store.createBucket(bucket) }
    }

    /// The bound port once `start` returned (or `run` reported listening); nil before.
    public var port: Int? { state.port }

    /// `http://<host>:<port>` once listening.
    public var endpoint: String? {
        guard let port else { return nil }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return "\(configuration.tls == nil ? "http" : "https")://\(host):\(port)"
    }

    /// Starts listening in a background task and returns once the socket is bound. Throws if binding fails.
    @discardableResult
    public func start() async throws -> String {
        let application = makeApplication { _ in }
        let bound = OnceSignal()
        let app = application(bound)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: configuration.logger))
        let task = Task {
            do {
                try await group.run()
                bound.fail(OSSEmulatorStorageError("server stopped before listening"))
            } catch {
                bound.fail(error)
            }
        }
        state.setTask(task, group: group)
        let port = try await bound.wait()
        state.setPort(port)
        return endpoint!
    }

    /// Stops the server started by `start` and waits until it has stopped: stops accepting, lets in-flight
    /// requests finish and closes idle connections; after 5 seconds, remaining connections are cancelled.
    public func shutdown() async {
        guard let (task, group) = state.takeTask() else { return }
        await group.triggerGracefulShutdown()
        let deadline = Task {
            try await Task.sleep(for: .seconds(5))
            task.cancel()
        }
        _ = await task.result
        deadline.cancel()
    }

    /// Runs in the foreground until SIGINT or SIGTERM; `onListening` receives the endpoint once bound.
    public func run(onListening: @escaping @Sendable (String) -> Void) async throws {
        let application = makeApplication { [self] port in
            state.setPort(port)
            onListening(endpoint!)
        }
        let app = application(OnceSignal())
        try await app.runService()
    }

    /// Appends `bytes` at the object's current length as another writer would (creating it when absent).
    @discardableResult
    public func foreignAppend(bucket: String, key: String, bytes: [UInt8]) async throws -> OSSObjectRecord {
        let outcome = try await store.foreignAppend(bucket: bucket, key: key, body: ByteBuffer(bytes: bytes))
        guard case .applied(let record, _) = outcome else {
            throw OSSEmulatorStorageError("foreign append to \(key) was refused: \(outcome)")
        }
        return record
    }

    private func makeApplication(
        onBound: @escaping @Sendable (Int) -> Void
    ) -> (OnceSignal) -> Application<RequestHandler> {
        let handler = RequestHandler(
            store: store,
            faults: faults,
            authenticator: RequestAuthenticator(credentials: configuration.credentials, maxClockSkew: configuration.maxClockSkew),
            region: configuration.region,
            faultAdminEnabled: configuration.faultAdminEnabled,
            sealEnabled: configuration.sealEnabled,
            now: configuration.now
        )
        let configuration = configuration
        let server: HTTPServerBuilder
        if let tlsConfiguration {
            // Only fails for an invalid configuration, which serverConfiguration() already ruled out.
            server = (try? .tls(.http1(), tlsConfiguration: tlsConfiguration)) ?? .http1()
        } else {
            server = .http1()
        }
        return { signal in
            Application(
                responder: handler,
                server: server,
                configuration: ApplicationConfiguration(
                    address: .hostname(configuration.host, port: configuration.port),
                    serverName: "AliyunOSS"
                ),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? configuration.port
                    signal.succeed(port)
                    onBound(port)
                },
                logger: configuration.logger
            )
        }
    }
}

/// Mutable server state behind a lock.
private final class LockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var _port: Int?
    private var running: (Task<Void, Never>, ServiceGroup)?

    var port: Int? { lock.withLock { _port } }
    func setPort(_ port: Int) { lock.withLock { _port = port } }
    func setTask(_ task: Task<Void, Never>, group: ServiceGroup) { lock.withLock { running = (task, group) } }
    func takeTask() -> (Task<Void, Never>, ServiceGroup)? {
        lock.withLock {
            defer { running = nil }
            return running
        }
    }
}

/// Delivers the bound port (or a startup failure) once to one waiter.
private final class OnceSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Int, any Error>?
    private var waiter: CheckedContinuation<Int, any Error>?

    func succeed(_ port: Int) { complete(.success(port)) }
    func fail(_ error: any Error) { complete(.failure(error)) }

    private func complete(_ value: Result<Int, any Error>) {
        let continuation: CheckedContinuation<Int, any Error>? = lock.withLock {
            guard result == nil else { return nil }
            result = value
            defer { waiter = nil }
            return waiter
        }
        continuation?.resume(with: value)
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, any Error>? = lock.withLock {
                if let result { return result }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
