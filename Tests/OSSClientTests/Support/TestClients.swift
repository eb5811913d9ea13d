import Foundation
import Logging
import OSSClient
import OSSEmulator
import OSSSigning
import Synchronization

/// Records the backoff sleeps a client asked for, without sleeping.
final class SleepRecorder: Sendable {
    private let storage = Mutex<[Duration]>([])
    var sleeps: [Duration] { storage.withLock { $0 } }

    func policy(maxAttempts: Int = 3, random: Double = 0.5) -> OSSRetryPolicy {
        OSSRetryPolicy(
            maxAttempts: maxAttempts, random: { random },
            sleep: { duration in self.storage.withLock { $0.append(duration) } })
    }
}

enum TestSecrets {
    static let accessKeyId = "LTAI5tTestAccessKey"
    static let accessKeySecret = "topsecret-DO-NOT-PRINT-0123456789"
    static let securityToken = "sts-token-DO-NOT-PRINT-abcdef"
}

func makeClient(
    endpoint: String, bucket: String = "examplebucket", signatureVersion: OSSSignatureVersion = .v4,
    pathStyle: Bool = true, retry: OSSRetryPolicy = SleepRecorder().policy(), token: String? = nil,
    timeout: Duration = .seconds(5), now: @escaping @Sendable () -> Date = { Date() }
) throws -> OSSClient {
    try OSSClient(
        configuration: OSSClientConfiguration(
            endpoint: endpoint, region: "cn-hangzhou", bucket: bucket, signatureVersion: signatureVersion,
            pathStyle: pathStyle,
            credentialsProvider: StaticCredentialsProvider(
                accessKeyId: TestSecrets.accessKeyId, accessKeySecret: TestSecrets.accessKeySecret, securityToken: token),
            requestTimeout: timeout, retryPolicy: retry, now: now))
}

/// Runs `body` with a client against `server`, shutting both down afterwards.
func withClient<T>(
    _ server: ScriptedServer, retry: OSSRetryPolicy = SleepRecorder().policy(), token: String? = nil,
    signatureVersion: OSSSignatureVersion = .v4, timeout: Duration = .seconds(5),
    now: @escaping @Sendable () -> Date = { Date() }, _ body: (OSSClient) async throws -> T
) async throws -> T {
    let client = try makeClient(
        endpoint: server.baseURL, signatureVersion: signatureVersion, retry: retry, token: token, timeout: timeout, now: now)
    do {
        let result = try await body(client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

/// Asserts that no test secret appears in `text`.
func containsSecret(_ text: String) -> Bool {
    text.contains(TestSecrets.accessKeySecret) || text.contains(TestSecrets.securityToken)
}

/// Runs `body` with a client against a fresh emulator serving bucket `sink-bucket` (its credentials the test ones,
/// with the STS token when `sts`), shutting both down afterwards. The client signs with `secret` for `bucket`.
func withEmulatorClient<T>(
    signatureVersion: OSSSignatureVersion = .v4, secret: String = TestSecrets.accessKeySecret, bucket: String = "sink-bucket",
    sts: Bool = false, sealEnabled: Bool = true, retry: OSSRetryPolicy = SleepRecorder().policy(),
    _ body: (OSSClient, OSSEmulatorServer) async throws -> T
) async throws -> T {
    let accepted = OSSCredentials(
        accessKeyId: TestSecrets.accessKeyId, accessKeySecret: TestSecrets.accessKeySecret, securityToken: sts ? TestSecrets.securityToken : nil)
    var logger = Logger(label: "emulator")
    logger.logLevel = .critical
    let server = try OSSEmulatorServer(configuration: OSSEmulatorConfiguration(
        buckets: ["sink-bucket"], credentials: [accepted], sealEnabled: sealEnabled, logger: logger))
    let endpoint = try await server.start()
    let client = try OSSClient(configuration: OSSClientConfiguration(
        endpoint: endpoint, region: "cn-hangzhou", bucket: bucket, signatureVersion: signatureVersion,
        credentialsProvider: StaticCredentialsProvider(
            accessKeyId: TestSecrets.accessKeyId, accessKeySecret: secret, securityToken: sts ? TestSecrets.securityToken : nil),
        requestTimeout: .seconds(5), retryPolicy: retry))
    do {
        let result = try await body(client, server)
        try await client.shutdown()
        await server.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        await server.shutdown()
        throw error
    }
}
