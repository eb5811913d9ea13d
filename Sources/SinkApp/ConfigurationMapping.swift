public import Foundation
public import KafkaBridge
public import OSSClient
public import SinkConfig
public import SinkCore
public import SinkService

// The configuration file mapped onto each module's own configuration: the only place that knows both.

extension SinkServiceConfiguration {
    /// The sink service for a validated configuration file.
    ///
    /// - Throws: `SinkSettingsError` / `KeyTemplateError` when the `sink:` section does not map to valid settings
    ///   (check-config reports those first), `OSSError` `.credentialsUnavailable` when `provider: oidc` lacks
    ///   its role, provider ARN or token file.
    public init(_ configuration: SinkConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let settings = try SinkSettings(configuration)
        self.init(
            settings: settings,
            oss: try OSSClientConfiguration(configuration.oss, maxConnections: configuration.sink.maxInflightAppends,
                                            environment: environment),
            createOptions: OSSCreateOptions(configuration.oss, topic: settings.defaultTopic),
            topicCreateOptions: zip(configuration.effectiveTopics, settings.topicRules).map { entry, rule in
                OSSCreateOptions(configuration.oss, topic: rule.settings, storageClass: entry.storageClass, tags: entry.tags)
            },
            consumer: KafkaConsumerConfiguration(configuration),
            maxInflightAppends: configuration.sink.maxInflightAppends,
            handoverBytes: configuration.sink.memoryBudget.handoverBytes,
            shutdownTimeout: configuration.shutdownTimeout)
    }
}

extension OSSClientConfiguration {
    /// The client configuration for the `oss:` section of a validated configuration file.
    ///
    /// - Throws: `OSSError` `.credentialsUnavailable` when `provider: oidc` lacks its role, provider ARN
    ///   or token file (from the file or the `ALIBABA_CLOUD_*` environment); `.invalidConfiguration` for a proxy
    ///   URL (`oss.proxy`, `HTTPS_PROXY`) that cannot be used.
    public init(
        _ oss: SinkConfiguration.OSS, maxConnections: Int = 16,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OSSError) {
        let provider: any OSSCredentialsProvider
        let credentials = oss.credentials
        switch credentials.provider {
        case .static:
            provider = StaticCredentialsProvider(
                accessKeyId: credentials.accessKeyId ?? "", accessKeySecret: credentials.accessKeySecret ?? "",
                securityToken: credentials.securityToken)
        case .env:
            provider = EnvironmentCredentialsProvider(environment: environment)
        case .ecsRamRole:
            var merged = environment
            if let role = credentials.roleName { merged["ALIBABA_CLOUD_ECS_METADATA"] = role }
            provider = ECSRAMRoleCredentialsProvider.fromEnvironment(merged)
        case .oidc:
            var merged = environment
            if let value = credentials.roleArn { merged["ALIBABA_CLOUD_ROLE_ARN"] = value }
            if let value = credentials.oidcProviderArn { merged["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"] = value }
            if let value = credentials.oidcTokenFile { merged["ALIBABA_CLOUD_OIDC_TOKEN_FILE"] = value }
            if let sts = credentials.stsEndpoint {
                // Checks that the role, provider ARN and token file are all known, then uses the configured STS.
                _ = try OIDCRoleCredentialsProvider.fromEnvironment(merged)
                provider = OIDCRoleCredentialsProvider(
                    roleArn: merged["ALIBABA_CLOUD_ROLE_ARN"]!, oidcProviderArn: merged["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"]!,
                    oidcTokenFile: merged["ALIBABA_CLOUD_OIDC_TOKEN_FILE"]!,
                    roleSessionName: merged["ALIBABA_CLOUD_ROLE_SESSION_NAME"], stsEndpoint: sts)
            } else {
                provider = try OIDCRoleCredentialsProvider.fromEnvironment(merged)
            }
        }
        let endpoint = try OSSEndpoint(parsing: oss.endpoint, pathStyle: oss.pathStyle)
        self.init(
            endpoint: oss.endpoint, region: oss.region, bucket: oss.bucket,
            signatureVersion: oss.signatureVersion == .v1 ? .v1 : .v4, pathStyle: oss.pathStyle,
            credentialsProvider: provider, requestTimeout: oss.requestTimeout, maxConnections: maxConnections,
            caFile: oss.caFile,
            proxy: try OSSProxy.resolve(configured: oss.proxy, endpoint: endpoint, environment: environment))
    }
}

