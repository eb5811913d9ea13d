import Foundation
import KafkaBridge
import SinkApp
import SinkConfig
import Testing

/// `ConfigurationFile.load`, as every command reads its file: librdkafka also creates a consumer with
/// `kafka.properties` (connecting nowhere), because it checks some values only then.
@Suite struct ConfigurationLoadingTests {
    func write(_ properties: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(UUID().uuidString).yaml").path
        try """
            kafka:
              bootstrap_servers: "127.0.0.1:1"
              group_id: archiver
              topics: [events]
              properties:
            \(properties)
            oss:
              endpoint: "http://127.0.0.1:1"
              region: cn-hangzhou
              bucket: examplebucket
              credentials:
                provider: static
                access_key_id: AKID-EXAMPLE
                access_key_secret: "${SECRET_FOR_TEST}"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aValueLibrdkafkaRefusesOnlyWhenCreatingTheClientIsAProblem() throws {
        let path = try write("""
                security.protocol: SASL_PLAINTEXT
                sasl.mechanism: PLAINX
                sasl.username: archiver
                sasl.password: "kafka-password-never-printed"
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(performing: { try ConfigurationFile.load(path: path, environment: ["SECRET_FOR_TEST": "s3cr3t-VALUE-never-printed"]) },
                throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.problems == [ConfigProblem(
                path: "kafka.properties", message: "librdkafka cannot create a consumer with them: Unsupported SASL mechanism: PLAINX")]
                && !error.description.contains("never-printed")
        })
    }

    @Test func validPropertiesLoad() throws {
        let path = try write("""
                security.protocol: SASL_PLAINTEXT
                sasl.mechanism: SCRAM-SHA-512
                sasl.username: archiver
                sasl.password: "kafka-password-never-printed"
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try ConfigurationFile.load(path: path, environment: ["SECRET_FOR_TEST": "s3cr3t-VALUE-never-printed"])
        #expect(loaded.configuration.kafka.properties["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(KafkaPropertyCatalog.clientProblem(properties: ["sasl.mechanism": "OAUTHBEARER", "security.protocol": "SASL_SSL"]) == nil)
        #expect(KafkaPropertyCatalog.clientProblem(properties: ["security.protocol": "SSL", "ssl.ca.location": "/nonexistent/ca.pem"]) != nil)
        // Kerberos (SASL's default mechanism) would run kinit: not checked this way.
        #expect(KafkaPropertyCatalog.clientProblem(properties: ["security.protocol": "SASL_SSL", "sasl.kerberos.kinit.cmd": "/bin/false"]) == nil)
    }

    /// `run` exits 2 when librdkafka refuses a property or the client while the sink starts, 1 for other failures.
    @Test func librdkafkaRefusingTheClientIsAConfigurationError() {
        #expect(SinkApplication.isConfigurationError(KafkaError(code: .handleCreation, message: "Unsupported SASL mechanism: PLAINX")))
        #expect(SinkApplication.isConfigurationError(KafkaError(code: .configuration, message: "property rejected")))
        #expect(!SinkApplication.isConfigurationError(KafkaError(code: .consumer, message: "all brokers down")))
        #expect(!SinkApplication.isConfigurationError(ConfigError(problems: [])))
    }
}
