public import Foundation

extension OSSSignerV1 {
    /// Presigns `request` for a URL (V1): appends `security-token` (when the credentials have a token),
    /// `OSSAccessKeyId`, `Expires` (Unix seconds of `expiration`) and `Signature` to `request.query`, replacing any
    /// existing ones. The StringToSign carries `Expires` in the date slot; `security-token` is a sub-resource and
    /// therefore signed.
    public func presign(_ request: inout OSSRequestParts, credentials: OSSCredentials, expiration: Date) {
        let owned: Set<String> = ["security-token", "OSSAccessKeyId", "Expires", "Signature"]
        request.query.removeAll { owned.contains($0.name) }
        let expires = String(Int64(expiration.timeIntervalSince1970.rounded(.down)))
        if let token = credentials.effectiveSecurityToken {
            request.query.append(OSSQueryItem(name: "security-token", value: token))
        }
        let toSign = stringToSign(request, date: expires)
        request.query.append(OSSQueryItem(name: "OSSAccessKeyId", value: credentials.accessKeyId))
        request.query.append(OSSQueryItem(name: "Expires", value: expires))
        request.query.append(
            OSSQueryItem(name: "Signature", value: signature(stringToSign: toSign, accessKeySecret: credentials.accessKeySecret))
        )
    }
}
