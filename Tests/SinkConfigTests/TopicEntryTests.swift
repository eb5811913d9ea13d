import Foundation
@testable import SinkConfig
import Testing

/// `kafka.topics` entries with settings of their own: decoding, what they take from `sink:` and `oss:`, which
/// entry a topic takes, check-config's listing, and the problems (exact messages).
@Suite struct TopicEntryTests {
    /// `minimalYAML` with `topics` replaced by the given block (indented under `kafka:`) and `extra` appended.
    static func yaml(topics: String, extra: String = "") -> String {
        variant(replacing: "topics", with: "  topics:\n" + topics.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "    " + $0 }.joined(separator: "\n")) + (extra.isEmpty ? "" : "\n" + extra)
    }

    @Test func entriesFallBackToTheSinkAndOSSSections() throws {
        let yaml = Self.yaml(topics: """
            - events
            - name: audit
              compression: gzip
              key_template: "{prefix}audit/{yyyy}/{partition}-{offset:020}{ext}"
              rollover:
                seal: true
              storage_class: IA
              tags:
                team: audit
            - pattern: "^logs-.*"
              format: raw
              compression_level: 9
              batch:
                max_bytes: 16MiB
            """, extra: """
            sink:
              compression: zstd
              compression_level: 15
              max_buffered_bytes: 512MiB
            """)
        let config = try parse(yaml).configuration
        #expect(config.kafka.topics.map(\.selector) == [.name("events"), .name("audit"), .pattern("^logs-.*")])
        #expect(config.kafka.topics[0].isPlain)
        let topics = config.effectiveTopics
        // A plain entry: everything from sink: and oss:.
        #expect(topics[0].sink == config.sink)
        #expect(topics[0].storageClass == "Standard" && topics[0].tags.isEmpty)
        // Compression set here: its own level (the default for gzip), not sink's zstd level 15.
        #expect(topics[1].sink.compression == .gzip && topics[1].sink.compressionLevel == nil)
        #expect(topics[1].sink.keyTemplate == "{prefix}audit/{yyyy}/{partition}-{offset:020}{ext}")
        #expect(topics[1].sink.rollover.seal && topics[1].sink.rollover.maxAge == config.sink.rollover.maxAge)
        #expect(topics[1].storageClass == "IA" && topics[1].tags == ["team": "audit"])
        // Compression inherited (zstd), level set here.
        #expect(topics[2].sink.compression == .zstd && topics[2].sink.compressionLevel == 9)
        #expect(topics[2].sink.format == .raw && topics[2].sink.batch.maxBytes == 16 << 20)
        #expect(topics[2].sink.batch.linger == config.sink.batch.linger)
        // The whole sink's keys stay the sink's.
        #expect(topics[2].sink.maxBufferedBytes == 512 << 20)
        #expect(config.entryIndex(forTopic: "logs-app") == 2)
        #expect(config.entryIndex(forTopic: "audit") == 1)
        #expect(config.entryIndex(forTopic: "other") == nil)
    }

    @Test func renderedConfigurationRoundTripsAndListsEachEntry() throws {
        let yaml = Self.yaml(topics: """
            - events
            - name: audit
              compression: gzip
              key_template: "{prefix}audit/{yyyy}/{partition}-{offset:020}{ext}"
              rollover:
                seal: true
              tags:
                team: audit
            - pattern: "^logs-audit.*"
              compression: zstd
            - pattern: "^logs-.*"
              format: raw
              batch:
                linger: 5s
            """)
        let config = try parse(yaml).configuration
        let rendered = config.renderedYAML()
        // The secret is masked, so give it back through the environment to compare the rest.
        let restored = rendered.replacingOccurrences(of: "access_key_secret: \"***\"", with: "access_key_secret: \"${SECRET_FOR_TEST}\"")
        #expect(try parse(restored).configuration == config)
        #expect(rendered.contains("#   kafka.topics[1], topic \"audit\":"))
        #expect(rendered.contains("#     format: jsonl, json_value: string, compression: gzip, compression_level: 6"))
        #expect(rendered.contains("#     rollover: {max_object_bytes: 4GiB, max_age: 1d, seal: true}"))
        #expect(rendered.contains("#     storage_class: Standard, tags: {\"team\": \"audit\"}"))
        #expect(rendered.contains("#     keys like: audit/2024/0-00000000000000000000.jsonl.gz"))
        #expect(rendered.contains("#     keys like: <topic>/0/2024/01/01/<topic>+0+00000000000000000000.bin"))
        #expect(rendered.contains("#     batch: {max_bytes: 4MiB, max_records: 100000, linger: 5s}"))
        // A narrower pattern first is on purpose: a note, not a warning.
        #expect(rendered.contains("#     note: topics matching '^logs-audit.*' take kafka.topics[2] instead"))
        #expect(try parse(yaml).warnings.isEmpty)
        // Plain entries keep the one-line form.
        #expect(try parse(minimalYAML).configuration.renderedYAML().contains("  topics: [\"events\"]\n"))
    }

    @Test func overlappingPatternsAreAWarningNamingATopicAndTheEntryItTakes() throws {
        let loaded = try parse(Self.yaml(topics: """
            - "^logs-.*"
            - pattern: "^.*-audit$"
              compression: gzip
            """))
        #expect(loaded.warnings.map(\.description) == [
            "kafka.topics[1]: '^.*-audit$' overlaps kafka.topics[0] ('^logs-.*'): topics such as 'logs-audit' match both and take kafka.topics[0]'s settings (the first entry that matches wins)",
        ])
    }

    @Test func templatesThatKeepTopicsApartAreAccepted() throws {
        // A topic-less template of its own under a literal folder no pattern topic can be.
        #expect(problems(Self.yaml(topics: """
            - pattern: "^logs-.*"
              key_template: "{prefix}{topic}/{partition}/{offset:020}{ext}"
            - name: audit
              key_template: "{prefix}archive/{partition}/{offset:020}{ext}"
            """)) == [])
        // Two patterns with the default template, and a date-led template: {topic} sits at the same place.
        #expect(problems(Self.yaml(topics: """
            - pattern: "^logs-.*"
              compression: gzip
            - pattern: "^metrics-.*"
            - pattern: "^audit-.*"
              key_template: "{prefix}{yyyy}/{MM}/{dd}/{topic}/{partition}/{offset:020}{ext}"
            - pattern: "^billing-.*"
              key_template: "{prefix}{yyyy}/{MM}/{dd}/{topic}/{partition}/{offset:020}{ext}"
            """)) == [])
        // Two topic-less templates whose extensions differ.
        #expect(problems(Self.yaml(topics: """
            - name: a
              key_template: "{prefix}{partition}/{offset:020}{ext}"
            - name: b
              key_template: "{prefix}{partition}/{offset:020}{ext}"
              compression: gzip
            """)) == [])
        // Digits before {topic} cannot run into a topic that starts with letters.
        #expect(problems(Self.yaml(topics: """
            - pattern: "^ev.*"
              key_template: "{prefix}{partition}{topic}/{offset:020}{ext}"
            """)) == [])
    }
}

/// Each configuration must fail with exactly these problems, in this order.
let badTopicConfigs: [BadConfig] = [
    BadConfig(name: "unknown per-topic key", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          compresion: zstd
        """), expected: ["kafka.topics[0].compresion: unknown key (did you mean 'compression'?)"]),
    BadConfig(name: "unknown per-topic batch key", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          batch:
            max_byte: 1MiB
        """), expected: ["kafka.topics[0].batch.max_byte: unknown key (did you mean 'max_bytes'?)"]),
    BadConfig(name: "a whole-sink key in an entry", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          max_buffered_bytes: 1GiB
        """), expected: ["kafka.topics[0].max_buffered_bytes: applies to the whole sink, not to one topic (set sink.max_buffered_bytes)"]),
    BadConfig(name: "name and pattern", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          pattern: "^events$"
        """), expected: ["kafka.topics[0]: sets both name and pattern; keep one (name: one topic, pattern: a regular expression starting with ^)"]),
    BadConfig(name: "neither name nor pattern", yaml: TopicEntryTests.yaml(topics: """
        - compression: gzip
        """), expected: ["kafka.topics[0]: needs name (one topic) or pattern (a regular expression starting with ^), for example: - name: events"]),
    BadConfig(name: "pattern without ^", yaml: TopicEntryTests.yaml(topics: """
        - pattern: "logs-.*"
        """), expected: ["kafka.topics[0].pattern: 'logs-.*' does not start with ^: librdkafka reads a subscription as a regular expression only when it does (write \"^logs-.*\", or name: logs-.* for one topic)"]),
    BadConfig(name: "name that is a pattern", yaml: TopicEntryTests.yaml(topics: """
        - name: "^logs-.*"
        """), expected: ["kafka.topics[0].name: '^logs-.*' is a regular expression: write pattern: \"^logs-.*\""]),
    BadConfig(name: "bad per-topic values", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          format: csv
          storage_class: ColdArchive
          time_zone: Asia/Shangai
          tags:
            segment.kind: x
        """), expected: [
            "kafka.topics[0].format: 'csv' is not allowed (allowed: jsonl, raw)",
            "kafka.topics[0].time_zone: 'Asia/Shangai' is not a known time zone (allowed: IANA names such as UTC, Asia/Shanghai, Europe/Berlin); did you mean 'Asia/Shanghai'?",
            "kafka.topics[0].storage_class: 'ColdArchive' is not allowed for appendable objects (allowed: Standard, IA, Archive)",
            "kafka.topics[0].tags.segment.kind: tag keys starting with 'segment.' are the sink's own (it describes finished segments with them); choose another name",
        ]),
    BadConfig(name: "per-topic limits against the sink's", yaml: TopicEntryTests.yaml(topics: """
        - name: events
          compression: gzip
          compression_level: 12
          batch:
            max_bytes: 200MiB
        - name: audit
          compression_level: 3
        """), expected: [
            "kafka.topics[0].compression_level: 12 is out of range (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is gzip)",
            "kafka.topics[0].batch.max_bytes: 200MiB must be at most half of sink.max_buffered_bytes (256MiB, so at most 128MiB): every topic's batches share that memory; raise max_buffered_bytes or lower max_bytes",
            "kafka.topics[0].batch.max_bytes: 200MiB must be at most sink.max_uncommitted_bytes (64MiB)",
            "kafka.topics[1].compression_level: is set but compression is none (set compression: gzip or zstd, or remove it)",
        ]),
    BadConfig(name: "a name an earlier pattern takes", yaml: TopicEntryTests.yaml(topics: """
        - "^logs-.*"
        - name: logs-app
          compression: zstd
        """), expected: ["kafka.topics[1]: 'logs-app' never applies: kafka.topics[0] ('^logs-.*') matches it first (a topic takes the first entry that matches it); move this entry before it, or remove it"]),
    BadConfig(name: "a pattern earlier patterns cover", yaml: TopicEntryTests.yaml(topics: """
        - "^logs-.*"
        - "^metrics-.*"
        - pattern: "^(logs|metrics)-a.*"
          compression: zstd
        """), expected: ["kafka.topics[2]: '^(logs|metrics)-a.*' never applies: kafka.topics[0] ('^logs-.*'), kafka.topics[1] ('^metrics-.*') match every topic it matches first (a topic takes the first entry that matches it); move this entry before them, or remove it"]),
    BadConfig(name: "a topic listed twice", yaml: TopicEntryTests.yaml(topics: """
        - events
        - events
        """), expected: ["kafka.topics[1]: 'events' never applies: kafka.topics[0] ('events') matches it first (a topic takes the first entry that matches it); move this entry before it, or remove it"]),
    BadConfig(name: "topic-less templates under one prefix", yaml: TopicEntryTests.yaml(topics: """
        - name: audit
          key_template: "archive/{partition}/{offset:020}{ext}"
        - name: billing
          key_template: "archive/{partition}/{offset:020}{ext}"
        """), expected: ["kafka.topics[1].key_template: kafka.topics[1] ('billing') and kafka.topics[0] ('audit') can write the same object key, for example \"archive/0/00000000000000000000.jsonl\": two topics would append to one object. Put {topic} in both key templates where the other has it (as the default template does), or give one of them a prefix the other cannot produce"]),
    BadConfig(name: "a topic-less template under a prefix a pattern can produce", yaml: TopicEntryTests.yaml(topics: """
        - "^ar.*"
        - name: audit
          key_template: "{prefix}archive/{partition}/{yyyy}/{MM}/{dd}/archive+{partition}+{offset:020}{ext}"
        """), expected: ["kafka.topics[1].key_template: kafka.topics[1] ('audit') and kafka.topics[0] ('^ar.*') can write the same object key, for example \"archive/0/0000/00/00/archive+0+00000000000000000000.jsonl\": two topics would append to one object. Put {topic} in both key templates where the other has it (as the default template does), or give one of them a prefix the other cannot produce"]),
    BadConfig(name: "a prefix that makes one topic look like another", yaml: TopicEntryTests.yaml(topics: """
        - name: a
          key_template: "{prefix}{topic}/{partition}/{offset:020}{ext}"
        - name: b
          prefix: "a/"
          key_template: "{prefix}{partition}/{offset:020}{ext}"
        """), expected: ["kafka.topics[1].key_template: kafka.topics[1] ('b') and kafka.topics[0] ('a') can write the same object key, for example \"a/0/00000000000000000000.jsonl\": two topics would append to one object. Put {topic} in both key templates where the other has it (as the default template does), or give one of them a prefix the other cannot produce"]),
    BadConfig(name: "a pattern template without {topic}", yaml: TopicEntryTests.yaml(topics: """
        - pattern: "^logs-.*"
          key_template: "logs/{partition}/{offset:020}{ext}"
        """), expected: ["kafka.topics[0].key_template: must contain {topic}: without it two topics can get the same key (only an entry with a name may leave it out)"]),
    BadConfig(name: "a topic name that runs into the partition", yaml: TopicEntryTests.yaml(topics: """
        - pattern: "^logs-.*"
          key_template: "{topic}{partition}/{offset:020}{ext}"
        """), expected: ["kafka.topics[0].key_template: two topics of '^logs-.*' can get the same key, for example \"logs-00/00000000000000000000.jsonl\": the topic name must end where the template says (put a character topic names cannot hold, such as '/', right after {topic}, and nothing of varying length before it)"]),
]

@Suite struct BadTopicConfigTests {
    @Test(arguments: badTopicConfigs)
    func rejectsWithExactMessages(_ config: BadConfig) {
        #expect(problems(config.yaml, environment: config.environment) == config.expected)
    }
}
