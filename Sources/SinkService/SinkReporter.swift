public import OSSClient
public import SinkCore

/// What the sink reports besides its log lines: what metrics count and what the readiness probe answers,
/// in the sink's own vocabulary (SinkCore's notices, OSSClient's append outcomes). The service knows no metric
/// name, label or HTTP probe; the composition root maps these calls onto them.
///
/// - Thread safety: called from the driver task, OSS request tasks and the Kafka poll thread, concurrently.
///   Implementations must not block: every call sits on the path of records.
/// - Every method has a default that ignores the call, so an implementation picks what it needs.
public protocol SinkReporter: Sendable {
    // MARK: Kafka

    /// Partitions were assigned; `total` is this replica's assignment after the change. The consumer is a
    /// member of its group from the first call on.
    func partitionsAssigned(_ partitions: [TopicPartition], total: Int)
    /// Partitions were revoked (`lost: false`) or lost; `total` is the assignment after the change.
    func partitionsUnassigned(_ partitions: [TopicPartition], total: Int, lost: Bool)
    /// `count` partitions are paused for flow control.
    func pausedPartitions(_ count: Int)
    /// Fresh consumer lag of assigned partitions (high watermark minus committed offset).
    func consumerLag(_ lag: [TopicPartition: Int64])
    /// `records` records of `bytes` key + value bytes reached the sink from Kafka.
    func recordsConsumed(_ partition: TopicPartition, records: Int, bytes: Int)
    /// One offset commit finished.
    func commitFinished(_ request: CommitRequest, succeeded: Bool, latency: Duration)
    /// No Kafka broker can be reached (librdkafka keeps trying); `reason` is librdkafka's.
    func kafkaBrokersDown(reason: String)
    /// A Kafka broker is reachable (reported with every statistics update while one is).
    func kafkaBrokersUp()
    /// What the group membership waits for (joining, the assignment), from librdkafka's group state; `nil` when
    /// it waits for nothing. Reported with every statistics update.
    func groupWaiting(_ detail: String?)

    // MARK: OSS and the archive

    /// One append finished, after the client's own retries, with OSS's classification of its outcome.
    func appendFinished(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration)
    /// Something SinkCore reports (segments, recoveries, integrity errors, expired records, ...).
    func notice(_ notice: SinkNotice)
    /// Bytes of records held by the sink, and segments open, after each event.
    func sinkState(bufferedBytes: Int, openSegments: Int)
    /// Every few seconds, per assigned partition: the age of its oldest record consumed but not yet covered by an
    /// acknowledged commit (zero when none).
    func archiveFreshness(_ ages: [TopicPartition: Duration])
    /// Finished segments not yet sealed and tagged, after each event.
    func finishingSegments(_ count: Int)
    /// Whether finished segments are sealed: `sink.rollover.seal` at start, false once OSS said SealAppendObject
    /// is not enabled.
    func sealingEnabled(_ enabled: Bool)

    // MARK: Readiness

    /// OSS answered a request (any HTTP response).
    func ossReachable()
    /// OSS could not be reached (connection refused, DNS, TLS, timeouts after retries).
    func ossUnreachable(reason: String)
    /// OSS refuses the sink's requests (403, 404 `NoSuchBucket`, other 4xx): consumption is paused and
    /// nothing is committed until ``configurationErrorCleared()``.
    func configurationError(_ reason: String)
    /// OSS accepts the sink's requests again.
    func configurationErrorCleared()
    /// A graceful shutdown started.
    func shuttingDown()
    /// The service cannot go on and is about to throw `reason`.
    func failed(reason: String)
}

extension SinkReporter {
    public func partitionsAssigned(_ partitions: [TopicPartition], total: Int) {}
    public func partitionsUnassigned(_ partitions: [TopicPartition], total: Int, lost: Bool) {}
    public func pausedPartitions(_ count: Int) {}
    public func consumerLag(_ lag: [TopicPartition: Int64]) {}
    public func recordsConsumed(_ partition: TopicPartition, records: Int, bytes: Int) {}
    public func commitFinished(_ request: CommitRequest, succeeded: Bool, latency: Duration) {}
    public func kafkaBrokersDown(reason: String) {}
    public func kafkaBrokersUp() {}
    public func groupWaiting(_ detail: String?) {}
    public func appendFinished(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration) {}
    public func notice(_ notice: SinkNotice) {}
    public func sinkState(bufferedBytes: Int, openSegments: Int) {}
    public func archiveFreshness(_ ages: [TopicPartition: Duration]) {}
    public func finishingSegments(_ count: Int) {}
    public func sealingEnabled(_ enabled: Bool) {}
    public func ossReachable() {}
    public func ossUnreachable(reason: String) {}
    public func configurationError(_ reason: String) {}
    public func configurationErrorCleared() {}
    public func shuttingDown() {}
    public func failed(reason: String) {}
}

/// A reporter that ignores everything (logs only).
public struct SilentSinkReporter: SinkReporter {
    public init() {}
}
