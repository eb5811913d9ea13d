public import Foundation

extension OSSSignerV4 {
    /// Query parameter names the V4 presigner owns; `presign` removes any existing ones before adding its own.
    public static let presignQueryNames: Set<String> = [
        "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential", "x-oss-security-token",
        "x-oss-additional-headers", "x-oss-signature",
    ]

    /// Presigns `request` for a URL: appends `x-oss-signature-version`, `x-oss-date`, `x-oss-expires`,
    /// `x-oss-credential`, `x-oss-security-token` (when the credentials have a token), `x-oss-additional-headers`
    /// (when some remain after filtering) and finally `x-oss-signature` to `request.query`.
    ///
    /// Every query parameter except `x-oss-signature` is signed; headers are signed as for `sign` (the URL's user
    /// must send the same `x-oss-*`, `content-type`, `content-md5` and additional headers) but none is added.
    /// `expires` is the validity in seconds after `date` (OSS allows at most 7 days).
    public func presign(
        _ request: inout OSSRequestParts,
        credentials: OSSCredentials,
        date: Date,
        expires: Int,
        additionalHeaders: [String] = []
    ) {
        request.query.removeAll { Self.presignQueryNames.contains($0.name) }
        let additional = effectiveAdditionalHeaders(additionalHeaders, in: request)
        request.query.append(OSSQueryItem(name: "x-oss-signature-version", value: Self.algorithm))
        request.query.append(OSSQueryItem(name: "x-oss-date", value: OSSDateFormat.iso8601Basic(date)))
        request.query.append(OSSQueryItem(name: "x-oss-expires", value: String(expires)))
        request.query.append(
            OSSQueryItem(name: "x-oss-credential", value: "\(credentials.accessKeyId)/\(scope(date: date))")
        )
        if let token = credentials.effectiveSecurityToken {
            request.query.append(OSSQueryItem(name: "x-oss-security-token", value: token))
        }
        if !additional.isEmpty {
            request.query.append(OSSQueryItem(name: "x-oss-additional-headers", value: additional.joined(separator: ";")))
        }
        let canonical = canonicalRequest(request, additionalHeaders: additional)
        let toSign = stringToSign(canonicalRequest: canonical, date: date)
        let signature = signature(stringToSign: toSign, accessKeySecret: credentials.accessKeySecret, date: date)
        request.query.append(OSSQueryItem(name: "x-oss-signature", value: signature))
    }
}
