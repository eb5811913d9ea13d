public import AsyncHTTPClient
public import Foundation
import NIOHTTP1
public import OSSSigning

/// Credentials of the RAM role attached to an ECS instance, from the instance metadata service
/// (`provider: ecs_ram_role`).
///
/// Each refresh: `PUT {base}/latest/api/token` with `X-aliyun-ecs-metadata-token-ttl-seconds` (hardened mode);
/// the role name from `GET {base}/latest/meta-data/ram/security-credentials/` unless configured; then
/// `GET …/security-credentials/<role>` → JSON with `AccessKeyId`, `AccessKeySecret`, `SecurityToken`, `Expiration`.
/// Results are cached and refreshed when `refreshMargin` or less remains before `Expiration`.
/// When the token step fails and `imdsV1Disabled` is false, the provider continues without a token (as the
/// Alibaba Cloud credentials library does).
public struct ECSRAMRoleCredentialsProvider: OSSCredentialsProvider {
    public static let defaultBaseURL = "http://100.100.100.200"
    private let cache: CredentialsCache

    /// - Parameters:
    ///   - roleName: the RAM role; discovered from the metadata service when nil.
    ///   - baseURL: metadata service base URL (injectable for tests).
    ///   - tokenTTLSeconds: lifetime asked for the metadata token.
    public init(
        roleName: String? = nil,
        baseURL: String = ECSRAMRoleCredentialsProvider.defaultBaseURL,
        imdsV1Disabled: Bool = false,
        tokenTTLSeconds: Int = 21600,
        refreshMargin: Duration = .seconds(180),
        timeout: Duration = .seconds(5),
        httpClient: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        cache = CredentialsCache(refreshMargin: refreshMargin, now: now) {
            try await Self.fetch(
                roleName: roleName, base: base, imdsV1Disabled: imdsV1Disabled, tokenTTLSeconds: tokenTTLSeconds,
                timeout: timeout, httpClient: httpClient
            )
        }
    }

    /// Reads `ALIBABA_CLOUD_ECS_METADATA` (role name) and `ALIBABA_CLOUD_IMDSV1_DISABLED` from `environment`.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        baseURL: String = ECSRAMRoleCredentialsProvider.defaultBaseURL,
        httpClient: HTTPClient = .shared
    ) -> ECSRAMRoleCredentialsProvider {
        let role = environment["ALIBABA_CLOUD_ECS_METADATA"].flatMap { $0.isEmpty ? nil : $0 }
        let disabled = environment["ALIBABA_CLOUD_IMDSV1_DISABLED"]?.lowercased() == "true"
        return ECSRAMRoleCredentialsProvider(roleName: role, baseURL: baseURL, imdsV1Disabled: disabled, httpClient: httpClient)
    }

    public func credentials() async throws -> OSSCredentials {
        try await cache.credentials()
    }

    private struct MetadataCredentials: Decodable {
        var Code: String?
        var AccessKeyId: String?
        var AccessKeySecret: String?
        var SecurityToken: String?
        var Expiration: String?
    }

    private static func fetch(
        roleName: String?, base: String, imdsV1Disabled: Bool, tokenTTLSeconds: Int, timeout: Duration,
        httpClient: HTTPClient
    ) async throws -> ExpiringCredentials {
        let source = "ECS metadata service"
        func failure(_ why: String) -> OSSError {
            OSSError(
                code: .credentialsUnavailable,
                message: "ecs_ram_role credentials unavailable: \(why); run on an ECS instance with a RAM role attached, "
                    + "or choose another oss.credentials.provider"
            )
        }
        var headers: [(String, String)] = []
        do {
            let tokenResponse = try await CredentialsHTTP.send(
                httpClient, url: base + "/latest/api/token", method: .PUT,
                headers: [("X-aliyun-ecs-metadata-token-ttl-seconds", String(tokenTTLSeconds))], timeout: timeout,
                source: source
            )
            guard tokenResponse.status == 200, !tokenResponse.body.isEmpty else {
                throw failure("the metadata token request answered HTTP \(tokenResponse.status)")
            }
            headers.append(("X-aliyun-ecs-metadata-token", tokenResponse.text.trimmingSpaces()))
        } catch {
            if imdsV1Disabled { throw error }
        }

        let listURL = base + "/latest/meta-data/ram/security-credentials/"
        var role = roleName
        if role == nil {
            let response = try await CredentialsHTTP.send(
                httpClient, url: listURL, method: .GET, headers: headers, timeout: timeout, source: source
            )
            guard response.status == 200 else {
                throw failure("role name discovery answered HTTP \(response.status) (is a RAM role attached to the instance?)")
            }
            role = response.text.split(whereSeparator: \.isNewline).first.map { String($0).trimmingSpaces() }
            guard let found = role, !found.isEmpty else { throw failure("no RAM role is attached to this instance") }
        }
        let roleURL = listURL + OSSPercentEncoding.encode(role ?? "", keepSlash: false)
        let response = try await CredentialsHTTP.send(
            httpClient, url: roleURL, method: .GET, headers: headers, timeout: timeout, source: source
        )
        guard response.status == 200 else {
            throw failure("credentials request for role '\(role ?? "")' answered HTTP \(response.status)")
        }
        guard let parsed = try? JSONDecoder().decode(MetadataCredentials.self, from: Data(response.body)) else {
            throw failure("the credentials document for role '\(role ?? "")' is not valid JSON")
        }
        guard parsed.Code == nil || parsed.Code == "Success" else {
            throw failure("the metadata service answered Code \(parsed.Code ?? "")")
        }
        guard let id = parsed.AccessKeyId, let secret = parsed.AccessKeySecret, let expirationText = parsed.Expiration,
            let expiration = CredentialsHTTP.parseExpiration(expirationText)
        else {
            throw failure("the credentials document lacks AccessKeyId, AccessKeySecret or a valid Expiration")
        }
        return ExpiringCredentials(
            credentials: OSSCredentials(accessKeyId: id, accessKeySecret: secret, securityToken: parsed.SecurityToken),
            expiration: expiration
        )
    }
}
