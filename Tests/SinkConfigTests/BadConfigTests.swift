import Foundation
import SinkConfig
import Testing

/// Each bad configuration must fail with exactly these problems, in this order.
struct BadConfig: CustomTestStringConvertible, Sendable {
    let name: String
    let yaml: String
    let expected: [String]
    var environment: [String: String] = testEnvironment
    var testDescription: String { name }
}

let badConfigs: [BadConfig] = [
    BadConfig(name: "missing bootstrap servers", yaml: variant(replacing: "bootstrap_servers", with: ""),
              expected: ["kafka.bootstrap_servers: is required (for example: bootstrap_servers: \"broker1:9092,broker2:9092\")"]),
    BadConfig(name: "missing group id", yaml: variant(replacing: "group_id", with: ""),
              expected: ["kafka.group_id: is required (for example: group_id: kafka-oss-sink)"]),
    BadConfig(name: "empty group id", yaml: variant(replacing: "group_id", with: "  group_id: \"\""),
              expected: ["kafka.group_id: must not be empty (for example: group_id: kafka-oss-sink)"]),
    BadConfig(name: "missing topics", yaml: variant(replacing: "topics", with: ""),
              expected: ["kafka.topics: is required (for example: topics: [\"events\", \"^logs-.*\"])"]),
    BadConfig(name: "topics not a list", yaml: variant(replacing: "topics", with: "  topics: events"),
              expected: ["kafka.topics: expected a list of topics, found a single value (for example: [\"events\", \"^logs-.*\"], or entries such as {name: audit, compression: gzip})"]),
    BadConfig(name: "bad topic regex", yaml: variant(replacing: "topics", with: "  topics: [\"events\", \"^logs-(.*\"]"),
              expected: ["kafka.topics[1]: '^logs-(.*' is not a valid regular expression: Unmatched ( or \\( (librdkafka uses POSIX extended syntax)"]),
    BadConfig(name: "bad topic name", yaml: variant(replacing: "topics", with: "  topics: [\"my events\"]"),
              expected: ["kafka.topics[0]: 'my events' is not a valid topic name: ' ' is not allowed (allowed: letters, digits, '.', '_', '-'; start with ^ for a regular expression)"]),
    BadConfig(name: "bad auto offset reset", yaml: variant(replacing: "topics", with: "  topics: [\"events\"]\n  auto_offset_reset: earlist"),
              expected: ["kafka.auto_offset_reset: 'earlist' is not allowed (allowed: earliest, latest); did you mean 'earliest'?"]),
    BadConfig(name: "misspelt librdkafka property",
              yaml: variant(replacing: "topics", with: "  topics: [\"events\"]\n  properties:\n    sesion.timeout.ms: \"10000\""),
              expected: ["kafka.properties.sesion.timeout.ms: librdkafka rejects it: No such configuration property: \"sesion.timeout.ms\" (did you mean 'session.timeout.ms'?)"]),
    BadConfig(name: "librdkafka property with a bad value",
              yaml: variant(replacing: "topics", with: "  topics: [\"events\"]\n  properties:\n    session.timeout.ms: \"soon\""),
              expected: ["kafka.properties.session.timeout.ms: librdkafka rejects it: Invalid value for configuration property \"session.timeout.ms\""]),
    BadConfig(name: "managed librdkafka property",
              yaml: variant(replacing: "topics", with: "  topics: [\"events\"]\n  properties:\n    enable.auto.commit: \"true\""),
              expected: ["kafka.properties.enable.auto.commit: is managed by the sink and cannot be set here (set nothing: offsets are committed only after the bytes are in OSS)"]),
    BadConfig(name: "unknown top-level key with suggestion", yaml: minimalYAML + "\nshutdown_timout: 10s",
              expected: ["shutdown_timout: unknown key (did you mean 'shutdown_timeout'?)"]),
    BadConfig(name: "key in the wrong section", yaml: minimalYAML + "\nsink:\n  shutdown_timeout: 10s",
              expected: ["sink.shutdown_timeout: unknown key here (it belongs at shutdown_timeout (top level))"]),
    BadConfig(name: "duration with a space", yaml: minimalYAML + "\nsink:\n  batch:\n    linger: 200 ms",
              expected: ["sink.batch.linger: '200 ms' is not a duration (allowed: a number with ms, s, m, h or d, such as 500ms, 5s, 1h); did you mean '200ms'?"]),
    BadConfig(name: "unknown nested key with suggestion", yaml: variant(replacing: "bucket", with: "  buckt: \"examplebucket\""),
              expected: ["oss.bucket: is required (for example: bucket: examplebucket)",
                         "oss.buckt: unknown key (did you mean 'bucket'?)"]),
    BadConfig(name: "v4 without region", yaml: variant(replacing: "region", with: ""),
              expected: ["oss.region: is required with signature_version v4 (for example: region: cn-hangzhou, or set signature_version: v1)"]),
    BadConfig(name: "endpoint name given as region", yaml: variant(replacing: "region", with: "  region: \"oss-cn-hangzhou\""),
              expected: ["oss.region: 'oss-cn-hangzhou' is an endpoint name, not a signing region (write 'cn-hangzhou')"]),
    BadConfig(name: "static credentials without secret", yaml: variant(replacing: "access_key_secret", with: ""),
              expected: ["oss.credentials.access_key_secret: is required with provider static (for example: access_key_secret: ${OSS_ACCESS_KEY_SECRET})"]),
    BadConfig(name: "unset environment variable", yaml: minimalYAML, expected: [
        "oss.credentials.access_key_secret: environment variable SECRET_FOR_TEST is not set (set it, or give a default with ${SECRET_FOR_TEST:-value})",
    ], environment: [:]),
    BadConfig(name: "env credentials not in the environment",
              yaml: minimalYAML.replacingOccurrences(
                  of: "  credentials:\n    provider: static\n    access_key_id: \"AKID-EXAMPLE\"\n    access_key_secret: \"${SECRET_FOR_TEST}\"", with: ""),
              expected: ["oss.credentials.provider: defaults to env but OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET are not set in the environment (export them, and OSS_SESSION_TOKEN for STS; or set provider: static, ecs_ram_role or oidc)"]),
    BadConfig(name: "env credentials half set",
              yaml: minimalYAML.replacingOccurrences(
                  of: "    provider: static\n    access_key_id: \"AKID-EXAMPLE\"\n    access_key_secret: \"${SECRET_FOR_TEST}\"", with: "    provider: env"),
              expected: ["oss.credentials.provider: is env but ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set (set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET)"],
              environment: ["ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-example"]),
    BadConfig(name: "bad endpoint scheme", yaml: variant(replacing: "endpoint", with: "  endpoint: \"ftp://oss.example.com\""),
              expected: ["oss.endpoint: scheme 'ftp' is not supported (allowed: https, http)"]),
    BadConfig(name: "bad bucket name", yaml: variant(replacing: "bucket", with: "  bucket: \"Example_Bucket\""),
              expected: ["oss.bucket: 'Example_Bucket' is not a valid bucket name (allowed: 3-63 characters of lower-case letters, digits and '-', starting and ending with a letter or digit)"]),
    BadConfig(name: "bad signature version", yaml: variant(replacing: "bucket", with: "  bucket: \"examplebucket\"\n  signature_version: v2"),
              expected: ["oss.signature_version: 'v2' is not allowed (allowed: v1, v4)"]),
    BadConfig(name: "bad credentials provider", yaml: variant(replacing: "provider", with: "    provider: ecs_ram"),
              expected: ["oss.credentials.provider: 'ecs_ram' is not allowed (allowed: static, env, ecs_ram_role, oidc); did you mean 'ecs_ram_role'?"]),
    BadConfig(name: "bad path_style type", yaml: variant(replacing: "bucket", with: "  bucket: \"examplebucket\"\n  path_style: sometimes"),
              expected: ["oss.path_style: 'sometimes' is not a boolean (allowed: true, false)"]),
    BadConfig(name: "decimal size unit", yaml: minimalYAML + "\nsink:\n  batch:\n    max_bytes: 4MB",
              expected: ["sink.batch.max_bytes: '4MB' is not a size (allowed: bytes, or a number with B, KiB, MiB, GiB, TiB such as 4MiB); did you mean '4MiB'?"]),
    BadConfig(name: "size that is not a number", yaml: minimalYAML + "\nsink:\n  max_buffered_bytes: lots",
              expected: ["sink.max_buffered_bytes: 'lots' is not a size (allowed: bytes, or a number with B, KiB, MiB, GiB, TiB such as 4MiB)"]),
    BadConfig(name: "seal not a boolean", yaml: minimalYAML + "\nsink:\n  rollover:\n    seal: yes please",
              expected: ["sink.rollover.seal: 'yes please' is not a boolean (allowed: true, false)"]),
    BadConfig(name: "too many tags for finished segments",
              yaml: minimalYAML + "\n  tags: {a: \"1\", b: \"2\", c: \"3\", d: \"4\", e: \"5\"}",
              expected: ["oss.tags: 5 tags is too many (allowed: at most 4: OSS allows 10 tags per object and the sink adds 6 segment.* tags to every finished segment)"]),
    BadConfig(name: "tags OSS refuses or the sink owns",
              yaml: minimalYAML + "\n  tags: {\"segment.sealed\": \"no\", \"cost%center\": \"42\", team: \"data&ops\"}",
              expected: [
                "oss.tags.cost%center: is not a valid OSS tag key (allowed: 1-128 characters of ASCII letters, digits, spaces and + - = . _ : /)",
                "oss.tags.segment.sealed: tag keys starting with 'segment.' are the sink's own (it describes finished segments with them); choose another name",
                "oss.tags.team: 'data&ops' is not a valid OSS tag value (allowed: up to 256 characters of ASCII letters, digits, spaces and + - = . _ : /)",
              ]),
    BadConfig(name: "object size above the OSS limit", yaml: minimalYAML + "\nsink:\n  rollover:\n    max_object_bytes: 6GiB",
              expected: ["sink.rollover.max_object_bytes: 6GiB is out of range (allowed: 1 to 5GiB)"]),
    BadConfig(name: "bad duration", yaml: minimalYAML + "\nsink:\n  batch:\n    linger: 5 seconds",
              expected: ["sink.batch.linger: '5 seconds' is not a duration (allowed: a number with ms, s, m, h or d, such as 500ms, 5s, 1h)"]),
    BadConfig(name: "duration without unit", yaml: minimalYAML + "\nshutdown_timeout: 30",
              expected: ["shutdown_timeout: '30' is not a duration (allowed: a number with ms, s, m, h or d, such as 500ms, 5s, 1h)"]),
    BadConfig(name: "batch above the sink's share of the memory bound",
              yaml: minimalYAML + "\nsink:\n  batch:\n    max_bytes: 33MiB\n  max_buffered_bytes: 64MiB\n  max_uncommitted_bytes: 64MiB",
              expected: ["sink.batch.max_bytes: 33MiB must be at most half of sink.max_buffered_bytes (64MiB, so at most 32MiB): the rest is librdkafka's prefetch, the hand-over to the sink and the records that arrive after a pause; raise max_buffered_bytes or lower max_bytes"]),
    BadConfig(name: "records out of range", yaml: minimalYAML + "\nsink:\n  batch:\n    max_records: 0",
              expected: ["sink.batch.max_records: 0 is out of range (allowed: 1 to 10000000)"]),
    BadConfig(name: "bad format with suggestion", yaml: minimalYAML + "\nsink:\n  format: json",
              expected: ["sink.format: 'json' is not allowed (allowed: jsonl, raw); did you mean 'jsonl'?"]),
    BadConfig(name: "unknown key template placeholder", yaml: minimalYAML + "\nsink:\n  key_template: \"{topic}/{partiton}/{offset}{ext}\"",
              expected: ["sink.key_template: unknown placeholder {partiton} (did you mean {partition}?)",
                         "sink.key_template: must contain {partition}: without it two segments can get the same key"]),
    BadConfig(name: "unknown time zone", yaml: minimalYAML + "\nsink:\n  time_zone: Asia/Shanghia",
              expected: ["sink.time_zone: 'Asia/Shanghia' is not a known time zone (allowed: IANA names such as UTC, Asia/Shanghai, Europe/Berlin); did you mean 'Asia/Shanghai'?"]),
    BadConfig(name: "compression level without compression", yaml: minimalYAML + "\nsink:\n  compression_level: 5",
              expected: ["sink.compression_level: is set but compression is none (set compression: gzip or zstd, or remove it)"]),
    BadConfig(name: "zstd level above 19", yaml: minimalYAML + "\nsink:\n  compression: zstd\n  compression_level: 21",
              expected: ["sink.compression_level: 21 is out of range (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is zstd)"]),
    BadConfig(name: "zstd level far out of range", yaml: minimalYAML + "\nsink:\n  compression: zstd\n  compression_level: 40",
              expected: ["sink.compression_level: 40 is out of range (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is zstd)"]),
    BadConfig(name: "gzip level above 9", yaml: minimalYAML + "\nsink:\n  compression: gzip\n  compression_level: 12",
              expected: ["sink.compression_level: 12 is out of range (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is gzip)"]),
    BadConfig(name: "compression level not a number", yaml: minimalYAML + "\nsink:\n  compression: gzip\n  compression_level: high",
              expected: ["sink.compression_level: 'high' is not a whole number (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is gzip)"]),
    BadConfig(name: "missing kafka TLS files",
              yaml: variant(replacing: "topics", with: """
                  topics: ["events"]
                  properties:
                    security.protocol: SSL
                    ssl.ca.location: /nonexistent/ca.pem
                    ssl.certificate.location: /nonexistent/client.pem
                    ssl.key.location: /
                """),
              expected: [
                "kafka.properties.ssl.ca.location: /nonexistent/ca.pem does not exist (give the path of the PEM CA certificates that signed the brokers' certificates (a file or a directory; or 'probe'), readable by the user the sink runs as)",
                "kafka.properties.ssl.certificate.location: /nonexistent/client.pem does not exist (give the path of this client's PEM certificate, readable by the user the sink runs as)",
                "kafka.properties.ssl.key.location: / is a directory (give the path of this client's PEM private key, readable by the user the sink runs as)",
              ]),
    BadConfig(name: "missing oss.ca_file", yaml: minimalYAML + "\n  ca_file: /nonexistent/private-ca.pem",
              expected: ["oss.ca_file: /nonexistent/private-ca.pem does not exist (give the path of a PEM file of CA certificates, readable by the user the sink runs as)"]),
    BadConfig(name: "https proxy URL", yaml: minimalYAML + "\n  proxy: \"https://proxy.internal:3128\"",
              expected: ["oss.proxy: scheme 'https' is not supported (allowed: http://host:port; the tunnel to OSS is TLS either way)"]),
    BadConfig(name: "bad listen address", yaml: minimalYAML + "\nserver:\n  listen: \"9464\"",
              expected: ["server.listen: '9464' is not host:port (for example: 0.0.0.0:9464)"]),
    BadConfig(name: "bad log level", yaml: minimalYAML + "\nlog:\n  level: verbose",
              expected: ["log.level: 'verbose' is not allowed (allowed: trace, debug, info, warning, error)"]),
    BadConfig(name: "section of the wrong type", yaml: minimalYAML + "\nsink: jsonl",
              expected: ["sink: expected a mapping of keys to values, found a single value"]),
    BadConfig(name: "broken interpolation", yaml: variant(replacing: "group_id", with: "  group_id: \"${GROUP\""),
              expected: ["kafka.group_id: unterminated '${' (write ${NAME} or ${NAME:-default}; $$ is a literal $)"]),
    BadConfig(name: "empty file", yaml: "",
              expected: ["(file): is empty (required sections: kafka, oss; see config/sink.example.yaml)"]),
    BadConfig(name: "not YAML", yaml: "kafka: [unclosed",
              expected: []),  // message comes from the YAML parser; checked separately below
]

