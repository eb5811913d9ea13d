public import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import OSSSigning
import Synchronization

/// A client for one OSS bucket over AsyncHTTPClient with a keep-alive connection pool.
///
/// Every operation signs each attempt afresh (V4 by default, or V1), retries per ``OSSRetryPolicy``
/// (timeouts, connection errors, 5xx, 429, `RequestTimeTooSkewed` after correcting the clock offset from the
/// response `Date`), and throws ``OSSError`` on failure. The client is `Sendable`; call it from any task.
///
/// - Important: Call ``shutdown()`` when done if the client created its own `HTTPClient`.
public final class OSSClient: Sendable {
    public let configuration: OSSClientConfiguration
    public let endpoint: OSSEndpoint
    /// The V4 signing region in use (configured, or implied by the endpoint host).
    public let region: String?
    let httpClient: HTTPClient
    private let ownsHTTPClient: Bool
    let logger: Logger
    /// Seconds added to `configuration.now()` when signing; learned from `RequestTimeTooSkewed`.
    private let clockOffset = Mutex<Double>(0)
    /// The V4 signing key of the current day and credentials, derived once per day and secret.
    let signingKeys = OSSSigningKeyCache()

    /// Creates a client.
    /// - Parameters:
    ///   - httpClient: a shared `HTTPClient` to use; when nil the client creates (and ``shutdown()`` shuts down)
    ///     its own, configured for HTTP/1.1 keep-alive, no redirects, and no automatic connection retries
    ///     (retries are the client's job).
    /// - Throws: ``OSSError`` with code `invalidConfiguration` for an unusable endpoint, bucket or missing V4 region.
    public init(configuration: OSSClientConfiguration, httpClient: HTTPClient? = nil, logger: Logger? = nil)
        throws(OSSError)
    {
        self.configuration = configuration
        let endpoint = try OSSEndpoint(parsing: configuration.endpoint, pathStyle: configuration.pathStyle)
        self.endpoint = endpoint
        let region = configuration.region.flatMap { $0.isEmpty ? nil : $0 } ?? endpoint.impliedRegion
        self.region = region
        if configuration.signatureVersion == .v4, region == nil {
            throw OSSError(
                code: .invalidConfiguration,
                message: "oss.region is required for signature v4 with endpoint \(configuration.endpoint): "
                    + "set it to the bucket's region id (for example cn-hangzhou), or use signature_version: v1"
            )
        }
        try Self.validateBucket(configuration.bucket)
        self.logger = logger ?? Logger(label: "oss-client")
        if let httpClient {
            self.httpClient = httpClient
            ownsHTTPClient = false
        } else {
            var http = HTTPClient.Configuration()
            http.redirectConfiguration = .disallow
            http.httpVersion = .http1Only
            http.decompression = .disabled
            http.connectionPool.retryConnectionEstablishment = false
            http.connectionPool.idleTimeout = .seconds(50)
            http.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maxConnections
            let connectSeconds = min(10, max(1, OSSRetryPolicy.seconds(configuration.requestTimeout)))
            http.timeout = .init(connect: .milliseconds(Int64(connectSeconds * 1000)))
            if let caFile = configuration.caFile {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates(try Self.loadCertificates(caFile))
                http.tlsConfiguration = tls
            }
            if let proxy = configuration.proxy {
                let authorization = proxy.username.map { HTTPClient.Authorization.basic(username: $0, password: proxy.password ?? "") }
                http.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
            }
            self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
            ownsHTTPClient = true
        }
    }

    /// Shuts down the client's own `HTTPClient` (no-op for a shared one).
    public func shutdown() async throws {
        guard ownsHTTPClient, !isShutDown.withLock({ value in defer { value = true }; return value }) else { return }
        try await httpClient.shutdown()
    }

    private let isShutDown = Mutex<Bool>(false)

    deinit {
        // A client dropped without `shutdown()` (an error path) still releases its own connections, in the
        // background, instead of tripping AsyncHTTPClient's leak check.
        if ownsHTTPClient && !isShutDown.withLock({ $0 }) {
            httpClient.shutdown { _ in }
        }
    }

    /// The clock-skew correction currently applied to signing dates, in seconds.
    public var clockCorrection: Double { clockOffset.withLock { $0 } }

    /// The certificates of a PEM CA bundle (`oss.ca_file`).
    /// - Throws: ``OSSError`` `.invalidConfiguration` naming the file when it cannot be read or holds no certificate.
    static func loadCertificates(_ path: String) throws(OSSError) -> [NIOSSLCertificate] {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw OSSError(code: .invalidConfiguration,
                           message: "oss.ca_file \(path) cannot be read as PEM CA certificates (\(error)): "
                               + "give a readable file of -----BEGIN CERTIFICATE----- blocks")
        }
        guard !certificates.isEmpty else {
            throw OSSError(code: .invalidConfiguration,
                           message: "oss.ca_file \(path) holds no PEM certificate: give a file of -----BEGIN CERTIFICATE----- blocks")
        }
        return certificates
    }

    private static func validateBucket(_ bucket: String) throws(OSSError) {
        let valid =
            (3...63).contains(bucket.count)
            && bucket.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
            && !bucket.hasPrefix("-") && !bucket.hasSuffix("-")
        guard valid else {
            throw OSSError(
                code: .invalidConfiguration,
                message: "oss.bucket '\(bucket)' is not a valid bucket name: use 3-63 lower-case letters, digits and hyphens, "
                    + "not starting or ending with a hyphen"
            )
        }
    }

    func signingDate() -> Date {
        configuration.now().addingTimeInterval(clockOffset.withLock { $0 })
    }

    /// Learns the offset between the server clock (response `Date`) and the local clock.
    func correctClock(serverDate: String?) -> Bool {
        guard let serverDate, let server = OSSDateFormat.parseRFC1123(serverDate) else { return false }
        let offset = server.timeIntervalSince(configuration.now())
        clockOffset.withLock { $0 = offset }
        logger.warning("local clock differs from OSS; correcting signing time", metadata: ["offset_seconds": "\(Int(offset))"])
        return true
    }
}