extension OSSCreateOptions {
    /// Headers set when a segment of a topic with `topic`'s settings is created: its content type, the storage
    /// class and tags of its `kafka.topics` entry (default: `oss.storage_class`, `oss.tags`), `oss.acl` and
    /// `oss.metadata`.
    public init(_ oss: SinkConfiguration.OSS, topic: TopicSettings, storageClass: String? = nil, tags: [String: String]? = nil) {
        let contentType: String
        let encoding: String?
        switch (topic.format, topic.compression) {
        case (.jsonl, .none): contentType = "application/x-ndjson"; encoding = nil
        case (.raw, .none): contentType = "application/octet-stream"; encoding = nil
        case (_, .gzip): contentType = "application/gzip"; encoding = nil
        case (_, .zstd): contentType = "application/zstd"; encoding = nil
        }
        self.init(
            contentType: contentType, storageClass: storageClass ?? oss.storageClass, acl: oss.acl == "default" ? nil : oss.acl,
            metadata: oss.metadata, tags: tags ?? oss.tags, extraHeaders: encoding.map { ["content-encoding": $0] } ?? [:])
    }
}

extension TopicSettings {
    /// SinkCore's settings for topics archived with `sink` (the `sink:` section, or a `kafka.topics` entry's
    /// ``SinkConfiguration/EffectiveTopic/sink``).
    /// - Parameter singleTopic: the settings serve one topic (a `name` entry), whose key template may leave out
    ///   `{topic}`.
    public init(_ sink: SinkConfiguration.Sink, singleTopic: Bool = false) throws {
        let format: SinkSettings.Format = switch sink.format {
        case .jsonl: .jsonl(valueAsJSON: sink.jsonValue == .json)
        case .raw: .raw(delimiter: Array(sink.rawDelimiter.utf8))
        }
        let compression: SinkSettings.Compression = switch sink.compression {
        case .none: .none
        case .gzip: .gzip(level: Int32(sink.compressionLevel ?? 6))
        case .zstd: .zstd(level: Int32(sink.compressionLevel ?? 3))
        }
        self.init(
            keyTemplate: try KeyTemplate(sink.keyTemplate, requiresTopic: !singleTopic), keyPrefix: sink.prefix,
            timestampSource: sink.timestampSource == .record ? .record : .wallClock,
            timeZone: TimeZone(identifier: sink.timeZone) ?? TimeZone(identifier: "UTC")!,
            format: format, compression: compression,
            batchMaxBytes: Int(sink.batch.maxBytes), batchMaxRecords: sink.batch.maxRecords, linger: sink.batch.linger,
            maxObjectBytes: Int(sink.rollover.maxObjectBytes), maxSegmentAge: sink.rollover.maxAge,
            sealOnRollover: sink.rollover.seal)
    }
}

extension TopicSelector {
    /// SinkCore's selector for a `kafka.topics` entry.
    public init(_ selector: SinkConfiguration.TopicSelector) {
        switch selector {
        case .name(let name): self = .name(name)
        case .pattern(let pattern): self = .pattern(pattern)
        }
    }
}

