public import Foundation
public import OSSSigning

/// A source of access key credentials, asked before every request attempt.
///
/// Implementations cache and refresh as they see fit; they must be cheap when the cached value is fresh.
/// Errors they throw should be ``OSSError`` with code ``OSSError/Code/credentialsUnavailable`` and a message
/// naming the source and the fix. They must never put a secret or a token into an error or a log.
public protocol OSSCredentialsProvider: Sendable {
    func credentials() async throws -> OSSCredentials
}

/// Fixed credentials (`provider: static`).
public struct StaticCredentialsProvider: OSSCredentialsProvider {
    public let value: OSSCredentials

    public init(_ credentials: OSSCredentials) { self.value = credentials }

    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil) {
        self.value = OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }

    public func credentials() async throws -> OSSCredentials {
        guard !value.accessKeyId.isEmpty, !value.accessKeySecret.isEmpty else {
            throw OSSError(
                code: .credentialsUnavailable,
                message: "static OSS credentials are incomplete (access key id or secret is empty): "
                    + "set oss.credentials.access_key_id and oss.credentials.access_key_secret"
            )
        }
        return value
    }
}

/// Credentials from environment variables (`provider: env`).
///
/// Reads `OSS_ACCESS_KEY_ID` / `OSS_ACCESS_KEY_SECRET` / optional `OSS_SESSION_TOKEN` (the OSS SDKs' names);
/// when those are absent, `ALIBABA_CLOUD_ACCESS_KEY_ID` / `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / optional
/// `ALIBABA_CLOUD_SECURITY_TOKEN` (the Alibaba Cloud credentials library's names). Empty values count as absent.
public struct EnvironmentCredentialsProvider: OSSCredentialsProvider {
    public let environment: [String: String]

    /// - Parameter environment: the variables to read; the process environment by default.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func credentials() async throws -> OSSCredentials {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let sets = [
            ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        ]
        for (idName, secretName, tokenName) in sets {
            let id = value(idName)
            let secret = value(secretName)
            if let id, let secret {
                return OSSCredentials(accessKeyId: id, accessKeySecret: secret, securityToken: value(tokenName))
            }
            if id != nil || secret != nil {
                let missing = id == nil ? idName : secretName
                throw OSSError(
                    code: .credentialsUnavailable,
                    message: "environment credentials are incomplete: \(missing) is not set; set both \(idName) and \(secretName)"
                )
            }
        }
        throw OSSError(
            code: .credentialsUnavailable,
            message: "no OSS credentials in the environment: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET "
                + "(and OSS_SESSION_TOKEN for STS), or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"
        )
    }
}

extension OSSCredentialsProvider where Self == StaticCredentialsProvider {
    /// Fixed credentials.
    public static func staticCredentials(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil) -> Self {
        StaticCredentialsProvider(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret, securityToken: securityToken)
    }
}

extension OSSCredentialsProvider where Self == EnvironmentCredentialsProvider {
    /// Credentials from `OSS_*` or `ALIBABA_CLOUD_*` environment variables.
    public static func environment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Self {
        EnvironmentCredentialsProvider(environment: environment)
    }
}
