import Foundation
import OSSClient
import OSSSigning
import Synchronization
import Testing

/// A settable clock for providers.
final class TestClock: Sendable {
    private let value: Mutex<Date>
    init(_ date: Date) { value = Mutex(date) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Credentials providers")
struct CredentialsProviderTests {
    @Test("static: returns the configured values; empty values are refused")
    func staticProvider() async throws {
        let credentials = try await StaticCredentialsProvider(accessKeyId: "id", accessKeySecret: "s", securityToken: "t").credentials()
        #expect(credentials == OSSCredentials(accessKeyId: "id", accessKeySecret: "s", securityToken: "t"))
        await #expect {
            _ = try await StaticCredentialsProvider(accessKeyId: "id", accessKeySecret: "").credentials()
        } throws: { ($0 as? OSSError)?.code == .credentialsUnavailable }
    }

    @Test("env: OSS_* first, then ALIBABA_CLOUD_*, with tokens")
    func environment() async throws {
        let both = [
            "OSS_ACCESS_KEY_ID": "oss-id", "OSS_ACCESS_KEY_SECRET": "oss-secret", "OSS_SESSION_TOKEN": "oss-token",
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "ali-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-secret",
        ]
        #expect(
            try await EnvironmentCredentialsProvider(environment: both).credentials()
                == OSSCredentials(accessKeyId: "oss-id", accessKeySecret: "oss-secret", securityToken: "oss-token"))
        let alibaba = [
            "ALIBABA_CLOUD_ACCESS_KEY_ID": "ali-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "ali-secret",
            "ALIBABA_CLOUD_SECURITY_TOKEN": "ali-token", "OSS_ACCESS_KEY_ID": "",
        ]
        #expect(
            try await EnvironmentCredentialsProvider(environment: alibaba).credentials()
                == OSSCredentials(accessKeyId: "ali-id", accessKeySecret: "ali-secret", securityToken: "ali-token"))
    }

    @Test("env: incomplete or missing variables give a message naming the variables, never a value")
    func environmentErrors() async throws {
        await #expect {
            _ = try await EnvironmentCredentialsProvider(environment: ["OSS_ACCESS_KEY_SECRET": TestSecrets.accessKeySecret]).credentials()
        } throws: { error in
            let text = "\(error)"
            return text.contains("OSS_ACCESS_KEY_ID is not set") && !containsSecret(text)
        }
        await #expect {
            _ = try await EnvironmentCredentialsProvider(environment: [:]).credentials()
        } throws: { "\($0)".contains("set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET") }
    }

    static func metadataServer(expiration: @escaping @Sendable () -> String, requireToken: Bool = true) async throws -> ScriptedServer {
        try await ScriptedServer.start { request in
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                guard request.header("X-aliyun-ecs-metadata-token-ttl-seconds") == "21600" else {
                    return .response(status: 400)
                }
                return .ok(body: Array("imds-token-1".utf8))
            case ("GET", _) where requireToken && request.header("X-aliyun-ecs-metadata-token") != "imds-token-1":
                return .response(status: 401)
            case ("GET", "/latest/meta-data/ram/security-credentials/"):
                return .ok(body: Array("SinkRole\n".utf8))
            case ("GET", "/latest/meta-data/ram/security-credentials/SinkRole"):
                let json = """
                    {"AccessKeyId":"STS.id","AccessKeySecret":"\(TestSecrets.accessKeySecret)","Expiration":"\(expiration())",
                     "SecurityToken":"\(TestSecrets.securityToken)","LastUpdated":"2023-12-16T16:00:00Z","Code":"Success"}
                    """
                return .ok(body: Array(json.utf8))
            default:
                return .response(status: 404)
            }
        }
    }

    @Test("ecs_ram_role: token step, role discovery, credentials JSON, cached until near Expiration")
    func ecsRamRole() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_702_742_400))  // 2023-12-16T16:00:00Z
        let server = try await Self.metadataServer(expiration: { "2023-12-16T17:00:00Z" })
        defer { Task { await server.stop() } }
        let provider = ECSRAMRoleCredentialsProvider(baseURL: server.baseURL, now: { clock.now })
        let first = try await provider.credentials()
        #expect(first == OSSCredentials(accessKeyId: "STS.id", accessKeySecret: TestSecrets.accessKeySecret, securityToken: TestSecrets.securityToken))
        #expect(server.requests.map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token", "GET /latest/meta-data/ram/security-credentials/",
            "GET /latest/meta-data/ram/security-credentials/SinkRole",
        ])
        clock.advance(3000)  // 10 minutes left: still cached
        _ = try await provider.credentials()
        #expect(server.requests.count == 3)
        clock.advance(500)  // 100 s left (< 180 s): refreshed
        _ = try await provider.credentials()
        #expect(server.requests.count == 6)
    }

    @Test("ecs_ram_role: a configured role skips discovery; a missing role gives a clear error")
    func ecsRamRoleConfiguredRole() async throws {
        let server = try await Self.metadataServer(expiration: { "2099-01-01T00:00:00Z" })
        defer { Task { await server.stop() } }
        _ = try await ECSRAMRoleCredentialsProvider(roleName: "SinkRole", baseURL: server.baseURL).credentials()
        #expect(server.requests.map(\.path) == ["/latest/api/token", "/latest/meta-data/ram/security-credentials/SinkRole"])
        await #expect {
            _ = try await ECSRAMRoleCredentialsProvider(roleName: "Other", baseURL: server.baseURL).credentials()
        } throws: { error in
            guard let error = error as? OSSError else { return false }
            return error.code == .credentialsUnavailable && error.description.contains("role 'Other'")
                && error.description.contains("HTTP 404")
        }
    }

    @Test("ecs_ram_role: unreachable metadata service names it")
    func ecsUnreachable() async throws {
        let provider = ECSRAMRoleCredentialsProvider(baseURL: "http://127.0.0.1:1", timeout: .seconds(2))
        await #expect {
            _ = try await provider.credentials()
        } throws: { error in
            guard let error = error as? OSSError else { return false }
            return error.code == .credentialsUnavailable && error.description.contains("ECS metadata service")
        }
    }

    @Test("oidc: AssumeRoleWithOIDC form POST, token file re-read on refresh, refresh when <= 180 s remain")
    func oidc() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "oidc-token-one\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)

        let clock = TestClock(Date(timeIntervalSince1970: 1_702_742_400))  // 2023-12-16T16:00:00Z
        let server = try await ScriptedServer.start { request in
            let json = """
                {"RequestId":"R","Credentials":{"AccessKeyId":"STS.oidc","AccessKeySecret":"\(TestSecrets.accessKeySecret)",
                "SecurityToken":"\(TestSecrets.securityToken)","Expiration":"2023-12-16T17:00:00Z"}}
                """
            return .ok(body: Array(json.utf8))
        }
        defer { Task { await server.stop() } }
        let provider = OIDCRoleCredentialsProvider(
            roleArn: "acs:ram::123:role/sink", oidcProviderArn: "acs:ram::123:oidc-provider/ack", oidcTokenFile: tokenFile,
            roleSessionName: "sink-test", stsEndpoint: server.baseURL, now: { clock.now })
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyId == "STS.oidc")
        #expect(credentials.securityToken == TestSecrets.securityToken)

        let request = try #require(server.requests.first)
        #expect(request.method == "POST")
        #expect(request.query.hasPrefix("Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp=2023-12-16T16%3A00%3A00Z"))
        #expect(request.header("content-type") == "application/x-www-form-urlencoded")
        #expect(request.header("authorization") == nil)
        let form = String(decoding: request.body, as: UTF8.self)
        #expect(form == "RoleArn=acs%3Aram%3A%3A123%3Arole%2Fsink&OIDCProviderArn=acs%3Aram%3A%3A123%3Aoidc-provider%2Fack&OIDCToken=oidc-token-one&RoleSessionName=sink-test&DurationSeconds=3600")

        try "oidc-token-two".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        clock.advance(3600 - 181)
        _ = try await provider.credentials()
        #expect(server.requests.count == 1, "181 s left: still cached")
        clock.advance(2)
        _ = try await provider.credentials()
        #expect(server.requests.count == 2)
        #expect(String(decoding: server.requests[1].body, as: UTF8.self).contains("OIDCToken=oidc-token-two"))
    }

    @Test("oidc: an STS error names the code and the fix but not the OIDC token")
    func oidcError() async throws {
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-\(UUID().uuidString)").path
        try TestSecrets.securityToken.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let server = try await ScriptedServer.sequence([
            .response(status: 400, body: Array(#"{"RequestId":"R9","Code":"AuthenticationFail.OIDCToken.Invalid","Message":"the token is invalid"}"#.utf8))
        ])
        defer { Task { await server.stop() } }
        let provider = OIDCRoleCredentialsProvider(
            roleArn: "r", oidcProviderArn: "p", oidcTokenFile: tokenFile, stsEndpoint: server.baseURL)
        await #expect {
            _ = try await provider.credentials()
        } throws: { error in
            let text = "\(error)"
            return text.contains("AuthenticationFail.OIDCToken.Invalid") && text.contains("request id R9")
                && text.contains("trust policy") && !containsSecret(text) && !text.contains("\n")
        }
        #expect(throws: OSSError.self) { try OIDCRoleCredentialsProvider.fromEnvironment(["ALIBABA_CLOUD_ROLE_ARN": "r"]) }
    }

    @Test("A client using a refreshing provider signs with its STS token")
    func clientUsesProvider() async throws {
        let metadata = try await Self.metadataServer(expiration: { "2099-01-01T00:00:00Z" })
        let oss = try await ScriptedServer.sequence([.response(status: 204)])
        let client = try OSSClient(
            configuration: OSSClientConfiguration(
                endpoint: oss.baseURL, region: "cn-hangzhou", bucket: "examplebucket",
                credentialsProvider: ECSRAMRoleCredentialsProvider(baseURL: metadata.baseURL)))
        try await client.deleteObject(key: "k")
        try await client.shutdown()
        await oss.stop()
        await metadata.stop()
        let request = try #require(oss.requests.first)
        #expect(request.header("x-oss-security-token") == TestSecrets.securityToken)
        #expect(request.header("authorization")?.contains("Credential=STS.id/") == true)
    }
}
