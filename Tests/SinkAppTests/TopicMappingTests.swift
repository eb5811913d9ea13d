import Foundation
import KafkaBridge
import OSSClient
import SinkApp
import SinkConfig
import SinkCore
import SinkService
import Testing

/// `kafka.topics` entries mapped onto SinkCore's rules, the create-time headers of each topic's segments and the
/// consumer's fetch settings.
@Suite struct TopicMappingTests {
    static let yaml = """
        kafka:
          bootstrap_servers: "127.0.0.1:9092"
          group_id: "archiver"
          topics:
            - events
            - name: audit
              compression: gzip
              key_template: "{prefix}audit/{yyyy}/{MM}/{dd}/{partition}-{offset:020}{ext}"
              time_zone: Asia/Shanghai
              rollover:
                seal: true
              storage_class: IA
              tags:
                team: audit
            - pattern: "^logs-.*"
              format: raw
              compression: zstd
              compression_level: 9
              timestamp_source: wall_clock
              batch:
                max_bytes: 2MiB
                linger: 40ms
        oss:
          endpoint: "http://127.0.0.1:9000"
          region: "cn-hangzhou"
          bucket: "archive"
          metadata:
            origin: kafka
          tags:
            owner: platform
          credentials:
            provider: static
            access_key_id: "id"
            access_key_secret: "secret"
        sink:
          batch:
            max_bytes: 1MiB
            linger: 2s
        """

    @Test func eachEntryBecomesARuleInOrder() throws {
        let config = try SinkConfiguration.parse(yaml: Self.yaml, environment: [:]).configuration
        let settings = try SinkSettings(config)
        #expect(settings.topicRules.map(\.selector) == [.name("events"), .name("audit"), .pattern("^logs-.*")])
        // A plain entry keeps the sink: settings.
        #expect(settings.topicRules[0].settings == settings.defaultTopic)
        let audit = settings.topicSettings(for: "audit")
        #expect(audit.compression == .gzip(level: 6) && audit.sealOnRollover && audit.fileExtension == ".jsonl.gz")
        #expect(audit.keyTemplate.hasTopic == false && audit.timeZone.identifier == "Asia/Shanghai")
        let logs = settings.topicSettings(for: "logs-app")
        #expect(logs.format == .raw(delimiter: [0x0a]) && logs.compression == .zstd(level: 9))
        #expect(logs.timestampSource == .wallClock && logs.batchMaxBytes == 2 << 20 && logs.linger == .milliseconds(40))
        #expect(settings.topicSettings(for: "events").batchMaxBytes == 1 << 20)
        #expect(settings.anyTopicSeals && settings.largestBatchMaxBytes == 2 << 20)
    }

    @Test func segmentsAreCreatedWithTheirTopicsHeaders() throws {
        let config = try SinkConfiguration.parse(yaml: Self.yaml, environment: [:]).configuration
        let service = try SinkServiceConfiguration(config, environment: [:])
        let events = service.createOptions(forTopic: "events")
        #expect(events.contentType == "application/x-ndjson" && events.storageClass == "Standard")
        #expect(events.tags == ["owner": "platform"] && events.metadata == ["origin": "kafka"])
        let audit = service.createOptions(forTopic: "audit")
        #expect(audit.contentType == "application/gzip" && audit.storageClass == "IA")
        // An entry's tags replace oss.tags; metadata and ACL stay the sink's.
        #expect(audit.tags == ["team": "audit"] && audit.metadata == ["origin": "kafka"])
        let logs = service.createOptions(forTopic: "logs-app")
        #expect(logs.contentType == "application/zstd" && logs.storageClass == "Standard" && logs.tags == ["owner": "platform"])
    }

    @Test func theConsumerFetchesForTheMostDemandingTopic() throws {
        let config = try SinkConfiguration.parse(yaml: Self.yaml, environment: [:]).configuration
        let consumer = KafkaConsumerConfiguration(config)
        #expect(consumer.topics == ["events", "audit", "^logs-.*"])
        // A quarter of the shortest linger (40 ms), and deliveries as large as the largest batch allows.
        #expect(consumer.properties["fetch.wait.max.ms"] == "10")
        #expect(consumer.maxBatchBytes == 1 << 20)
    }
}