@Suite struct BadConfigTests {
    @Test(arguments: badConfigs.filter { !$0.expected.isEmpty })
    func rejectsWithExactMessages(_ config: BadConfig) {
        #expect(problems(config.yaml, environment: config.environment) == config.expected)
    }

    @Test func tableCoversAtLeastTwentyDistinctMistakes() {
        #expect(badConfigs.count >= 20)
    }

    @Test func invalidYAMLIsOneFileProblem() {
        let found = problems("kafka: [unclosed")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("(file): is not valid YAML: ") == true)
    }

    @Test func unclosedBracketShowsTheLineAndAHint() throws {
        let yaml = variant(replacing: "topics", with: "  topics: [\"events\", \"logs\"")
        let found = try #require(problems(yaml).first)
        #expect(found.contains("(while parsing a flow sequence at line 4)"), "\(found)")
        #expect(found.contains("      4 |   topics: [\"events\", \"logs\""), "\(found)")
        #expect(found.contains("hint: a '[' is not closed: end the list with ']'"), "\(found)")
    }

    @Test func unclosedBraceShowsAHint() throws {
        let found = try #require(problems(minimalYAML + "\n  tags: {team: data").first)
        #expect(found.contains("hint: a '{' is not closed: end the mapping with '}'"), "\(found)")
    }

    @Test func tabIndentationShowsTheLineAndAHint() throws {
        let yaml = variant(replacing: "group_id", with: "\tgroup_id: \"archiver\"")
        let found = try #require(problems(yaml).first)
        #expect(found.contains("line 3, column 1: found character that cannot start any token"), "\(found)")
        #expect(found.contains("      3 | →group_id: \"archiver\""), "\(found)")
        #expect(found.contains("\n        | ^"), "\(found)")
        #expect(found.contains("hint: YAML indentation must use spaces; this line has a tab"), "\(found)")
    }

    @Test func missingColonShowsAHint() throws {
        let yaml = variant(replacing: "group_id", with: "  group_id \"archiver\"")
        let found = try #require(problems(yaml).first)
        #expect(found.contains("      3 |   group_id \"archiver\""), "\(found)")
        #expect(found.contains("hint: a key needs ':' and a space before its value"), "\(found)")
    }

    @Test func aKeyWithoutItsColonIsFoundOnTheLineBefore() throws {
        let yaml = variant(replacing: "bootstrap_servers", with: "  bootstrap_servers \"127.0.0.1:9092\"")
        let found = try #require(problems(yaml).first)
        #expect(found.contains("      2 |   bootstrap_servers \"127.0.0.1:9092\"\n      3 |   group_id: \"archiver\""), "\(found)")
        #expect(found.contains("hint: line 2 has no ':' after its key"), "\(found)")
    }

    @Test func aSecretOnTheBrokenLineIsNotShown() throws {
        let yaml = variant(replacing: "access_key_secret", with: "    access_key_secret: \"LTAI-literal-secret-value")
        let found = try #require(problems(yaml).first)
        #expect(!found.contains("LTAI-literal-secret-value"), "\(found)")
        #expect(found.contains("hint: a quoted value is not closed"), "\(found)")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let yaml = """
            kafka:
              topics: []
            oss:
              endpoint: "https://oss-cn-hangzhou.aliyuncs.com"
              bucket: "examplebucket"
            sink:
              batch:
                max_bytes: 4MB
                linger: forever
            log:
              levl: info
            """
        #expect(problems(yaml) == [
            "kafka.bootstrap_servers: is required (for example: bootstrap_servers: \"broker1:9092,broker2:9092\")",
            "kafka.group_id: is required (for example: group_id: kafka-oss-sink)",
            "kafka.topics: must name at least one topic (for example: [\"events\", \"^logs-.*\"])",
            "oss.credentials.provider: defaults to env but OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET are not set in the environment (export them, and OSS_SESSION_TOKEN for STS; or set provider: static, ecs_ram_role or oidc)",
            "oss.region: is required with signature_version v4 (for example: region: cn-hangzhou, or set signature_version: v1)",
            "sink.batch.max_bytes: '4MB' is not a size (allowed: bytes, or a number with B, KiB, MiB, GiB, TiB such as 4MiB); did you mean '4MiB'?",
            "sink.batch.linger: 'forever' is not a duration (allowed: a number with ms, s, m, h or d, such as 500ms, 5s, 1h)",
            "log.levl: unknown key (did you mean 'level'?)",
        ])
    }
}
