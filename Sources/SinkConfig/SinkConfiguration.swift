/// The validated, typed configuration of one kafka-oss-sink process (config/sink.example.yaml lists every key).
///
/// Every field has a documented default except the required ones (`kafka.bootstrap_servers`,
/// `kafka.group_id`, `kafka.topics`, `oss.endpoint`, `oss.bucket`, and `oss.region` for signature v4).
/// Values are produced only by ``SinkConfiguration/load(path:environment:propertyValidator:)`` or
/// ``SinkConfiguration/parse(yaml:environment:propertyValidator:)``, which report every problem at once.
public struct SinkConfiguration: Sendable, Equatable {
    public var kafka: Kafka
    public var oss: OSS
    public var sink: Sink
    public var server: Server
    public var log: Log
    /// The `replay` command's settings (the sink ignores them).
    public var replay: Replay
    /// How long a graceful shutdown (flush, commit, leave the group) may take. Default 30s.
    public var shutdownTimeout: Duration

    public struct Kafka: Sendable, Equatable {
        /// Comma-separated `host:port` list. Required.
        public var bootstrapServers: String
        /// Consumer group id shared by all replicas. Required.
        public var groupId: String
        /// The topics to archive, in order: names or regular expressions (`^…`), each with the settings it sets
        /// itself (``TopicEntry``). A topic takes the settings of the first entry that matches it. Required,
        /// non-empty.
        public var topics: [TopicEntry]
        /// Where to start when the group has no committed offset. Default earliest.
        public var autoOffsetReset: OffsetReset
        /// librdkafka consumer properties passed through unchanged, already checked by librdkafka.
        public var properties: [String: String]
    }

    public enum TopicSelector: Sendable, Equatable, CustomStringConvertible {
        case name(String)
        /// A regular expression (librdkafka subscription syntax: the leading `^` is kept).
        case pattern(String)

        /// The subscription string handed to librdkafka.
        public var description: String {
            switch self {
            case .name(let name): name
            case .pattern(let pattern): pattern
            }
        }

        /// Whether `topic` is this name, or matched by this pattern (as librdkafka matches its subscription).
        public func matches(_ topic: String) -> Bool {
            switch self {
            case .name(let name): name == topic
            case .pattern(let pattern): TopicPattern.matches(pattern, topic)
            }
        }
    }

    /// One `kafka.topics` entry: a topic name or a pattern (a plain string, or `name:`/`pattern:` in a mapping)
    /// and the settings it sets for its topics; `nil` (unset) takes the `sink:` / `oss:` value.
    public struct TopicEntry: Sendable, Equatable, CustomStringConvertible {
        public var selector: TopicSelector
        public var format: Format?
        public var jsonValue: JSONValue?
        public var rawDelimiter: String?
        public var compression: Compression?
        /// With `compression` set here: the level for it (nil: that compression's default). Without: the level of
        /// the inherited compression (nil: `sink.compression_level`).
        public var compressionLevel: Int?
        public var keyTemplate: String?
        public var prefix: String?
        public var timestampSource: TimestampSource?
        public var timeZone: String?
        public var batch = BatchOverrides()
        public var rollover = RolloverOverrides()
        public var storageClass: String?
        /// Replaces `oss.tags` for the entry's topics (`{}`: none).
        public var tags: [String: String]?

        public struct BatchOverrides: Sendable, Equatable {
            public var maxBytes: Int64?
            public var maxRecords: Int?
            public var linger: Duration?

            public init(maxBytes: Int64? = nil, maxRecords: Int? = nil, linger: Duration? = nil) {
                self.maxBytes = maxBytes
                self.maxRecords = maxRecords
                self.linger = linger
            }
        }

        public struct RolloverOverrides: Sendable, Equatable {
            public var maxObjectBytes: Int64?
            public var maxAge: Duration?
            public var seal: Bool?

