import Foundation
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning
import SinkTesting
import Testing

/// The client over HTTPS against the emulator serving a certificate of a private CA made in the test, directly
/// and through a CONNECT proxy.
@Suite(.serialized) struct TLSAndProxyTests {
    static let bucket = "tls-bucket"

    static func certificates(_ prefix: String) throws -> TestCertificates {
        try TestCertificates.make(
            in: FileManager.default.temporaryDirectory.appendingPathComponent("oss-tls-\(UUID().uuidString)"),
            prefix: prefix, commonName: "\(prefix) CA")
    }

    func withTLSEmulator<T>(_ certificates: TestCertificates, _ body: (String) async throws -> T) async throws -> T {
        var logger = Logger(label: "emulator")
        logger.logLevel = .critical
        let server = try OSSEmulatorServer(configuration: OSSEmulatorConfiguration(
            buckets: [Self.bucket],
            credentials: [OSSCredentials(accessKeyId: TestSecrets.accessKeyId, accessKeySecret: TestSecrets.accessKeySecret)],
            logger: logger,
            tls: OSSEmulatorTLS(certificateChainFile: certificates.certificateChainFile, privateKeyFile: certificates.keyFile)))
        let endpoint = try await server.start()
        #expect(endpoint.hasPrefix("https://"))
        do {
            let result = try await body(endpoint)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    func client(_ endpoint: String, caFile: String?, proxy: OSSProxy? = nil) throws -> OSSClient {
        try OSSClient(configuration: OSSClientConfiguration(
            endpoint: endpoint, region: "cn-hangzhou", bucket: Self.bucket,
            credentialsProvider: StaticCredentialsProvider(accessKeyId: TestSecrets.accessKeyId, accessKeySecret: TestSecrets.accessKeySecret),
            requestTimeout: .seconds(5), retryPolicy: OSSRetryPolicy(maxAttempts: 1), caFile: caFile, proxy: proxy))
    }

    @Test("appends and reads back over HTTPS with the private CA in oss.ca_file")
    func httpsWithPrivateCA() async throws {
        let certificates = try Self.certificates("good")
        try await withTLSEmulator(certificates) { endpoint in
            let client = try client(endpoint, caFile: certificates.caFile)
            let bytes = Array("{\"offset\":0}\n".utf8)
            let result = try await client.appendObject(key: "events/0/a.jsonl", position: 0, bytes: bytes, previousCRC: 0)
            #expect(result.nextPosition == UInt64(bytes.count))
            #expect(Array(buffer: try await client.getObject(key: "events/0/a.jsonl").body) == bytes)
            try await client.shutdown()
        }
    }

    @Test("an untrusted certificate is a configuration error that names oss.ca_file", arguments: [false, true])
    func untrustedCertificate(wrongCA: Bool) async throws {
        let certificates = try Self.certificates("served")
        let other = try Self.certificates("other")
        try await withTLSEmulator(certificates) { endpoint in
            // Without ca_file the system store does not know the test CA; with the wrong one, neither.
            let client = try client(endpoint, caFile: wrongCA ? other.caFile : nil)
            do {
                _ = try await client.getBucketInfo()
                Issue.record("the handshake should have failed")
            } catch let error as OSSError {
                #expect(error.code == .tlsFailed)
                #expect(error.isConfigurationError && !error.isRetryable)
                #expect(error.description.contains("the TLS handshake with \(endpoint) failed"), "\(error)")
                #expect(error.description.contains("set oss.ca_file to the PEM bundle of the CA that signed it"), "\(error)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
            try await client.shutdown()
        }
    }

    @Test("a ca_file that holds no certificate is refused when the client is made")
    func unreadableCAFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem").path
        try "not a certificate\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try client("https://127.0.0.1:1", caFile: path)
        } throws: { error in
            let error = error as? OSSError
            return error?.code == .invalidConfiguration && error?.message.hasPrefix("oss.ca_file \(path)") == true
        }
    }

    @Test("requests go through an HTTP CONNECT proxy, with basic credentials")
    func throughConnectProxy() async throws {
        let certificates = try Self.certificates("proxied")
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        try await withTLSEmulator(certificates) { endpoint in
            let port = endpoint.split(separator: ":").last.map(String.init) ?? ""
            let client = try client(endpoint, caFile: certificates.caFile,
                                    proxy: OSSProxy(host: "127.0.0.1", port: proxy.port, username: "sink", password: "proxy-pass"))
            _ = try await client.appendObject(key: "p/0.jsonl", position: 0, bytes: Array("x\n".utf8), previousCRC: 0)
            #expect(Array(buffer: try await client.getObject(key: "p/0.jsonl").body) == Array("x\n".utf8))
            try await client.shutdown()
            #expect(proxy.targets.first == "127.0.0.1:\(port)")
            #expect(proxy.authorizations.first == "Basic " + Data("sink:proxy-pass".utf8).base64EncodedString())
        }
    }
}

@Suite struct OSSProxyTests {
    let https = try! OSSEndpoint(parsing: "https://oss-cn-hangzhou.aliyuncs.com", pathStyle: false)
    let http = try! OSSEndpoint(parsing: "http://127.0.0.1:9000", pathStyle: true)

