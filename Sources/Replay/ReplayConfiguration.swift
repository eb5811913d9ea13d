public import ArchiveReading
public import KafkaBridge
public import SinkCore

/// Everything a replay needs: how the archive was written, where it is, what to select, and where to produce.
public struct ReplayConfiguration: Sendable {
    /// The sink's settings the archive was written with (key template, prefix, format, compression).
    public var settings: SinkSettings
    public var archive: any ArchiveReader
    public var sourceTopic: String
    /// Default: the source topic's name.
    public var targetTopic: String
    /// The sink's consumer group on the source cluster: committed offsets name segments whose bytes they prove.
    /// `nil`: not read.
    public var commits: (any CommitReader)?
    /// The target cluster.
    public var targetBootstrapServers: String
    /// librdkafka producer properties for the target (client properties such as SASL included). Idempotence and
    /// the gapless guarantee are enforced (``KafkaProducerConfiguration/Delivery/idempotentGapless``).
    public var producerProperties: [String: String]
    public var selection: ReplaySelection
    /// Spread records by key hash when the target has fewer partitions (see ``TargetMapping``).
    public var repartition: Bool
    /// Replay `raw` archives, which hold only values (no key, headers or timestamp; offsets are positions).
    public var valueOnly: Bool
    /// Produced bytes (key + value + headers) per second, all partitions together; `nil`: unlimited.
    public var maxBytesPerSecond: Int64?
    public var memory: ReplayMemory
    /// How long to wait for a cluster to answer a question (metadata, watermarks, reading the target back).
    public var clusterTimeout: Duration
    /// How long a stop (SIGTERM) waits for outstanding records to be acknowledged.
    public var shutdownTimeout: Duration
    /// How long planning waits for the target topic's `retention.ms` (Admin API DescribeConfigs; clusters without
    /// it, such as librdkafka's mock, answer only with this timeout). It runs beside the rest of the planning.
    public var adminTimeout: Duration = .seconds(5)

    public init(
        settings: SinkSettings, archive: any ArchiveReader, sourceTopic: String, targetTopic: String? = nil,
        commits: (any CommitReader)?, targetBootstrapServers: String, producerProperties: [String: String] = [:],
        selection: ReplaySelection = ReplaySelection(), repartition: Bool = false, valueOnly: Bool = false,
        maxBytesPerSecond: Int64? = nil, memory: ReplayMemory = ReplayMemory(), clusterTimeout: Duration = .seconds(15),
        shutdownTimeout: Duration = .seconds(30)
    ) {
        self.settings = settings
        self.archive = archive
        self.sourceTopic = sourceTopic
        self.targetTopic = targetTopic ?? sourceTopic
        self.commits = commits
        self.targetBootstrapServers = targetBootstrapServers
        self.producerProperties = producerProperties
        self.selection = selection
        self.repartition = repartition
        self.valueOnly = valueOnly
        self.maxBytesPerSecond = maxBytesPerSecond
        self.memory = memory
        self.clusterTimeout = clusterTimeout
        self.shutdownTimeout = shutdownTimeout
    }

    /// The partitioner `--repartition` uses: the producer's `partitioner` property, `consistent_random` by default.
    public var partitioner: KafkaPartitioner {
        producerProperties["partitioner"].flatMap(KafkaPartitioner.init(property:)) ?? .consistent
    }
}

/// How a replay's memory budget (`replay.max_buffered_bytes`) is spent: a quarter on librdkafka's producer queue,
/// half on segments being read (each of the `jobs` partitions read at a time holds at most `inMemoryLimit`: a
/// segment up to that size is read once and held while its CRC-64 is checked, a larger one is read twice in
/// `chunkSize` ranges, two at a time), and the rest on decoding and records in flight. The budget does not depend
/// on segment sizes: a 4 GiB segment takes two passes of `chunkSize` ranges.
public struct ReplayMemory: Sendable, Hashable {
    public var maxBufferedBytes: Int
    /// Partitions read and produced at the same time.
    public var jobs: Int

    public init(maxBufferedBytes: Int = 256 << 20, jobs: Int = 4) {
        self.maxBufferedBytes = max(16 << 20, maxBufferedBytes)
        self.jobs = max(1, jobs)
    }

    /// Per partition: the largest segment held in memory while it is checked.
    public var inMemoryLimit: Int { maxBufferedBytes / 2 / jobs }
    /// Range size of reads (two in memory per partition for large segments).
    public var chunkSize: Int { max(64 << 10, min(8 << 20, inMemoryLimit / 2)) }
    /// librdkafka's `queue.buffering.max.kbytes`.
    public var producerQueueKilobytes: Int { max(1024, maxBufferedBytes / 4 / 1024) }
}
