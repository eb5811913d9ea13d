/// The one error type of the OSS client: a server error (parsed from the XML error document or the
/// `x-oss-err` header), a transport failure, a client-side integrity failure, or a credentials problem.
///
/// `code` is what an operator searches for (the OSS error code, such as `NoSuchBucket`, or one of the
/// client codes below). `description` is a single line naming the cause and the fix.
///
/// - Important: No field ever holds an access key secret or a security token. Server-supplied fields that
///   can echo a token (`StringToSign`, `StringToSignBytes`, `CanonicalRequest`) are dropped from `extras`.
public struct OSSError: Error, Sendable, CustomStringConvertible {
    /// An extensible error code: OSS service codes plus client-side codes.
    public struct Code: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        // Service codes (oss-protocol.md sections 1.5, 1.6, 3.3).
        public static let accessDenied: Code = "AccessDenied"
        public static let invalidAccessKeyId: Code = "InvalidAccessKeyId"
        public static let signatureDoesNotMatch: Code = "SignatureDoesNotMatch"
        public static let requestTimeTooSkewed: Code = "RequestTimeTooSkewed"
        public static let invalidSecurityToken: Code = "InvalidSecurityToken"
        public static let securityTokenExpired: Code = "SecurityTokenExpired"
        public static let noSuchBucket: Code = "NoSuchBucket"
        public static let noSuchKey: Code = "NoSuchKey"
        public static let positionNotEqualToLength: Code = "PositionNotEqualToLength"
        public static let objectNotAppendable: Code = "ObjectNotAppendable"
        /// 409: an append to a sealed object, or SealAppendObject on a Normal object.
        public static let appendSealedObjectNotAllowed: Code = "AppendSealedObjectNotAllowed"
        /// 400 "SealAppendable is not supported.": SealAppendObject is not enabled for the account or bucket.
        public static let operationNotSupported: Code = "OperationNotSupported"
        /// 403: a read of an Archive, Cold Archive or Deep Cold Archive object that is not restored.
        public static let invalidObjectState: Code = "InvalidObjectState"
        /// 409: RestoreObject while a restore of the object is still running.
        public static let restoreAlreadyInProgress: Code = "RestoreAlreadyInProgress"
        public static let fileImmutable: Code = "FileImmutable"
        public static let invalidArgument: Code = "InvalidArgument"
        public static let invalidRange: Code = "InvalidRange"
        /// The server answered with an error status but no parseable error document.
        public static let badErrorResponse: Code = "BadErrorResponse"

