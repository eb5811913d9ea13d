public import ArchiveReading
import Foundation
import KafkaBridge
public import Replay
public import SinkConfig
import SinkCore

/// What the `replay` command line chooses (the rest comes from the configuration file).
public struct ReplayOptions: Sendable {
    public var topic: String
    /// Default: `topic`.
    public var toTopic: String?
    /// Default: `kafka.bootstrap_servers`.
    public var toBootstrapServers: String?
    public var selection: ReplaySelection
    public var repartition: Bool
    public var valueOnly: Bool
    /// Bytes per second; `nil`: unlimited.
    public var maxBytesPerSecond: Int64?
    public var dryRun: Bool
    /// Overrides `replay.jobs`.
    public var jobs: Int?
    /// Read the sink group's committed offsets (they prove segment bytes); off when the source cluster is gone.
    public var readCommits: Bool

    public init(
        topic: String, toTopic: String? = nil, toBootstrapServers: String? = nil, selection: ReplaySelection = ReplaySelection(),
        repartition: Bool = false, valueOnly: Bool = false, maxBytesPerSecond: Int64? = nil, dryRun: Bool = false,
        jobs: Int? = nil, readCommits: Bool = true
    ) {
        self.topic = topic
        self.toTopic = toTopic
        self.toBootstrapServers = toBootstrapServers
        self.selection = selection
        self.repartition = repartition
        self.valueOnly = valueOnly
        self.maxBytesPerSecond = maxBytesPerSecond
        self.dryRun = dryRun
        self.jobs = jobs
        self.readCommits = readCommits
    }
}

/// `replay.properties` checks beyond librdkafka's own.
public enum ReplayProperties {
    /// Why `name = value` cannot configure replay's producer (a whole sentence), or `nil`.
    public static func problem(name: String, value: String) -> String? {
        if name == "partitioner", KafkaPartitioner(property: value) == nil {
            if KafkaProducer.validateProperty(name: name, value: value, delivery: .acknowledged) == nil {
                return "'\(value)' cannot be used: --repartition must send each record to the same partition on every run (allowed: consistent_random, consistent, murmur2_random, murmur2, fnv1a_random, fnv1a)"
            }
        }
        if let conflict = KafkaProducerConfiguration.conflict(name: name, value: value, delivery: .idempotentGapless) {
            return conflict
        }
        if KafkaPropertyCatalog.scope(of: name) == .consumer {
            return "is a consumer property; replay only produces (consumer settings belong under kafka.properties)"
        }
        if let reason = KafkaProducer.validateProperty(name: name, value: value, delivery: .idempotentGapless) {
            return "librdkafka rejects it: \(reason)"
        }
        return nil
    }

    /// The producer's properties: with the source cluster as the target, the `kafka.properties` entries librdkafka
    /// applies to producers too (SASL, SSL, client.id, ...), then `replay.properties`.
    public static func producerProperties(_ configuration: SinkConfiguration, targetIsSource: Bool) -> [String: String] {
        var properties: [String: String] = [:]
        if targetIsSource {
            for (name, value) in configuration.kafka.properties where KafkaPropertyCatalog.scope(of: name) != .consumer {
                properties[name] = value
            }
        }
        properties.merge(configuration.replay.properties) { $1 }
        return properties
    }
}

extension ReplayConfiguration {
    /// The replay for a validated configuration file and the command line.
    ///
    /// - Throws: `SinkSettingsError` / `KeyTemplateError` when the `sink:` section does not map to settings.
    public init(
        _ configuration: SinkConfiguration, options: ReplayOptions, archive: any ArchiveReader, commits: (any CommitReader)?
    ) throws {
        let targetServers = options.toBootstrapServers ?? configuration.kafka.bootstrapServers
        let targetIsSource = options.toBootstrapServers == nil || options.toBootstrapServers == configuration.kafka.bootstrapServers
        self.init(
            settings: try SinkSettings(configuration), archive: archive, sourceTopic: options.topic, targetTopic: options.toTopic,
            commits: commits, targetBootstrapServers: targetServers,
            producerProperties: ReplayProperties.producerProperties(configuration, targetIsSource: targetIsSource),
            selection: options.selection, repartition: options.repartition, valueOnly: options.valueOnly,
            maxBytesPerSecond: options.maxBytesPerSecond,
            memory: ReplayMemory(maxBufferedBytes: Int(configuration.replay.maxBufferedBytes), jobs: options.jobs ?? configuration.replay.jobs),
            shutdownTimeout: configuration.shutdownTimeout)
    }
}
