import Foundation
import SinkConfig
import Testing

@Suite struct ValidConfigTests {
    @Test func minimalConfigGetsDocumentedDefaults() throws {
        let config = try parse(minimalYAML).configuration
        #expect(config.kafka.topics.map(\.selector) == [.name("events")])
        #expect(config.kafka.autoOffsetReset == .earliest)
        #expect(config.oss.signatureVersion == .v4)
        #expect(config.oss.pathStyle == false)
        #expect(config.oss.storageClass == "Standard")
        #expect(config.oss.acl == "default")
        #expect(config.oss.requestTimeout == .seconds(30))
        #expect(config.sink.keyTemplate == SinkConfiguration.defaultKeyTemplate)
        #expect(config.sink.format == .jsonl)
        #expect(config.sink.compression == .none)
        #expect(config.sink.rawDelimiter == "\n")
        #expect(config.sink.batch.maxBytes == 4 << 20)
        #expect(config.sink.batch.maxRecords == 100_000)
        #expect(config.sink.batch.linger == .seconds(1))
        #expect(config.sink.rollover.maxObjectBytes == 4 << 30)
        #expect(config.sink.rollover.maxAge == .seconds(86_400))
        #expect(config.sink.rollover.seal == false)
        let sealing = try parse(minimalYAML + "\nsink:\n  rollover:\n    seal: true").configuration
        #expect(sealing.sink.rollover.seal)
        #expect(config.sink.maxBufferedBytes == 256 << 20)
        #expect(config.sink.maxInflightAppends == 16)
        #expect(config.server.host == "0.0.0.0")
        #expect(config.server.port == 9464)
        #expect(config.log.level == .info)
        #expect(config.shutdownTimeout == .seconds(30))
        #expect(config.oss.credentials.accessKeySecret == "s3cr3t-VALUE-never-printed")
    }

    @Test func topicsDistinguishNamesAndPatterns() throws {
        let config = try parse(variant(replacing: "topics", with: "  topics: [\"events\", \"^logs-.*\"]")).configuration
        #expect(config.kafka.topics.map(\.selector) == [.name("events"), .pattern("^logs-.*")])
    }

    @Test func interpolationUsesDefaultsAndLiteralDollars() throws {
        let yaml = variant(replacing: "group_id", with: "  group_id: \"${GROUP:-archiver}-$${x}-${ENV_NAME}\"")
        let config = try parse(yaml, environment: testEnvironment.merging(["ENV_NAME": "prod"]) { $1 }).configuration
        #expect(config.kafka.groupId == "archiver-${x}-prod")
    }

    @Test func plainHTTPOutsideLoopbackIsAWarningNotAnError() throws {
        let loaded = try parse(variant(replacing: "endpoint", with: "  endpoint: \"http://10.0.0.5:9000\""))
        #expect(loaded.warnings.map(\.description) == [
            "oss.endpoint: uses plain http to 10.0.0.5: requests and data travel unencrypted (use https outside a local emulator)",
        ])
        let local = try parse(variant(replacing: "endpoint", with: "  endpoint: \"http://127.0.0.1:9000\""))
        #expect(local.warnings.isEmpty)
    }

    @Test func archiveStorageIsAWarningAndACaseSlipASuggestion() throws {
        let archive = try parse(variant(replacing: "bucket", with: "  bucket: \"examplebucket\"\n  storage_class: Archive"))
        #expect(archive.configuration.oss.storageClass == "Archive")
        #expect(archive.warnings.map(\.description) == [
            "oss.storage_class: is Archive: every segment must be restored before it can be read (verify reports needs_restore, "
                + "replay and oss cat stop at it; the sink restores a segment itself when it must read its tail after a crash); "
                + "to keep the archive readable, write Standard or IA and let a lifecycle rule move finished segments to Archive",
        ])
        #expect(problems(variant(replacing: "bucket", with: "  bucket: \"examplebucket\"\n  storage_class: archive")) == [
            "oss.storage_class: 'archive' is not allowed for appendable objects (allowed: Standard, IA, Archive); did you mean 'Archive'?",
        ])
    }

    @Test func librdkafkaAcceptsRealProperties() throws {
        let yaml = variant(replacing: "topics", with: """
              topics: ["events"]
              properties:
                session.timeout.ms: "10000"
                partition.assignment.strategy: cooperative-sticky
                group.instance.id: "pod-1"
            """)
        let config = try parse(yaml).configuration
        #expect(config.kafka.properties["session.timeout.ms"] == "10000")
        #expect(config.kafka.properties.count == 3)
    }

    @Test func sizesAndDurationsParse() {
        #expect(ByteSize.parse("4MiB") == 4 << 20)
        #expect(ByteSize.parse("512KiB") == 512 << 10)
        #expect(ByteSize.parse("1GiB") == 1 << 30)
        #expect(ByteSize.parse("1048576") == 1 << 20)
        #expect(ByteSize.parse("10B") == 10)
        #expect(ByteSize.parse("4MB") == nil)
        #expect(ByteSize.parse("-1") == nil)
        #expect(ByteSize.parse("99999999999TiB") == nil)
        #expect(ByteSize.format(4 << 20) == "4MiB")
        #expect(ByteSize.format(1536 << 10) == "1536KiB")
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("5s") == .seconds(5))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("1d") == .seconds(86_400))
        #expect(DurationText.parse("5") == nil)
        #expect(DurationText.parse("5 s") == nil)
        #expect(DurationText.parse("1.5s") == nil)
        #expect(DurationText.format(.milliseconds(1500)) == "1500ms")
        #expect(DurationText.format(.seconds(86_400)) == "1d")
    }

    /// The files shipped in config/ are valid as they are.
    @Test(arguments: ["config/sink.example.yaml", "config/demo.yaml"])
    func shippedConfigFilesAreValid(_ relativePath: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(relativePath).path
        let environment = ["OSS_ACCESS_KEY_ID": "LTAI-example", "OSS_ACCESS_KEY_SECRET": "example-secret"]
        let loaded = try SinkConfiguration.loadWithWarnings(path: path, environment: environment, propertyValidator: librdkafkaValidator)
        #expect(loaded.configuration.sink.keyTemplate.contains("{offset"))
    }

    /// The effective config printed by check-config parses back to the same configuration.
    @Test func renderedYAMLRoundTrips() throws {
        let yaml = variant(replacing: "topics", with: """
              topics: ["events", "^logs-.*"]
              properties:
                client.id: "a \\"quoted\\" id"
            """) + "\nsink:\n  raw_delimiter: \"\\t|\"\n  compression: zstd\n  compression_level: 7\n  batch:\n    linger: 250ms"
        let config = try parse(yaml).configuration
        let rendered = config.renderedYAML()
        // The secret is masked, so give it back through the environment to compare the rest.
        let restored = rendered.replacingOccurrences(of: "access_key_secret: \"***\"", with: "access_key_secret: \"${SECRET_FOR_TEST}\"")
        let again = try parse(restored).configuration
        #expect(again == config)
    }
}

@Suite struct ConfigurationReferenceTests {
    /// docs/configuration.md holds config/sink.example.yaml verbatim.
    @Test func configurationReferenceMatchesTheExampleFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let reference = try String(contentsOf: root.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        let example = try String(contentsOf: root.appendingPathComponent("config/sink.example.yaml"), encoding: .utf8)
        #expect(reference.contains("```yaml\n" + example + "```"))
    }
}
