/// A parsed Authorization header, tolerant of order and whitespace (for servers such as the emulator).
///
/// Accepted forms:
/// - `OSS <AccessKeyId>:<Signature>` (V1).
/// - `OSS4-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/<product>/aliyun_v4_request[,AdditionalHeaders=<h1;h2>],Signature=<hex>`
///   with the parameters in any order, separated by `,` with optional spaces or tabs around each part (the Go/
///   Python v2 SDKs emit `,`; oss2 emits `, ` with AdditionalHeaders last).
///
/// Rejected: other schemes, missing or repeated or unknown parameters, a credential scope that does not have
/// five parts ending in `aliyun_v4_request` or whose date is not eight digits, an empty `AdditionalHeaders`
/// or one with an empty element (`host;`), and a signature that is not 64 hex digits.
public enum OSSAuthorization: Sendable, Equatable {
    case v1(accessKeyId: String, signature: String)
    /// `additionalHeaders` are lower-cased, in header order.
    case v4(accessKeyId: String, date: String /* yyyymmdd */, region: String, product: String,
            additionalHeaders: [String], signature: String)

    public static func parse(_ header: String) throws(OSSAuthorizationParseError) -> OSSAuthorization {
        let text = ASCII.trimmed(header)
        guard let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
            throw OSSAuthorizationParseError(
                "Authorization header has no credentials after the scheme; expected 'OSS <AccessKeyId>:<Signature>' "
                    + "or 'OSS4-HMAC-SHA256 Credential=...,Signature=...'"
            )
        }
        let scheme = String(text[..<space])
        let rest = ASCII.trimmed(String(text[text.index(after: space)...]))
        switch scheme {
        case "OSS": return try parseV1(rest)
        case OSSSignerV4.algorithm: return try parseV4(rest)
        default:
            throw OSSAuthorizationParseError(
                "Authorization scheme '\(scheme)' is not supported; use 'OSS' (V1) or 'OSS4-HMAC-SHA256' (V4)"
            )
        }
    }

    private static func parseV1(_ rest: String) throws(OSSAuthorizationParseError) -> OSSAuthorization {
        guard let colon = rest.lastIndex(of: ":") else {
            throw OSSAuthorizationParseError("V1 Authorization must be 'OSS <AccessKeyId>:<Signature>' (no ':' found)")
        }
        let accessKeyId = String(rest[..<colon])
        let signature = String(rest[rest.index(after: colon)...])
        guard !accessKeyId.isEmpty, !signature.isEmpty,
              !accessKeyId.contains(where: \.isWhitespace), !signature.contains(where: \.isWhitespace)
        else {
            throw OSSAuthorizationParseError(
                "V1 Authorization must be 'OSS <AccessKeyId>:<Signature>' with a non-empty AccessKeyId and signature"
            )
        }
        return .v1(accessKeyId: accessKeyId, signature: signature)
    }

    private static func parseV4(_ rest: String) throws(OSSAuthorizationParseError) -> OSSAuthorization {
        var fields: [String: String] = [:]
        for element in rest.split(separator: ",", omittingEmptySubsequences: false) {
            let part = ASCII.trimmed(String(element))
            guard let equals = part.firstIndex(of: "=") else {
                throw OSSAuthorizationParseError(
                    "V4 Authorization parameter '\(part)' is not 'Name=value'; parameters are Credential, "
                        + "AdditionalHeaders and Signature separated by ','"
                )
            }
            let name = ASCII.trimmed(String(part[..<equals]))
            let value = ASCII.trimmed(String(part[part.index(after: equals)...]))
            guard ["Credential", "AdditionalHeaders", "Signature"].contains(name) else {
                throw OSSAuthorizationParseError(
                    "V4 Authorization has unknown parameter '\(name)'; expected Credential, AdditionalHeaders, Signature"
                )
            }
            guard fields[name] == nil else {
                throw OSSAuthorizationParseError("V4 Authorization repeats parameter '\(name)'")
            }
            fields[name] = value
        }

        guard let credential = fields["Credential"] else {
            throw OSSAuthorizationParseError("V4 Authorization lacks 'Credential=<AK>/<yyyymmdd>/<region>/oss/aliyun_v4_request'")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aliyun_v4_request", !scope[0].isEmpty, !scope[2].isEmpty, !scope[3].isEmpty
        else {
            throw OSSAuthorizationParseError(
                "V4 Credential '\(credential)' must be '<AccessKeyId>/<yyyymmdd>/<region>/<product>/aliyun_v4_request'"
            )
        }
        guard scope[1].utf8.count == 8, scope[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw OSSAuthorizationParseError("V4 Credential date '\(scope[1])' must be yyyymmdd (8 digits, no hyphens)")
        }

        var additionalHeaders: [String] = []
        if let list = fields["AdditionalHeaders"] {
            guard !list.isEmpty else {
                throw OSSAuthorizationParseError("V4 AdditionalHeaders is empty; omit the parameter or list header names")
            }
            for name in list.split(separator: ";", omittingEmptySubsequences: false) {
                let trimmed = ASCII.trimmed(String(name))
                guard !trimmed.isEmpty else {
                    throw OSSAuthorizationParseError(
                        "V4 AdditionalHeaders '\(list)' has an empty element; names are separated by single ';'"
                    )
                }
                additionalHeaders.append(ASCII.lowercased(trimmed))
            }
        }

        guard let signature = fields["Signature"] else {
            throw OSSAuthorizationParseError("V4 Authorization lacks 'Signature=<64 hex digits>'")
        }
        guard signature.utf8.count == 64, signature.utf8.allSatisfy({ isHexDigit($0) }) else {
            throw OSSAuthorizationParseError("V4 Signature must be 64 hex digits (got \(signature.utf8.count) characters)")
        }

        return .v4(
            accessKeyId: scope[0],
            date: scope[1],
            region: scope[2],
            product: scope[3],
            additionalHeaders: additionalHeaders,
            signature: signature
        )
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}

/// Why an Authorization header could not be parsed; `message` names the problem and the expected form and never
/// contains a secret.
public struct OSSAuthorizationParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
