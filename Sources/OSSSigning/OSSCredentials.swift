/// Access key credentials used to sign OSS requests.
///
/// `description`, `debugDescription` and the reflection mirror (`dump`) never reveal `accessKeySecret` or `securityToken`: both are masked, so a credentials value
/// may be logged or interpolated into an error message safely.
public struct OSSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The AccessKey ID; it is sent in clear in every Authorization header.
    public var accessKeyId: String
    /// The AccessKey secret; used only as HMAC key material, never sent or printed.
    public var accessKeySecret: String
    /// The STS security token, sent as `x-oss-security-token` when present and non-empty.
    public var securityToken: String?

    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken
    }

    /// The token to send, or nil when there is none (an empty token counts as none).
    var effectiveSecurityToken: String? {
        guard let securityToken, !securityToken.isEmpty else { return nil }
        return securityToken
    }

    public var description: String {
        let token = effectiveSecurityToken == nil ? "none" : "****"
        return "OSSCredentials(accessKeyId: \(accessKeyId), accessKeySecret: ****, securityToken: \(token))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyId": accessKeyId,
                "accessKeySecret": "****",
                "securityToken": effectiveSecurityToken == nil ? "none" : "****",
            ],
            displayStyle: .struct
        )
    }
}