            public init(maxObjectBytes: Int64? = nil, maxAge: Duration? = nil, seal: Bool? = nil) {
                self.maxObjectBytes = maxObjectBytes
                self.maxAge = maxAge
                self.seal = seal
            }
        }

        /// An entry that sets nothing: every setting is the `sink:` / `oss:` value.
        public init(_ selector: TopicSelector) {
            self.selector = selector
        }

        /// True when the entry sets nothing of its own (written as a plain string).
        public var isPlain: Bool { self == TopicEntry(selector) }

        /// The subscription string.
        public var description: String { selector.description }
    }

    /// The settings the topics of one `kafka.topics` entry are archived with: what the entry sets, the `sink:` and
    /// `oss:` values for the rest.
    public struct EffectiveTopic: Sendable, Equatable {
        public var selector: TopicSelector
        /// The `sink:` section as it applies to these topics (its global keys, such as `max_buffered_bytes`, are
        /// the sink's).
        public var sink: Sink
        public var storageClass: String
        public var tags: [String: String]
    }

    public enum OffsetReset: String, Sendable, Equatable, CaseIterable {
        case earliest, latest
    }

    public struct OSS: Sendable, Equatable {
        /// `https://host[:port]` (or `http://` for a local emulator). Required.
        public var endpoint: String
        /// Signing region such as `cn-hangzhou`. Required for signature v4.
        public var region: String?
        public var bucket: String
        /// Default v4.
        public var signatureVersion: SignatureVersion
        /// Default false: virtual-hosted addressing. IP endpoints always use path style.
        public var pathStyle: Bool
        public var credentials: Credentials
        /// Storage class set when an object is created. Default Standard.
        public var storageClass: String
        /// ACL set when an object is created. Default `default` (inherit the bucket's).
        public var acl: String
        /// `x-oss-meta-*` set when an object is created.
        public var metadata: [String: String]
        /// Object tags set when an object is created, and kept when a finished segment is tagged (at most
        /// ``SinkConfiguration/maxConfiguredTags``; keys must not start with `segment.`).
        public var tags: [String: String]
        /// Timeout of one HTTP request. Default 30s.
        public var requestTimeout: Duration
        /// PEM CA certificates trusted for https instead of the system's. Default nil (the system's).
        public var caFile: String?
        /// `http://host:port`, or `none`; nil: `HTTPS_PROXY`/`HTTP_PROXY` unless `NO_PROXY` lists the endpoint.
        public var proxy: String?

        public init(
            endpoint: String, region: String?, bucket: String, signatureVersion: SignatureVersion, pathStyle: Bool,
            credentials: Credentials, storageClass: String, acl: String, metadata: [String: String],
            tags: [String: String], requestTimeout: Duration, caFile: String? = nil, proxy: String? = nil
        ) {
            self.endpoint = endpoint
            self.region = region
            self.bucket = bucket
            self.signatureVersion = signatureVersion
            self.pathStyle = pathStyle
            self.credentials = credentials
            self.storageClass = storageClass
            self.acl = acl
            self.metadata = metadata
            self.tags = tags
            self.requestTimeout = requestTimeout
            self.caFile = caFile
            self.proxy = proxy
        }
    }

    public enum SignatureVersion: String, Sendable, Equatable, CaseIterable {
        case v1, v4
    }

    public struct Credentials: Sendable, Equatable {
        public var provider: CredentialsProvider
        /// `static` only.
        public var accessKeyId: String?
        /// `static` only. A secret: never printed.
        public var accessKeySecret: String?
        /// `static` only, optional (STS). A secret: never printed.
        public var securityToken: String?
        /// `ecs_ram_role` only, optional: the role name; discovered from the metadata service when absent.
        public var roleName: String?
        /// `oidc` only: role ARN; defaults to `ALIBABA_CLOUD_ROLE_ARN`.
        public var roleArn: String?
        /// `oidc` only: OIDC provider ARN; defaults to `ALIBABA_CLOUD_OIDC_PROVIDER_ARN`.
        public var oidcProviderArn: String?
        /// `oidc` only: token file path; defaults to `ALIBABA_CLOUD_OIDC_TOKEN_FILE`.
        public var oidcTokenFile: String?
        /// `oidc` only: STS endpoint; default `sts.aliyuncs.com`.
        public var stsEndpoint: String?
    }

