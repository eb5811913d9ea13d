public import AsyncHTTPClient
public import Foundation
import NIOHTTP1
public import OSSSigning

/// Credentials from STS `AssumeRoleWithOIDC` (RRSA on ACK / Kubernetes, `provider: oidc`).
///
/// Each refresh re-reads the OIDC token file (the kubelet rotates it) and POSTs
/// `{sts}/?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp=…` with a form body
/// (`RoleArn`, `OIDCProviderArn`, `OIDCToken`, `RoleSessionName`, `DurationSeconds`, optional `Policy`).
/// The request is not signed: the OIDC token is the credential. Credentials are cached and refreshed when
/// `refreshMargin` (default 180 s) or less remains.
public struct OIDCRoleCredentialsProvider: OSSCredentialsProvider {
    public static let defaultSTSEndpoint = "https://sts.aliyuncs.com"
    private let cache: CredentialsCache

    /// - Parameters:
    ///   - stsEndpoint: STS base URL; a bare host is taken as https (injectable for tests).
    ///   - roleSessionName: defaults to `kafka-oss-sink-<milliseconds>`.
    ///   - durationSeconds: at least 900.
    public init(
        roleArn: String,
        oidcProviderArn: String,
        oidcTokenFile: String,
        roleSessionName: String? = nil,
        durationSeconds: Int = 3600,
        policy: String? = nil,
        stsEndpoint: String = OIDCRoleCredentialsProvider.defaultSTSEndpoint,
        refreshMargin: Duration = .seconds(180),
        timeout: Duration = .seconds(10),
        httpClient: HTTPClient = .shared,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        var endpoint = stsEndpoint.contains("://") ? stsEndpoint : "https://" + stsEndpoint
        if endpoint.hasSuffix("/") { endpoint.removeLast() }
        let request = Request(
            roleArn: roleArn, oidcProviderArn: oidcProviderArn, oidcTokenFile: oidcTokenFile,
            roleSessionName: roleSessionName, durationSeconds: max(900, durationSeconds), policy: policy,
            endpoint: endpoint, timeout: timeout
        )
        cache = CredentialsCache(refreshMargin: refreshMargin, now: now) {
            try await Self.fetch(request, httpClient: httpClient, now: now)
        }
    }

