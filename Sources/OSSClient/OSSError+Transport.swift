import AsyncHTTPClient
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension OSSError {
    /// Classifies an error thrown by the HTTP layer (no response was received).
    static func fromTransport(_ error: any Error, context: Context) -> OSSError {
        if let error = error as? OSSError { return error }
        if error is CancellationError {
            return OSSError(code: .cancelled, message: "the OSS request was cancelled", context: context)
        }
        let detail = describe(error)
        func make(_ code: Code, _ message: String) -> OSSError {
            OSSError(code: code, message: message, underlying: detail, context: context)
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return make(.timeout, "no response within the request timeout")
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout, .socksHandshakeTimeout,
                .httpProxyHandshakeTimeout:
                return make(.connectionFailed, "could not establish a connection in time")
            case .remoteConnectionClosed:
                return make(.connectionClosed, "the server closed the connection before answering")
            case .cancelled:
                return make(.cancelled, "the OSS request was cancelled")
            case .invalidURL, .emptyHost, .emptyScheme:
                return make(.invalidConfiguration, "the OSS endpoint URL is not valid: \(context.endpoint ?? "?")")
            default:
                break
            }
        }
        var found = Findings()
        collect(error, into: &found, depth: 0)
        if found.nameResolution {
            var error = make(.nameResolutionFailed, "the endpoint host name could not be resolved")
            error.underlying = "host not found"
            return error
        }
        if let errno = found.errno {
            var error: OSSError?
            switch errno {
            case ECONNREFUSED: error = make(.connectionFailed, "could not connect"); error?.underlying = "connection refused"
            case EHOSTUNREACH: error = make(.connectionFailed, "could not connect"); error?.underlying = "host unreachable"
            case ENETUNREACH: error = make(.connectionFailed, "could not connect"); error?.underlying = "network unreachable"
            case EADDRNOTAVAIL: error = make(.connectionFailed, "could not connect"); error?.underlying = "address not available"
            case ETIMEDOUT: error = make(.connectionFailed, "could not connect"); error?.underlying = "connect timed out"
            case ECONNRESET, ECONNABORTED:
                error = make(.connectionClosed, "the connection was reset"); error?.underlying = "connection reset"
            case EPIPE: error = make(.connectionClosed, "the connection was reset"); error?.underlying = "broken pipe"
            default: break
            }
            if let error { return error }
        }
        if found.tls {
            return make(.tlsFailed, "the TLS handshake failed")
        }
        if found.connectPhase {
            return make(.connectionFailed, "could not connect")
        }
        if found.closedChannel {
            return make(.connectionClosed, "the connection closed before a response arrived")
        }
        return make(.transport, "transport error")
    }

    private struct Findings {
        var nameResolution = false
        var errno: CInt?
        var connectPhase = false
        var closedChannel = false
        var tls = false
    }

    /// Walks an error value (and its stored properties) looking for the root cause; NIO nests the
    /// per-address connect failures inside its connection error.
    private static func collect(_ value: Any, into found: inout Findings, depth: Int) {
        guard depth < 6 else { return }
        if value is SocketAddressError || value is SocketAddressError.UnknownHost { found.nameResolution = true }
        if let ioError = value as? IOError, found.errno == nil { found.errno = ioError.errnoCode }
        if let channelError = value as? ChannelError {
            switch channelError {
            case .connectTimeout: found.connectPhase = true
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed, .inputClosed: found.closedChannel = true
            default: break
            }
        }
        let typeName = String(reflecting: type(of: value))
        if typeName.contains("NIOConnectionError") || typeName.contains("NIOSSL") || typeName.contains("TLS") {
            found.connectPhase = true
        }
        if typeName.contains("NIOSSLError") || typeName.contains("BoringSSLError") {
            found.tls = true
        }
        if typeName.contains("Resolver") || typeName.contains("Getaddrinfo") {
            found.nameResolution = true
        }
        for child in Mirror(reflecting: value).children {
            collect(child.value, into: &found, depth: depth + 1)
        }
    }

    /// A short, secret-free description of a transport error.
    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