    public enum CredentialsProvider: String, Sendable, Equatable, CaseIterable {
        case `static`
        case env
        case ecsRamRole = "ecs_ram_role"
        case oidc
    }

    public struct Sink: Sendable, Equatable {
        /// Object key template (docs/configuration.md: `key_template`).
        public var keyTemplate: String
        /// Replaces `{prefix}` in the key template. Default empty.
        public var prefix: String
        public var timestampSource: TimestampSource
        /// IANA time zone for the time placeholders. Default UTC.
        public var timeZone: String
        public var format: Format
        /// `jsonl` only: `string` renders values as strings (or base64); `json` embeds values that are valid JSON.
        public var jsonValue: JSONValue
        /// `raw` only: bytes written after each value. Default "\n".
        public var rawDelimiter: String
        public var compression: Compression
        /// gzip 1–9 (default 6), zstd 1–19 (default 3).
        public var compressionLevel: Int?
        public var batch: Batch
        public var rollover: Rollover
        /// Global bound on records buffered in memory across partitions. Default 256MiB.
        public var maxBufferedBytes: Int64
        /// Bound on bytes appended to OSS but not yet covered by an acknowledged commit. Default 64MiB.
        public var maxUncommittedBytes: Int64
        /// Appends in flight across all partitions. Default 16.
        public var maxInflightAppends: Int
    }

    public enum TimestampSource: String, Sendable, Equatable, CaseIterable {
        case record
        case wallClock = "wall_clock"
    }

    public enum Format: String, Sendable, Equatable, CaseIterable {
        case jsonl, raw
    }

    public enum JSONValue: String, Sendable, Equatable, CaseIterable {
        case string, json
    }

    public enum Compression: String, Sendable, Equatable, CaseIterable {
        case none, gzip, zstd
    }

    public struct Batch: Sendable, Equatable {
        /// Default 4MiB.
        public var maxBytes: Int64
        /// Default 100000.
        public var maxRecords: Int
        /// Default 1s.
        public var linger: Duration
    }

    public struct Rollover: Sendable, Equatable {
        /// Default 4GiB; at most 5GiB (the OSS limit for one object).
        public var maxObjectBytes: Int64
        /// Default 24h.
        public var maxAge: Duration
        /// Seal a segment that rolled over at its committed length (SealAppendObject) before tagging it.
        /// Default false.
        public var seal: Bool
    }

    public struct Server: Sendable, Equatable {
        /// `host:port` for /healthz, /readyz and /metrics. Default `0.0.0.0:9464`.
        public var listen: String
        public var host: String
        public var port: Int
        /// Whether the file sets `server.listen` (`replay` serves its metrics only then). Not part of `==`: it says
        /// where the value came from, not what it is.
        public var isSet: Bool

        public static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.listen == rhs.listen && lhs.host == rhs.host && lhs.port == rhs.port
        }
    }

    public struct Replay: Sendable, Equatable {
        /// Memory for reading segments and producing, whatever the segment sizes. Default 256MiB.
        public var maxBufferedBytes: Int64
        /// Partitions replayed at the same time. Default 4.
        public var jobs: Int
        /// librdkafka producer properties for the target cluster, already checked by librdkafka.
        public var properties: [String: String]
    }

    public struct Log: Sendable, Equatable {
        public var level: LogLevel
        public var format: LogFormat
    }

    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, warning, error
    }

    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        case text, json
    }
}