    /// Builds the provider from `ALIBABA_CLOUD_ROLE_ARN`, `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`,
    /// `ALIBABA_CLOUD_OIDC_TOKEN_FILE` (all required), `ALIBABA_CLOUD_ROLE_SESSION_NAME`,
    /// `ALIBABA_CLOUD_STS_REGION` and `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        httpClient: HTTPClient = .shared
    ) throws(OSSError) -> OIDCRoleCredentialsProvider {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let required = ["ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"]
        let missing = required.filter { value($0) == nil }
        guard missing.isEmpty else {
            throw OSSError(
                code: .credentialsUnavailable,
                message: "oidc credentials need \(missing.joined(separator: ", ")) in the environment "
                    + "(set by ACK RRSA when the pod's service account is bound to a RAM role)"
            )
        }
        var endpoint = defaultSTSEndpoint
        if let region = value("ALIBABA_CLOUD_STS_REGION") {
            let vpc = value("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED")?.lowercased() == "true"
            endpoint = "https://sts\(vpc ? "-vpc" : "").\(region).aliyuncs.com"
        }
        return OIDCRoleCredentialsProvider(
            roleArn: value("ALIBABA_CLOUD_ROLE_ARN")!, oidcProviderArn: value("ALIBABA_CLOUD_OIDC_PROVIDER_ARN")!,
            oidcTokenFile: value("ALIBABA_CLOUD_OIDC_TOKEN_FILE")!, roleSessionName: value("ALIBABA_CLOUD_ROLE_SESSION_NAME"),
            stsEndpoint: endpoint, httpClient: httpClient
        )
    }

    public func credentials() async throws -> OSSCredentials {
        try await cache.credentials()
    }

    private struct Request: Sendable {
        var roleArn: String
        var oidcProviderArn: String
        var oidcTokenFile: String
        var roleSessionName: String?
        var durationSeconds: Int
        var policy: String?
        var endpoint: String
        var timeout: Duration
    }

    private struct STSResponse: Decodable {
        struct Credentials: Decodable {
            var AccessKeyId: String?
            var AccessKeySecret: String?
            var SecurityToken: String?
            var Expiration: String?
        }
        var Credentials: Credentials?
        var Code: String?
        var Message: String?
        var RequestId: String?
    }

    private static func fetch(_ request: Request, httpClient: HTTPClient, now: @Sendable () -> Date) async throws
        -> ExpiringCredentials
    {
        func failure(_ why: String) -> OSSError {
            OSSError(code: .credentialsUnavailable, message: "oidc credentials unavailable: \(why)")
        }
        let token: String
        do {
            token = try String(contentsOfFile: request.oidcTokenFile, encoding: .utf8).trimmingSpaces()
        } catch {
            throw failure(
                "cannot read the OIDC token file \(request.oidcTokenFile); check ALIBABA_CLOUD_OIDC_TOKEN_FILE and the pod's projected token volume"
            )
        }
        guard !token.isEmpty else { throw failure("the OIDC token file \(request.oidcTokenFile) is empty") }

        let timestamp = Date.ISO8601FormatStyle().format(now())
        let query = OSSEndpoint.encodeQuery([
            OSSQueryItem(name: "Action", value: "AssumeRoleWithOIDC"), OSSQueryItem(name: "Format", value: "JSON"),
            OSSQueryItem(name: "Version", value: "2015-04-01"), OSSQueryItem(name: "Timestamp", value: timestamp),
        ])
        var form = [
            OSSQueryItem(name: "RoleArn", value: request.roleArn),
            OSSQueryItem(name: "OIDCProviderArn", value: request.oidcProviderArn),
            OSSQueryItem(name: "OIDCToken", value: token),
            OSSQueryItem(
                name: "RoleSessionName",
                value: request.roleSessionName ?? "kafka-oss-sink-\(Int64(now().timeIntervalSince1970 * 1000))"),
            OSSQueryItem(name: "DurationSeconds", value: String(request.durationSeconds)),
        ]
        if let policy = request.policy { form.append(OSSQueryItem(name: "Policy", value: policy)) }

        let response = try await CredentialsHTTP.send(
            httpClient, url: request.endpoint + "/?" + query, method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(OSSEndpoint.encodeQuery(form).utf8), timeout: request.timeout, source: "STS endpoint"
        )
        let parsed = try? JSONDecoder().decode(STSResponse.self, from: Data(response.body))
        guard response.status == 200 else {
            let code = parsed?.Code ?? "HTTP \(response.status)"
            let message = parsed?.Message.map { ": \(OSSError.oneLine(String($0.prefix(300))))" } ?? ""
            let requestId = parsed?.RequestId.map { ", request id \($0)" } ?? ""
            throw failure(
                "AssumeRoleWithOIDC at \(request.endpoint) failed (\(code)\(message)\(requestId)); "
                    + "check the role ARN, the OIDC provider ARN and the role's trust policy"
            )
        }
        guard let credentials = parsed?.Credentials, let id = credentials.AccessKeyId, let secret = credentials.AccessKeySecret,
            let expirationText = credentials.Expiration, let expiration = CredentialsHTTP.parseExpiration(expirationText)
        else {
            throw failure("the AssumeRoleWithOIDC response lacks Credentials with AccessKeyId, AccessKeySecret and Expiration")
        }
        return ExpiringCredentials(
            credentials: OSSCredentials(accessKeyId: id, accessKeySecret: secret, securityToken: credentials.SecurityToken),
            expiration: expiration
        )
    }
}
