public import Foundation

/// Which request signature the client sends.
public enum OSSSignatureVersion: String, Sendable, Hashable, CaseIterable {
    /// `OSS4-HMAC-SHA256` (default; needs a region).
    case v4
    /// `OSS AccessKeyId:Signature` (HMAC-SHA1).
    case v1
}

/// Everything an ``OSSClient`` needs to reach one bucket.
public struct OSSClientConfiguration: Sendable {
    /// Endpoint URL with scheme, e.g. `https://oss-cn-hangzhou.aliyuncs.com` or `http://127.0.0.1:9000`.
    /// A value without a scheme is taken as `https://`.
    public var endpoint: String
    /// Bare region id used by signature v4 (`cn-hangzhou`, not `oss-cn-hangzhou`). Required for v4; when nil
    /// it is derived from an `oss-<region>[-internal].aliyuncs.com` endpoint host.
    public var region: String?
    public var bucket: String
    public var signatureVersion: OSSSignatureVersion
    /// Path-style addressing (`endpoint/bucket/key`). Used automatically when the endpoint host is an IP address.
    public var pathStyle: Bool
    public var credentialsProvider: any OSSCredentialsProvider
    /// Deadline for one HTTP attempt (connect, send, and receive the whole response).
    public var requestTimeout: Duration
    /// Retry policy for every operation; appends may use a larger `maxAttempts`.
    public var retryPolicy: OSSRetryPolicy
    public var userAgent: String
    /// The local clock; injectable for tests. The client adds a correction learned from `RequestTimeTooSkewed`.
    public var now: @Sendable () -> Date
    /// Largest response body the client buffers (GetObject, listings, errors).
    public var maxResponseBytes: Int
    /// Keep-alive HTTP/1.1 connections the client's own pool keeps open to the endpoint; size it to the number of
    /// requests in flight (the sink's `max_inflight_appends`). Ignored when an `HTTPClient` is passed in.
    public var maxConnections: Int
    /// PEM file of the CA certificates trusted for https endpoints instead of the system's (`oss.ca_file`):
    /// a private CA, or a TLS-inspecting proxy's. `nil`: the system's trust store.
    public var caFile: String?
    /// The HTTP proxy requests go through (see ``OSSProxy/resolve(configured:endpoint:environment:)``).
    public var proxy: OSSProxy?

    public init(
        endpoint: String,
        region: String? = nil,
        bucket: String,
        signatureVersion: OSSSignatureVersion = .v4,
        pathStyle: Bool = false,
        credentialsProvider: any OSSCredentialsProvider,
        requestTimeout: Duration = .seconds(30),
        retryPolicy: OSSRetryPolicy = .default,
        userAgent: String = "kafka-oss-sink/1.0",
        now: @escaping @Sendable () -> Date = { Date() },
        maxResponseBytes: Int = 1 << 30,
        maxConnections: Int = 16,
        caFile: String? = nil,
        proxy: OSSProxy? = nil
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.signatureVersion = signatureVersion
        self.pathStyle = pathStyle
        self.credentialsProvider = credentialsProvider
        self.requestTimeout = requestTimeout
        self.retryPolicy = retryPolicy
        self.userAgent = userAgent
        self.now = now
        self.maxResponseBytes = maxResponseBytes
        self.maxConnections = max(1, maxConnections)
        self.caFile = caFile
        self.proxy = proxy
    }
}