extension SinkSettings {
    /// SinkCore's settings for a validated configuration file: the `sink:` section, and one rule per
    /// `kafka.topics` entry (a plain entry's rule has the `sink:` settings, so that a topic keeps the first entry
    /// that matches it).
    public init(_ configuration: SinkConfiguration) throws {
        let sink = configuration.sink
        let defaultTopic = try TopicSettings(sink)
        self.init(
            maxUncommittedBytes: Int(sink.maxUncommittedBytes), maxBufferedBytes: sink.memoryBudget.sinkBytes,
            pauseAllAboveBytes: sink.memoryBudget.sinkPauseAllBytes,
            // Enough partitions filling to keep every append slot busy with large appends.
            maxFillingPartitions: 2 * sink.maxInflightAppends,
            // A partition resumed for its turn gets its first records within a fetch wait.
            rotationIdle: max(.milliseconds(200), .milliseconds(2 * KafkaConsumerConfiguration.fetchWaitMilliseconds(configuration))))
        self.defaultTopic = defaultTopic
        topicRules = try configuration.effectiveTopics.map { entry in
            let single = if case .name = entry.selector { true } else { false }
            return TopicRule(TopicSelector(entry.selector), try TopicSettings(entry.sink, singleTopic: single))
        }
        try validate()
    }
}

extension KafkaConsumerConfiguration {
    /// `fetch.wait.max.ms`: as set in `kafka.properties`, else a quarter of the shortest `batch.linger` of any
    /// topic within 10-25 ms.
    ///
    /// A broker holds a fetch for partitions with nothing new for this long, and librdkafka sends one fetch at a
    /// time per broker: partitions resumed meanwhile (a new turn of the intake rotation, a partition resumed after
    /// a memory pause) wait for it. 25 ms keeps turns quick; it costs an empty fetch every 25 ms per broker while
    /// everything is idle.
    static func fetchWaitMilliseconds(_ configuration: SinkConfiguration) -> Int {
        if let set = configuration.kafka.properties["fetch.wait.max.ms"].flatMap(Int.init) { return set }
        let linger = configuration.effectiveTopics.map(\.sink.batch.linger).min() ?? configuration.sink.batch.linger
        let quarter = linger.components.seconds * 250 + linger.components.attoseconds / 4_000_000_000_000_000
        return Int(max(10, min(25, quarter)))
    }

    /// The consumer for the `kafka:` section. Unless `kafka.properties` sets them, librdkafka's prefetch
    /// (`queued.max.messages.kbytes`, `fetch.max.bytes`) gets its share of `max_buffered_bytes` (see
    /// `MemoryBudget`), and `fetch.wait.max.ms` is a quarter of the shortest `batch.linger` (10-25 ms): a broker
    /// that holds an empty fetch for the whole wait adds it to every record's produce-to-visible latency.
    /// Records are handed to the sink in batches of at most 1 MiB (or the largest topic's `batch.max_bytes` when
    /// smaller): the sink checks its memory watermarks after each batch, so a batch is also how far it can
    /// overshoot them.
    public init(_ configuration: SinkConfiguration) {
        let kafka = configuration.kafka
        var properties = kafka.properties
        let strategy = properties.removeValue(forKey: "partition.assignment.strategy")
        let instance = properties.removeValue(forKey: "group.instance.id")
        let budget = configuration.sink.memoryBudget
        if properties["queued.max.messages.kbytes"] == nil {
            properties["queued.max.messages.kbytes"] = String(max(1024, min(2_097_151, budget.prefetchBytes / 1024)))
        }
        if properties["fetch.max.bytes"] == nil {
            properties["fetch.max.bytes"] = String(max(1 << 20, min(52_428_800, budget.prefetchBytes)))
        }
        if properties["fetch.wait.max.ms"] == nil {
            properties["fetch.wait.max.ms"] = String(Self.fetchWaitMilliseconds(configuration))
        }
        self.init(
            bootstrapServers: kafka.bootstrapServers, groupID: kafka.groupId, topics: kafka.topics.map(\.selector.description),
            autoOffsetReset: kafka.autoOffsetReset == .earliest ? .earliest : .latest,
            rebalanceProtocol: strategy.map { $0.contains("cooperative") ? .cooperativeSticky : .eager } ?? .cooperativeSticky,
            groupInstanceID: instance,
            maxBatchBytes: Int(min(configuration.effectiveTopics.map(\.sink.batch.maxBytes).max() ?? configuration.sink.batch.maxBytes, 1 << 20)),
            properties: properties)
    }
}