        // Client-side codes.
        /// The endpoint host name could not be resolved.
        public static let nameResolutionFailed: Code = "ClientNameResolutionFailed"
        /// A TCP/TLS connection to the endpoint could not be established (refused, unreachable, TLS failure).
        public static let connectionFailed: Code = "ClientConnectionFailed"
        /// The connection broke after the request may have been sent (reset, closed, EOF).
        public static let connectionClosed: Code = "ClientConnectionClosed"
        /// No complete response within the request timeout.
        public static let timeout: Code = "ClientTimeout"
        /// Any other transport failure.
        public static let transport: Code = "ClientTransportError"
        /// The TLS handshake failed: the server's certificate is not trusted (or TLS is not spoken there).
        public static let tlsFailed: Code = "ClientTLSFailed"
        /// A successful append reported a next position or CRC-64 that does not match what was sent.
        public static let integrityMismatch: Code = "ClientIntegrityMismatch"
        /// A 2xx response lacked a header or body the operation needs, or it did not parse.
        public static let invalidResponse: Code = "ClientInvalidResponse"
        /// The client configuration cannot work (bad endpoint URL, missing region for V4, bad key).
        public static let invalidConfiguration: Code = "ClientInvalidConfiguration"
        /// A credentials provider could not produce credentials.
        public static let credentialsUnavailable: Code = "ClientCredentialsUnavailable"
        /// The calling task was cancelled.
        public static let cancelled: Code = "ClientCancelled"
    }

    /// Where the error happened. Only non-secret values.
    public struct Context: Sendable, Hashable {
        /// OSS operation name, such as `AppendObject`.
        public var operation: String?
        /// Endpoint URL as configured (scheme, host, port).
        public var endpoint: String?
        public var bucket: String?
        public var key: String?
        /// Append position sent, for AppendObject.
        public var position: UInt64?
        /// The access key id used, masked to its first and last four characters.
        public var accessKeyId: String?
        public init(
            operation: String? = nil, endpoint: String? = nil, bucket: String? = nil, key: String? = nil,
            position: UInt64? = nil, accessKeyId: String? = nil
        ) {
            self.operation = operation
            self.endpoint = endpoint
            self.bucket = bucket
            self.key = key
            self.position = position
            self.accessKeyId = accessKeyId
        }
    }

    public var code: Code
    /// HTTP status of the response; nil for client-side errors that had no response.
    public var statusCode: Int?
    /// The server's `Message`, or the client's explanation.
    public var message: String
    public var requestId: String?
    public var hostId: String?
    /// OSS fine-grained error code (`EC` element or `x-oss-ec` header), e.g. `0026-00000016`.
    public var ec: String?
    /// Other elements of the error document (e.g. `BucketName`, `Key`, `RecommendDoc`), minus those that can echo secrets.
    public var extras: [String: String]
    /// For `PositionNotEqualToLength`: the object's current length from `x-oss-next-append-position`.
    public var nextAppendPosition: UInt64?
    /// The server's `Date` header, when present (used for clock-skew correction).
    public var serverDate: String?
    /// Description of the underlying transport error, if any.
    public var underlying: String?
    public var context: Context

    public init(
        code: Code, statusCode: Int? = nil, message: String, requestId: String? = nil, hostId: String? = nil,
        ec: String? = nil, extras: [String: String] = [:], nextAppendPosition: UInt64? = nil, serverDate: String? = nil,
        underlying: String? = nil, context: Context = Context()
    ) {
        self.code = code
        self.statusCode = statusCode
        self.message = message
        self.requestId = requestId
        self.hostId = hostId
        self.ec = ec
        self.extras = extras
        self.nextAppendPosition = nextAppendPosition
        self.serverDate = serverDate
        self.underlying = underlying
        self.context = context
    }

    /// True for failures a retry can cure: timeouts, connection errors, HTTP 5xx, 429, `RequestTimeTooSkewed`.
    /// Never true for other 4xx, integrity, configuration or credentials errors.
    public var isRetryable: Bool {
        switch code {
        case .timeout, .connectionFailed, .connectionClosed, .transport, .nameResolutionFailed, .requestTimeTooSkewed:
            return true
        default:
            guard let statusCode else { return false }
            return statusCode >= 500 || statusCode == 429
        }
    }

    /// True when the request may have reached the server and been applied although no success was seen
    /// (timeouts, broken connections, 5xx). False when it certainly was not applied (no connection, 4xx).
    public var mayHaveBeenApplied: Bool {
        switch code {
        case .timeout, .connectionClosed, .transport: return true
        case .connectionFailed, .nameResolutionFailed: return false
        default:
            guard let statusCode else { return false }
            return statusCode >= 500
        }
    }

    /// True for errors that mean the configuration (endpoint, credentials, bucket, permissions) is wrong.
    public var isConfigurationError: Bool {
        switch code {
        case .invalidConfiguration, .credentialsUnavailable, .nameResolutionFailed, .accessDenied, .invalidAccessKeyId,
            .signatureDoesNotMatch, .noSuchBucket, .invalidSecurityToken, .securityTokenExpired, .tlsFailed:
            return true
        default:
            return false
        }
    }

    public var description: String {
        Self.oneLine(summary)
    }
}

