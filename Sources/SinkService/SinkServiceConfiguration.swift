public import KafkaBridge
public import OSSClient
public import SinkCore

/// Everything ``SinkService`` needs, in the types of the modules it drives. The composition root builds it
/// from a configuration file (SinkApp's `SinkServiceConfiguration(_:environment:)`); tests and benchmarks may
/// build it directly.
public struct SinkServiceConfiguration: Sendable {
    /// SinkCore's settings: key template, format, compression, batching, rollover, memory thresholds, and the
    /// per-topic rules.
    public var settings: SinkSettings
    /// The OSS client: endpoint, bucket, credentials, signing, timeouts, connections.
    public var oss: OSSClientConfiguration
    /// Headers set when a segment is created (content type, storage class, ACL, metadata, tags) for topics no
    /// rule of `settings.topicRules` matches.
    public var createOptions: OSSCreateOptions
    /// The headers for the topics of each rule of `settings.topicRules`, in the same order (empty: `createOptions`
    /// for every topic).
    public var topicCreateOptions: [OSSCreateOptions]
    /// The group consumer.
    public var consumer: KafkaConsumerConfiguration
    /// OSS requests in flight across all partitions.
    public var maxInflightAppends: Int
    /// Rendered bytes the poll thread may hand over before SinkCore took them.
    public var handoverBytes: Int
    /// Deadline of a graceful stop: flush, commit, leave the group.
    public var shutdownTimeout: Duration

    public init(
        settings: SinkSettings, oss: OSSClientConfiguration, createOptions: OSSCreateOptions,
        topicCreateOptions: [OSSCreateOptions] = [],
        consumer: KafkaConsumerConfiguration, maxInflightAppends: Int, handoverBytes: Int, shutdownTimeout: Duration
    ) {
        precondition(topicCreateOptions.isEmpty || topicCreateOptions.count == settings.topicRules.count,
                     "topicCreateOptions must hold one entry per topic rule")
        self.settings = settings
        self.oss = oss
        self.createOptions = createOptions
        self.topicCreateOptions = topicCreateOptions
        self.consumer = consumer
        self.maxInflightAppends = maxInflightAppends
        self.handoverBytes = handoverBytes
        self.shutdownTimeout = shutdownTimeout
    }
}

extension SinkServiceConfiguration {
    /// The headers a new segment of `topic` is created with: those of the first rule of `settings.topicRules` that
    /// matches it, else `createOptions`.
    public func createOptions(forTopic topic: String) -> OSSCreateOptions {
        guard !topicCreateOptions.isEmpty, let index = settings.topicRuleIndex(for: topic) else { return createOptions }
        return topicCreateOptions[index]
    }
}
