public import KafkaBridge
public import OSSClient
public import SinkCore

/// Everything ``SinkService`` needs, in the types of the modules it drives. The composition root builds it
/// from a configuration file (SinkApp's `SinkServiceConfiguration(_:environment:)`); tests and benchmarks may
/// build it directly.
public struct SinkServiceConfiguration: Sendable {
    /// SinkCore's settings: key template, format, compression, batching, rollover, memory thresholds.
    public var settings: SinkSettings
    /// The OSS client: endpoint, bucket, credentials, signing, timeouts, connections.
    public var oss: OSSClientConfiguration
    /// Headers set when a segment is created (content type, storage class, ACL, metadata, tags).
    public var createOptions: OSSCreateOptions
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
        consumer: KafkaConsumerConfiguration, maxInflightAppends: Int, handoverBytes: Int, shutdownTimeout: Duration
    ) {
        self.settings = settings
        self.oss = oss
        self.createOptions = createOptions
        self.consumer = consumer
        self.maxInflightAppends = maxInflightAppends
        self.handoverBytes = handoverBytes
        self.shutdownTimeout = shutdownTimeout
    }
}