extension OSSError {
    /// The cause-and-fix sentence behind `description`.
    private var summary: String {
        let request = requestId.map { ", request id \($0)" } ?? ""
        let endpoint = context.endpoint ?? "the configured endpoint"
        let operation = context.operation ?? "request"
        switch code {
        case .nameResolutionFailed:
            return "cannot resolve the OSS endpoint host of \(endpoint)\(underlying.map { " (\($0))" } ?? ""): "
                + "fix oss.endpoint in the configuration (for example https://oss-cn-hangzhou.aliyuncs.com) or this machine's DNS"
        case .connectionFailed:
            return "cannot connect to the OSS endpoint \(endpoint)\(underlying.map { " (\($0))" } ?? ""): "
                + "check oss.endpoint (scheme, host and port) and that the endpoint is reachable from this machine"
        case .connectionClosed:
            return "the connection to \(endpoint) broke during \(operation)\(underlying.map { " (\($0))" } ?? ""): "
                + "the network or a proxy dropped it; the request is retried automatically, check connectivity if it persists"
        case .tlsFailed:
            return "the TLS handshake with \(endpoint) failed\(underlying.map { " (\($0))" } ?? ""): the server's "
                + "certificate is not trusted by oss.ca_file (or, when that is not set, the system's CA store): set "
                + "oss.ca_file to the PEM bundle of the CA that signed it (a private endpoint's or a TLS-inspecting "
                + "proxy's), and check that oss.endpoint names the host the certificate was issued for"
        case .timeout:
            return "OSS \(operation) to \(endpoint) timed out\(underlying.map { " (\($0))" } ?? ""): "
                + "check that the endpoint is reachable, or raise oss.request_timeout"
        case .signatureDoesNotMatch:
            return "OSS rejected the request signature for access key id \(context.accessKeyId ?? "?") "
                + "(SignatureDoesNotMatch\(request)): the access key secret is wrong for this access key id; "
                + "fix oss.credentials.access_key_secret (or OSS_ACCESS_KEY_SECRET), and oss.region when using signature v4"
        case .invalidAccessKeyId:
            return "OSS does not know access key id \(context.accessKeyId ?? "?") (InvalidAccessKeyId\(request)): "
                + "fix oss.credentials.access_key_id (or OSS_ACCESS_KEY_ID); the key may have been deleted or disabled"
        case .noSuchBucket:
            return "bucket '\(context.bucket ?? extras["BucketName"] ?? "?")' does not exist at \(endpoint) "
                + "(NoSuchBucket\(request)): fix oss.bucket, or oss.endpoint and oss.region if the bucket is in another region, or create the bucket"
        case .requestTimeTooSkewed:
            return "this machine's clock differs from OSS by more than 15 minutes (RequestTimeTooSkewed\(request)): "
                + "synchronise the clock (NTP)"
        case .invalidSecurityToken, .securityTokenExpired:
            return "OSS rejected the STS security token (\(code)\(request)): the token is invalid or expired; "
                + "fix oss.credentials.security_token or let a refreshing provider (ecs_ram_role, oidc) supply it"
        case .accessDenied:
            return "OSS denied \(operation) on \(target) (AccessDenied: \(message)\(request)): "
                + "grant the access key's RAM user or role the needed oss: permissions on the bucket"
        case .invalidObjectState:
            return "OSS refused \(operation) on \(target) (InvalidObjectState: \(message)\(request)): the object is in Archive, "
                + "Cold Archive or Deep Cold Archive storage and must be restored before it can be read "
                + "(RestoreObject; Cold Archive takes 1-12 hours depending on the tier, Deep Cold Archive 12-48 hours), "
                + "or its restored copy expired"
        case .operationNotSupported where context.operation == "SealAppendObject":
            return "OSS does not allow SealAppendObject on \(target) (OperationNotSupported: \(message)\(request)): "
                + "the feature is enabled per account on request (submit a ticket to Alibaba Cloud), "
                + "or set sink.rollover.seal: false"
        case .integrityMismatch, .invalidConfiguration, .credentialsUnavailable, .invalidResponse, .cancelled:
            return message
        default:
            var line = "OSS \(operation) on \(target) failed: "
            if let statusCode { line += "HTTP \(statusCode) " }
            line += "\(code.rawValue): \(message)"
            var details: [String] = []
            if let nextAppendPosition { details.append("next append position \(nextAppendPosition)") }
            if let ec { details.append("EC \(ec)") }
            if let requestId { details.append("request id \(requestId)") }
            if let underlying { details.append(underlying) }
            if !details.isEmpty { line += " (\(details.joined(separator: ", ")))" }
            return line
        }
    }

    private var target: String {
        var target = context.bucket.map { "oss://\($0)/" } ?? (context.endpoint ?? "OSS")
        if let key = context.key { target += key }
        if let position = context.position { target += " at position \(position)" }
        return target
    }

    /// Collapses newlines and runs of whitespace so an error always prints as one line.
    static func oneLine(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        var lastWasSpace = false
        for character in text {
            if character.isWhitespace || character.isNewline {
                if !lastWasSpace { result.append(" ") }
                lastWasSpace = true
            } else {
                result.append(character)
                lastWasSpace = false
            }
        }
        return result.trimmingSpaces()
    }

    /// Masks an access key id to its first and last four characters (`LTAI****wxyz`).
    static func maskAccessKeyId(_ id: String) -> String {
        guard id.count > 8 else { return String(id.prefix(2)) + "****" }
        return String(id.prefix(4)) + "****" + String(id.suffix(4))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
