import Crypto
public import Foundation

/// Signature V4 (`OSS4-HMAC-SHA256`) as specified by OSS and implemented by the official v2 SDKs.
///
/// Pure: the signing instant is a parameter, there is no clock and no I/O. Secrets go only into HMAC keys.
///
/// - Canonical URI: `"/" + bucket + "/" + key` percent-encoded with `/` kept; the bucket is always included
///   (also for virtual-hosted and CNAME requests).
/// - Canonical query: every parameter, name and value RFC 3986-encoded, sorted by encoded name (then value),
///   bare name for a nil or empty value.
/// - Canonical headers: `x-oss-*`, `content-type`, `content-md5` plus the effective additional headers;
///   names lower-cased, values trimmed, sorted by name.
/// - Additional headers: lower-cased, de-duplicated, sorted; names that are signed by default or absent (or
///   empty) in the request are dropped.
public struct OSSSignerV4: Sendable {
    public static let algorithm = "OSS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Bare region id used in the scope, e.g. `cn-hangzhou` (not `oss-cn-hangzhou`).
    public let region: String
    /// Product in the scope: `oss`, or `oss-cloudbox` for CloudBox.
    public let product: String

    public init(region: String, product: String = "oss") {
        self.region = region
        self.product = product
    }

    /// Adds x-oss-date, x-oss-content-sha256 (UNSIGNED-PAYLOAD, when absent), x-oss-security-token (when the
    /// credentials have a token), date (RFC 1123, unsigned) and authorization to request.headers.
    ///
    /// `x-oss-date` and `date` are always replaced by `date`'s value, so a re-signed request stays consistent.
    /// Additional headers are filtered as described on the type and listed in the Authorization header only when
    /// some remain.
    ///
    /// `keyCache` (for example one per client) saves deriving the signing key for every request; the signature is
    /// the same with or without it.
    public func sign(
        _ request: inout OSSRequestParts,
        credentials: OSSCredentials,
        date: Date,
        additionalHeaders: [String] = [],
        keyCache: OSSSigningKeyCache? = nil
    ) {
        request.setHeader("x-oss-date", OSSDateFormat.iso8601Basic(date))
        request.setHeader("date", OSSDateFormat.rfc1123(date))
        if let token = credentials.effectiveSecurityToken {
            request.setHeader("x-oss-security-token", token)
        }
        if request.header("x-oss-content-sha256") == nil {
            request.setHeader("x-oss-content-sha256", Self.unsignedPayload)
        }
        let additional = effectiveAdditionalHeaders(additionalHeaders, in: request)
        let canonical = canonicalRequest(request, effectiveAdditionalHeaders: additional)
        let toSign = stringToSign(canonicalRequest: canonical, date: date)
        let signature = signature(stringToSign: toSign, accessKeySecret: credentials.accessKeySecret, date: date, keyCache: keyCache)
        var authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(scope(date: date))"
        if !additional.isEmpty {
            authorization += ",AdditionalHeaders=\(additional.joined(separator: ";"))"
        }
        authorization += ",Signature=\(signature)"
        request.setHeader("authorization", authorization)
    }

    /// The canonical request: method, canonical URI, canonical query, canonical headers (each `name:value\n`),
    /// the `;`-joined effective additional headers and the hashed payload (`x-oss-content-sha256`, default
    /// `UNSIGNED-PAYLOAD`), joined by `\n`.
    ///
    /// `additionalHeaders` is filtered exactly as `sign` filters it, so a server can pass the list it parsed from
    /// the Authorization header.
    public func canonicalRequest(_ request: OSSRequestParts, additionalHeaders: [String]) -> String {
        canonicalRequest(request, effectiveAdditionalHeaders: effectiveAdditionalHeaders(additionalHeaders, in: request))
    }

