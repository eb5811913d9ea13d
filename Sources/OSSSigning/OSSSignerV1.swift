import Crypto
public import Foundation

/// Signature V1 (`OSS <AccessKeyId>:<Signature>`, HMAC-SHA1) as documented by OSS.
///
/// Pure: the signing instant is a parameter, there is no clock and no I/O.
///
/// ```
/// StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
/// ```
/// - Date: `x-oss-date` when present and non-empty (as OSS2 and the Python v2 SDK do), else the `date` header.
/// - CanonicalizedOSSHeaders: every `x-oss-*` header, lower-cased, trimmed, sorted, `name:value\n` each.
/// - CanonicalizedResource: `/bucket/key` with the raw (unencoded) key, then `?` and the sub-resources — query
///   names in ``subresources`` or starting with `x-oss-` — sorted by name (then value) in byte order, `k=v` or
///   bare `k` for a nil or empty value, with decoded values.
public struct OSSSignerV1: Sendable {
    public init() {}

    /// Adds date (RFC 1123, when absent), x-oss-security-token (when token) and authorization.
    public func sign(_ request: inout OSSRequestParts, credentials: OSSCredentials, date: Date) {
        if request.header("date") == nil {
            request.setHeader("date", OSSDateFormat.rfc1123(date))
        }
        if let token = credentials.effectiveSecurityToken {
            request.setHeader("x-oss-security-token", token)
        }
        let signature = signature(stringToSign: stringToSign(request), accessKeySecret: credentials.accessKeySecret)
        request.setHeader("authorization", "OSS \(credentials.accessKeyId):\(signature)")
    }

    /// The V1 StringToSign of `request` as it stands (nothing is added).
    public func stringToSign(_ request: OSSRequestParts) -> String {
        let xOSSDate = request.header("x-oss-date").flatMap { $0.isEmpty ? nil : $0 }
        return stringToSign(request, date: xOSSDate ?? request.header("date") ?? "")
    }

    /// The V1 StringToSign of `request` with `date` in the date slot (presigned URLs put `Expires` there).
    public func stringToSign(_ request: OSSRequestParts, date: String) -> String {
        let headers = request
            .canonicalHeaderPairs { $0.hasPrefix("x-oss-") }
            .map { "\($0.name):\($0.value)\n" }
            .joined()
        return "\(request.method)\n\(request.header("content-md5") ?? "")\n\(request.header("content-type") ?? "")\n"
            + "\(date)\n\(headers)\(canonicalizedResource(request))"
    }

    /// Base64 HMAC-SHA1 of `stringToSign` keyed by the secret.
    public func signature(stringToSign: String, accessKeySecret: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(
            for: Array(stringToSign.utf8),
            using: SymmetricKey(data: Array(accessKeySecret.utf8))
        )
        return Data(mac).base64EncodedString()
    }

    /// `/bucket/key?sub-resources` (raw key, decoded values), as described on the type.
    public func canonicalizedResource(_ request: OSSRequestParts) -> String {
        var resource = "/"
        if let bucket = request.bucket { resource += bucket + "/" }
        if let key = request.key { resource += key }
        let subresources = request.query
            .filter { Self.isSubresource($0.name) }
            .map { (name: $0.name, value: $0.value ?? "") }
            .sorted { $0.name != $1.name ? ASCII.less($0.name, $1.name) : ASCII.less($0.value, $1.value) }
            .map { $0.value.isEmpty ? $0.name : "\($0.name)=\($0.value)" }
        if !subresources.isEmpty {
            resource += "?" + subresources.joined(separator: "&")
        }
        return resource
    }

    /// True when query parameter `name` takes part in the V1 CanonicalizedResource.
    public static func isSubresource(_ name: String) -> Bool {
        subresources.contains(name) || name.hasPrefix("x-oss-")
    }

    /// Query names signed as V1 sub-resources (besides any name starting with `x-oss-`): the list of the protocol
    /// notes (from the Go v2 SDK) plus `regionList`, `cloudboxes` and `resourceGroup` from the Python v2 SDK.
    /// Case-sensitive. Ordinary parameters such as `prefix`, `max-keys`, `list-type`, `delimiter`,
    /// `start-after` and `encoding-type` are not in it.
    public static let subresources: Set<String> = [
        "acl", "append", "bucketInfo", "callback", "callback-var", "cloudboxes", "continuation-token", "delete",
        "location", "objectMeta", "partNumber", "position", "regionList", "resourceGroup", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "seal", "security-token", "sequential", "stat",
        "symlink", "tagging", "uploadId", "uploads", "versionId", "versioning", "versions", "x-oss-process",
    ]
}