    @Test func parsesProxyURLs() throws {
        #expect(try OSSProxy(parsing: "http://proxy.internal:3128", origin: "oss.proxy") == OSSProxy(host: "proxy.internal", port: 3128))
        #expect(try OSSProxy(parsing: "proxy.internal", origin: "oss.proxy") == OSSProxy(host: "proxy.internal", port: 80))
        #expect(try OSSProxy(parsing: "http://u%40x:p%3Aw@10.0.0.1:8080/", origin: "oss.proxy")
                == OSSProxy(host: "10.0.0.1", port: 8080, username: "u@x", password: "p:w"))
        #expect(throws: OSSError.self) { try OSSProxy(parsing: "socks5://proxy:1080", origin: "HTTPS_PROXY") }
        do {
            _ = try OSSProxy(parsing: "https://user:hunter2@proxy:x", origin: "HTTPS_PROXY")
        } catch {
            #expect(error.description.hasPrefix("HTTPS_PROXY 'https://***@proxy:x' is not a proxy URL"), "\(error)")
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test func theEnvironmentIsHonouredUnlessTheConfigurationSaysOtherwise() throws {
        let env = ["HTTPS_PROXY": "http://egress:3128", "http_proxy": "http://plain:8080", "NO_PROXY": "localhost,.internal"]
        #expect(try OSSProxy.resolve(configured: nil, endpoint: https, environment: env) == OSSProxy(host: "egress", port: 3128))
        #expect(try OSSProxy.resolve(configured: nil, endpoint: http, environment: env) == OSSProxy(host: "plain", port: 8080))
        #expect(try OSSProxy.resolve(configured: "none", endpoint: https, environment: env) == nil)
        #expect(try OSSProxy.resolve(configured: "http://mine:1", endpoint: https, environment: env) == OSSProxy(host: "mine", port: 1))
        #expect(try OSSProxy.resolve(configured: nil, endpoint: https, environment: [:]) == nil)
        let internalEndpoint = try OSSEndpoint(parsing: "https://oss-cn-hangzhou.internal", pathStyle: false)
        #expect(try OSSProxy.resolve(configured: nil, endpoint: internalEndpoint, environment: env) == nil)
    }

    @Test func noProxyMatchesHostsDomainsAndPorts() {
        #expect(OSSProxy.bypasses(host: "oss-cn-hangzhou.aliyuncs.com", port: nil, noProxy: "aliyuncs.com"))
        #expect(OSSProxy.bypasses(host: "oss-cn-hangzhou.aliyuncs.com", port: nil, noProxy: " .aliyuncs.com "))
        #expect(OSSProxy.bypasses(host: "oss-cn-hangzhou.aliyuncs.com", port: nil, noProxy: "*.aliyuncs.com"))
        #expect(OSSProxy.bypasses(host: "anything", port: 443, noProxy: "*"))
        #expect(!OSSProxy.bypasses(host: "notaliyuncs.com", port: nil, noProxy: "aliyuncs.com"))
        #expect(OSSProxy.bypasses(host: "127.0.0.1", port: 9000, noProxy: "127.0.0.1:9000"))
        #expect(!OSSProxy.bypasses(host: "127.0.0.1", port: 9001, noProxy: "127.0.0.1:9000"))
        #expect(!OSSProxy.bypasses(host: "example.com", port: nil, noProxy: ""))
    }
}