extension SinkConfiguration {
    /// The settings of `entry`'s topics.
    public func effective(_ entry: TopicEntry) -> EffectiveTopic {
        var sink = self.sink
        if let format = entry.format { sink.format = format }
        if let jsonValue = entry.jsonValue { sink.jsonValue = jsonValue }
        if let delimiter = entry.rawDelimiter { sink.rawDelimiter = delimiter }
        if let compression = entry.compression {
            sink.compression = compression
            sink.compressionLevel = entry.compressionLevel
        } else if let level = entry.compressionLevel {
            sink.compressionLevel = level
        }
        if let template = entry.keyTemplate { sink.keyTemplate = template }
        if let prefix = entry.prefix { sink.prefix = prefix }
        if let source = entry.timestampSource { sink.timestampSource = source }
        if let zone = entry.timeZone { sink.timeZone = zone }
        if let value = entry.batch.maxBytes { sink.batch.maxBytes = value }
        if let value = entry.batch.maxRecords { sink.batch.maxRecords = value }
        if let value = entry.batch.linger { sink.batch.linger = value }
        if let value = entry.rollover.maxObjectBytes { sink.rollover.maxObjectBytes = value }
        if let value = entry.rollover.maxAge { sink.rollover.maxAge = value }
        if let value = entry.rollover.seal { sink.rollover.seal = value }
        return EffectiveTopic(selector: entry.selector, sink: sink, storageClass: entry.storageClass ?? oss.storageClass,
                              tags: entry.tags ?? oss.tags)
    }

    /// The settings of every `kafka.topics` entry, in order.
    public var effectiveTopics: [EffectiveTopic] { kafka.topics.map(effective) }

    /// The index of the `kafka.topics` entry whose settings `topic` takes (the first that matches it).
    public func entryIndex(forTopic topic: String) -> Int? {
        kafka.topics.firstIndex { $0.selector.matches(topic) }
    }

    /// The `{ext}` of segments in `format` with `compression`: `.jsonl` or `.bin`, plus `.gz` or `.zst`.
    public static func fileExtension(format: Format, compression: Compression) -> String {
        let base = format == .jsonl ? ".jsonl" : ".bin"
        switch compression {
        case .none: return base
        case .gzip: return base + ".gz"
        case .zstd: return base + ".zst"
        }
    }

    /// The default key template (docs/configuration.md: `key_template`).
    public static let defaultKeyTemplate =
        "{prefix}{topic}/{partition}/{yyyy}/{MM}/{dd}/{topic}+{partition}+{offset:020}{ext}"

    /// `oss.tags` may hold at most this many: OSS allows 10 tags per object and the sink adds 6 to every finished
    /// segment (`segment.*`).
    public static let maxConfiguredTags = 4

    /// The OSS limit for one object, and the hard cap of `sink.rollover.max_object_bytes`.
    public static let maxObjectBytesLimit: Int64 = 5 * 1024 * 1024 * 1024

    /// librdkafka properties replay sets itself; configuring them under `replay.properties` is an error.
    public static let managedReplayProperties: [String: String] = [
        "bootstrap.servers": "--to-bootstrap-servers (default kafka.bootstrap_servers)",
        "metadata.broker.list": "--to-bootstrap-servers (default kafka.bootstrap_servers)",
        "enable.idempotence": "nothing: replay's producer is always idempotent",
        "enable.gapless.guarantee": "nothing: replay's producer always keeps the gapless guarantee",
        "transactional.id": "nothing: replay's producer is idempotent, not transactional",
    ]

    /// librdkafka properties the sink sets itself; configuring them under `kafka.properties` is an error.
    public static let managedKafkaProperties: [String: String] = [
        "bootstrap.servers": "kafka.bootstrap_servers",
        "metadata.broker.list": "kafka.bootstrap_servers",
        "group.id": "kafka.group_id",
        "enable.auto.commit": "nothing: offsets are committed only after the bytes are in OSS",
        "enable.auto.offset.store": "nothing: offsets are stored only after the bytes are in OSS",
        "auto.offset.reset": "kafka.auto_offset_reset",
    ]
}