    /// `"OSS4-HMAC-SHA256\n" + x-oss-date + "\n" + scope + "\n" + hex(SHA256(canonicalRequest))`.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        let hash = SHA256.hash(data: Array(canonicalRequest.utf8))
        return "\(Self.algorithm)\n\(OSSDateFormat.iso8601Basic(date))\n\(scope(date: date))\n\(ASCII.lowerHex(hash))"
    }

    /// Lower-hex HMAC-SHA256 of `stringToSign` under the signing key derived from the secret, the UTC day of
    /// `date`, the region and the product (taken from `keyCache` when it holds that key).
    public func signature(stringToSign: String, accessKeySecret: String, date: Date, keyCache: OSSSigningKeyCache? = nil) -> String {
        let day = String(OSSDateFormat.iso8601Basic(date).prefix(8))
        let key = keyCache?.key(accessKeySecret: accessKeySecret, day: day, region: region, product: product)
            ?? Self.deriveSigningKey(accessKeySecret: accessKeySecret, day: day, region: region, product: product)
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)
        return ASCII.lowerHex(mac)
    }

    /// HMAC-SHA256 chained over `day`, `region`, `product` and `aliyun_v4_request`, starting from the key
    /// `"aliyun_v4" + secret`.
    static func deriveSigningKey(accessKeySecret: String, day: String, region: String, product: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array(("aliyun_v4" + accessKeySecret).utf8))
        for step in [day, region, product, "aliyun_v4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(step.utf8), using: key))
        }
        return key
    }

    /// `<yyyymmdd>/<region>/<product>/aliyun_v4_request`.
    public func scope(date: Date) -> String {
        "\(OSSDateFormat.iso8601Basic(date).prefix(8))/\(region)/\(product)/aliyun_v4_request"
    }

    /// True for names signed without being listed: `x-oss-*`, `content-type`, `content-md5` (lower-case input).
    public static func isDefaultSignedHeader(_ lowercasedName: String) -> Bool {
        lowercasedName.hasPrefix("x-oss-") || lowercasedName == "content-type" || lowercasedName == "content-md5"
    }

    /// The additional headers that count: lower-cased, not default-signed, present with a non-empty value,
    /// de-duplicated and sorted.
    public func effectiveAdditionalHeaders(_ names: [String], in request: OSSRequestParts) -> [String] {
        var kept = Set<String>()
        for name in names {
            let lower = ASCII.lowercased(ASCII.trimmed(name))
            guard !Self.isDefaultSignedHeader(lower), let value = request.header(lower), !value.isEmpty else {
                continue
            }
            kept.insert(lower)
        }
        return kept.sorted(by: ASCII.less)
    }

    private func canonicalRequest(_ request: OSSRequestParts, effectiveAdditionalHeaders additional: [String]) -> String {
        var uri = "/"
        if let bucket = request.bucket { uri += bucket + "/" }
        if let key = request.key { uri += key }
        let canonicalURI = OSSPercentEncoding.encode(uri, keepSlash: true)

        let canonicalQuery = request.query
            .map { item in
                (
                    name: OSSPercentEncoding.encode(item.name, keepSlash: false),
                    value: OSSPercentEncoding.encode(item.value ?? "", keepSlash: false)
                )
            }
            .sorted { $0.name != $1.name ? ASCII.less($0.name, $1.name) : ASCII.less($0.value, $1.value) }
            .map { $0.value.isEmpty ? $0.name : "\($0.name)=\($0.value)" }
            .joined(separator: "&")

        let additionalSet = Set(additional)
        let canonicalHeaders = request
            .canonicalHeaderPairs { Self.isDefaultSignedHeader($0) || additionalSet.contains($0) }
            .map { "\($0.name):\($0.value)\n" }
            .joined()

        let payload = request.header("x-oss-content-sha256") ?? Self.unsignedPayload
        return [
            request.method, canonicalURI, canonicalQuery, canonicalHeaders, additional.joined(separator: ";"), payload,
        ].joined(separator: "\n")
    }
}
