import SinkConfig
import Testing

/// Secrets given through the file or the environment never appear in any output.
@Suite struct SecretTests {
    let secret = "s3cr3t-VALUE-never-printed"

    @Test func renderedConfigMasksEverySecret() throws {
        let yaml = variant(replacing: "access_key_secret", with: """
                access_key_secret: "${SECRET_FOR_TEST}"
                security_token: "sts-TOKEN-never-printed"
            """) + """

            """
        let withProperties = yaml.replacingAll("  topics: [\"events\"]", with: """
              topics: ["events"]
              properties:
                sasl.username: "user"
                sasl.password: "kafka-PASSWORD-never-printed"
            """)
        let config = try parse(withProperties).configuration
        let rendered = config.renderedYAML()
        #expect(!rendered.contains(secret))
        #expect(!rendered.contains("sts-TOKEN-never-printed"))
        #expect(!rendered.contains("kafka-PASSWORD-never-printed"))
        #expect(rendered.contains("access_key_secret: \"***\""))
        #expect(rendered.contains("security_token: \"***\""))
        #expect(rendered.contains("\"sasl.password\": \"***\""))
        #expect(rendered.contains("\"sasl.username\": \"user\""))
    }

    @Test func errorsNeverEchoSecretValues() {
        // A secret that is also (wrongly) used where it gets echoed in an error message.
        let yaml = variant(replacing: "bucket", with: "  bucket: \"${SECRET_FOR_TEST}\"")
        let found = problems(yaml)
        #expect(!found.isEmpty)
        for problem in found { #expect(!problem.contains(secret)) }
        #expect(found.contains("oss.bucket: '***' is not a valid bucket name (allowed: 3-63 characters of lower-case letters, digits and '-', starting and ending with a letter or digit)"))
    }

    @Test func badSecretKafkaPropertyValueIsNotEchoed() {
        let yaml = variant(replacing: "topics", with: """
              topics: ["events"]
              properties:
                ssl.key.password: "x"
                sasl.password: "kafka-PASSWORD-never-printed"
                security.protocol: "kafka-PASSWORD-never-printed"
            """)
        let found = problems(yaml)
        #expect(!found.isEmpty)
        for problem in found { #expect(!problem.contains("kafka-PASSWORD-never-printed")) }
        #expect(found.contains { $0.hasPrefix("kafka.properties.security.protocol: librdkafka rejects it: ") && $0.contains("***") })
    }

    @Test func shortSecretsAreWarnedAboutWithoutTheirValue() throws {
        let yaml = variant(replacing: "topics", with: """
              topics: ["events"]
              properties:
                sasl.password: "pw"
            """)
        let loaded = try parse(yaml, environment: ["SECRET_FOR_TEST": "wrong"])
        let warnings = loaded.warnings.map(\.description)
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.hasPrefix("oss.credentials.access_key_secret: is 5 characters long; real secrets are longer") })
        #expect(warnings.contains { $0.hasPrefix("kafka.properties.sasl.password: is 2 characters long;") })
        for warning in warnings { #expect(!warning.contains("wrong") && !warning.contains("\"pw\"")) }
        #expect(try parse(minimalYAML).warnings.isEmpty)
    }

    @Test func configDescriptionNeverContainsSecrets() throws {
        let config = try parse(minimalYAML).configuration
        #expect(!"\(config)".contains(secret))
        #expect(!String(reflecting: config).contains(secret))
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
