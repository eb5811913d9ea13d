import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OSSSigning

/// Temporary credentials with their expiry.
struct ExpiringCredentials: Sendable {
    var credentials: OSSCredentials
    var expiration: Date
}

/// Caches temporary credentials and refreshes them when less than `refreshMargin` remains; concurrent callers
/// share one refresh. If a refresh fails while the cached credentials have not expired yet, they are still served.
actor CredentialsCache {
    private let refreshMargin: TimeInterval
    private let now: @Sendable () -> Date
    private let fetch: @Sendable () async throws -> ExpiringCredentials
    private var cached: ExpiringCredentials?
    private var inFlight: Task<ExpiringCredentials, any Error>?

    init(
        refreshMargin: Duration, now: @escaping @Sendable () -> Date,
        fetch: @escaping @Sendable () async throws -> ExpiringCredentials
    ) {
        self.refreshMargin = OSSRetryPolicy.seconds(refreshMargin)
        self.now = now
        self.fetch = fetch
    }

    func credentials() async throws -> OSSCredentials {
        let current = now()
        if let cached, cached.expiration.timeIntervalSince(current) > refreshMargin {
            return cached.credentials
        }
        let task: Task<ExpiringCredentials, any Error>
        if let inFlight {
            task = inFlight
        } else {
            let fetch = self.fetch
            task = Task { try await fetch() }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task { inFlight = nil }
            cached = fresh
            return fresh.credentials
        } catch {
            if inFlight == task { inFlight = nil }
            if let cached, cached.expiration > now() { return cached.credentials }
            throw error
        }
    }
}

/// Small helpers shared by the metadata-service and STS providers.
enum CredentialsHTTP {
    struct Response {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func send(
        _ client: HTTPClient, url: String, method: HTTPMethod, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeout: Duration, source: String
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(OSSRetryPolicy.seconds(timeout) * 1e9)))
            let buffer = try await response.body.collect(upTo: 1 << 20)
            return Response(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch {
            let transport = OSSError.fromTransport(error, context: .init(endpoint: url))
            throw OSSError(
                code: .credentialsUnavailable,
                message: "cannot reach the \(source) at \(url) (\(transport.code): \(transport.underlying ?? transport.message)); "
                    + "check that this machine can reach it",
                underlying: transport.underlying
            )
        }
    }

    /// Parses `2017-11-01T05:20:01Z` (also with fractional seconds).
    static func parseExpiration(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
