import NIOCore
import NIOPosix
import OSSClient
import Testing

/// The three misconfigurations an operator hits first must each print ONE line naming the cause and the fix,
/// without secrets.
@Suite("One-line operator messages")
struct OperatorMessageTests {
    func failure(endpoint: String, _ body: (OSSClient) async throws -> Void) async throws -> OSSError {
        let client = try makeClient(endpoint: endpoint, retry: SleepRecorder().policy(maxAttempts: 2), token: TestSecrets.securityToken)
        var caught: OSSError?
        do {
            try await body(client)
        } catch let error as OSSError {
            caught = error
        }
        try await client.shutdown()
        return try #require(caught, "expected an OSSError")
    }

    func checkOneLine(_ error: OSSError) {
        let line = error.description
        #expect(!line.contains("\n"))
        #expect(!containsSecret(line))
        #expect(!containsSecret("\(error.extras) \(error.message) \(error.underlying ?? "")"))
    }

    @Test("Bad endpoint (connection refused): names the endpoint and oss.endpoint")
    func connectionRefused() async throws {
        // A port that was just free: bind and close a listener to get one nobody listens on.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = listener.localAddress?.port ?? 1
        try await listener.close()
        let error = try await failure(endpoint: "http://127.0.0.1:\(port)") { _ = try await $0.headObject(key: "k") }
        #expect(error.code == .connectionFailed)
        #expect(error.description.hasPrefix("cannot connect to the OSS endpoint http://127.0.0.1:\(port) (connection refused)"))
        #expect(error.description.contains("check oss.endpoint"))
        checkOneLine(error)
    }

    @Test("Bad endpoint (DNS): names the host problem and oss.endpoint")
    func nameResolution() async throws {
        let error = try await failure(endpoint: "http://no-such-host.invalid:9000") { _ = try await $0.headObject(key: "k") }
        #expect(error.code == .nameResolutionFailed)
        #expect(error.description.hasPrefix("cannot resolve the OSS endpoint host of http://no-such-host.invalid:9000 (host not found)"))
        #expect(error.description.contains("oss.endpoint"))
        checkOneLine(error)
    }

    @Test("Wrong secret: SignatureDoesNotMatch names the access key id and the secret to fix")
    func wrongSecret() async throws {
        let server = try await ScriptedServer.sequence([
            .xml(
                403,
                """
                <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>
                <RequestId>5C3D8D2A0ACA54D87B43CCCC</RequestId><HostId>h</HostId><OSSAccessKeyId>LTAI5tTestAccessKey</OSSAccessKeyId>
                <StringToSign>OSS4-HMAC-SHA256\n20231216T162057Z</StringToSign></Error>
                """)
        ])
        let error = try await failure(endpoint: server.baseURL) { try await $0.deleteObject(key: "k") }
        await server.stop()
        #expect(error.code == .signatureDoesNotMatch)
        #expect(error.description.contains("access key secret is wrong"))
        #expect(error.description.contains("oss.credentials.access_key_secret"))
        #expect(error.description.contains("LTAI****sKey"))
        #expect(error.description.contains("5C3D8D2A0ACA54D87B43CCCC"))
        checkOneLine(error)
    }

    @Test("Wrong access key id: InvalidAccessKeyId names the key id to fix")
    func wrongKeyId() async throws {
        let server = try await ScriptedServer.sequence([
            FakeBucket.error(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
        ])
        let error = try await failure(endpoint: server.baseURL) { try await $0.deleteObject(key: "k") }
        await server.stop()
        #expect(error.code == .invalidAccessKeyId)
        #expect(error.description.contains("oss.credentials.access_key_id"))
        checkOneLine(error)
    }

    @Test("Missing bucket: NoSuchBucket names the bucket, endpoint and oss.bucket")
    func missingBucket() async throws {
        let server = try await ScriptedServer.sequence([
            FakeBucket.error(404, "NoSuchBucket", "The specified bucket does not exist.")
        ])
        let error = try await failure(endpoint: server.baseURL) { _ = try await $0.getBucketInfo() }
        await server.stop()
        #expect(error.code == .noSuchBucket)
        #expect(error.description.hasPrefix("bucket 'examplebucket' does not exist at \(server.baseURL)"))
        #expect(error.description.contains("fix oss.bucket"))
        checkOneLine(error)
    }
}
