import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OSSSigning

/// One logical OSS request before signing.
struct OSSRequest: Sendable {
    var operation: String
    var method: HTTPMethod
    /// Decoded object key; nil for bucket-level requests.
    var key: String?
    var query: [OSSQueryItem] = []
    /// Lower-cased header names.
    var headers: [String: String] = [:]
    var body: OSSBody?
    /// Append position, for error context.
    var position: UInt64?
}

/// A 2xx response with its body collected.
struct OSSResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
}

/// What happened across the attempts of one request.
struct AttemptLog: Sendable {
    var attempts = 0
    /// Set when an attempt failed in a way that may still have applied the request (timeout, broken
    /// connection, 5xx), so a later 409 on an append can be an earlier attempt that landed.
    var ambiguousFailure: OSSError?
}

extension OSSClient {
    func context(for request: OSSRequest, accessKeyId: String? = nil) -> OSSError.Context {
        OSSError.Context(
            operation: request.operation, endpoint: endpoint.baseURL, bucket: configuration.bucket, key: request.key,
            position: request.position, accessKeyId: accessKeyId.map(OSSError.maskAccessKeyId)
        )
    }

    /// Sends `request` with retries; returns the first 2xx response or throws the last error.
    func send(_ request: OSSRequest, policy: OSSRetryPolicy? = nil) async throws(OSSError) -> OSSResponse {
        var log = AttemptLog()
        return try await send(request, policy: policy, log: &log)
    }

    /// Sends `request` with retries, recording attempts and ambiguous failures in `log` (also when it throws).
    func send(_ request: OSSRequest, policy: OSSRetryPolicy? = nil, log: inout AttemptLog) async throws(OSSError)
        -> OSSResponse
    {
        let policy = policy ?? configuration.retryPolicy
        var skewCorrected = false
        while true {
            log.attempts += 1
            do {
                return try await attempt(request)
            } catch {
                if error.code == .cancelled || Task.isCancelled {
                    var cancelled = error
                    cancelled.code = .cancelled
                    if error.code != .cancelled { cancelled.message = "the OSS request was cancelled" }
                    throw cancelled
                }
                if error.mayHaveBeenApplied { log.ambiguousFailure = error }
                guard error.isRetryable, log.attempts < policy.maxAttempts else { throw error }
                if error.code == .requestTimeTooSkewed, !skewCorrected, correctClock(serverDate: error.serverDate) {
                    skewCorrected = true
                    continue
                }
                let delay = policy.delay(afterAttempt: log.attempts)
                logger.debug(
                    "retrying OSS request",
                    metadata: [
                        "operation": "\(request.operation)", "key": "\(request.key ?? "")", "code": "\(error.code)",
                        "attempt": "\(log.attempts)", "delay_ms": "\(Int(OSSRetryPolicy.seconds(delay) * 1000))",
                    ])
                do {
                    try await policy.sleep(delay)
                } catch {
                    throw OSSError(code: .cancelled, message: "the OSS request was cancelled", context: context(for: request))
                }
            }
        }
    }

    /// One signed attempt.
    private func attempt(_ request: OSSRequest) async throws(OSSError) -> OSSResponse {
        var context = context(for: request)
        if Task.isCancelled {
            throw OSSError(code: .cancelled, message: "the OSS request was cancelled", context: context)
        }
        let credentials: OSSCredentials
        do {
            credentials = try await configuration.credentialsProvider.credentials()
        } catch let error as OSSError {
            var error = error
            if error.context.operation == nil { error.context = context }
            throw error
        } catch {
            throw OSSError(
                code: .credentialsUnavailable,
                message: "the credentials provider failed (\(String(reflecting: type(of: error)))); check oss.credentials",
                context: context
            )
        }
        context.accessKeyId = OSSError.maskAccessKeyId(credentials.accessKeyId)

        var parts = OSSRequestParts(
            method: request.method.rawValue, bucket: configuration.bucket, key: request.key, query: request.query,
            headers: request.headers
        )
        switch configuration.signatureVersion {
        case .v4:
            OSSSignerV4(region: region ?? "").sign(&parts, credentials: credentials, date: signingDate(), keyCache: signingKeys)
        case .v1:
            OSSSignerV1().sign(&parts, credentials: credentials, date: signingDate())
        }

        var http = HTTPClientRequest(url: endpoint.url(bucket: configuration.bucket, key: request.key, query: request.query))
        http.method = request.method
        http.headers.add(name: "User-Agent", value: configuration.userAgent)
        for (name, value) in parts.headers.sorted(by: { $0.key < $1.key }) {
            http.headers.add(name: name, value: value)
        }
        if let body = request.body {
            http.body = body.httpBody
        } else if request.method == .PUT || request.method == .POST {
            http.body = .bytes(ByteBuffer())
        }

        let timeout = TimeAmount.nanoseconds(Int64(OSSRetryPolicy.seconds(configuration.requestTimeout) * 1e9))
        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(http, timeout: timeout)
            status = Int(response.status.code)
            headers = response.headers
            body = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch let error as NIOTooManyBytesError {
            throw OSSError(
                code: .invalidResponse,
                message: "the \(request.operation) response body exceeds \(configuration.maxResponseBytes) bytes (\(error)); "
                    + "read it in ranges",
                context: context
            )
        } catch {
            throw OSSError.fromTransport(error, context: context)
        }
        guard (200..<300).contains(status) else {
            throw OSSError.fromResponse(
                status: status, headers: headers, body: Array(body.readableBytesView), context: context
            )
        }
        return OSSResponse(status: status, headers: headers, body: body)
    }
}
