public import Metrics
import Synchronization

/// Every metric of the sink, behind small typed methods (called by the composition root's reporter).
///
/// Metric names (``SinkMetricName``) and label names live only here. Handles are created on first use and
/// cached, so a call costs one lock and one dictionary lookup plus the handler's own update.
///
/// - Thread safety: every method may be called from any thread or task concurrently.
/// - Cardinality: volume counters, lag, rollovers and recoveries carry `topic` and `partition`; the per-request
///   series (appends by outcome, append latency) carry `topic` only, so thousands of partitions do not multiply
///   histogram buckets.
/// - Important: latency histograms get the buckets of ``appendDurationBuckets`` and ``commitDurationBuckets``
///   only when the factory knows them: use ``init(registry:)``, or bootstrap with
///   ``MetricsBootstrap/bootstrapPrometheus()`` before creating `SinkMetrics()`.
public final class SinkMetrics: Sendable {
    /// Buckets of `kafka_oss_sink_append_duration_seconds`: 1 ms (emulator, same zone) to 30 s (the default
    /// `oss.request_timeout`).
    public static let appendDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    /// Buckets of `kafka_oss_sink_commit_duration_seconds`: 1 ms to 30 s (a broker round trip, up to a
    /// coordinator change).
    public static let commitDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    private let factory: any MetricsFactory
    private let counters = Mutex<[SeriesKey: Counter]>([:])
    private let meters = Mutex<[SeriesKey: Meter]>([:])
    private let timers = Mutex<[SeriesKey: Timer]>([:])

    /// Metrics created through `factory` (for example a `PrometheusMetricsFactory`, or a test factory).
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Metrics created through the process-wide `MetricsSystem.factory`.
    public convenience init() {
        self.init(factory: MetricsSystem.factory)
    }

    // MARK: Consumption and appends

    /// Counts records received from Kafka for one partition; `bytes` is their key + value + header size.
    public func recordConsumed(topic: String, partition: Int32, records: Int, bytes: Int) {
        let labels = Self.partitionLabels(topic, partition)
        counter(SinkMetricName.recordsConsumed, labels).increment(by: records)
        counter(SinkMetricName.bytesConsumed, labels).increment(by: bytes)
    }

    /// Counts one append request and its duration.
    ///
    /// `records` and `bytes` (the object bytes of the batch) are added to the appended totals only when the
    /// outcome means they landed (``AppendMetricOutcome/ok``, ``AppendMetricOutcome/lostResponseResolved``).
    /// Call it once per attempt: a retried attempt with ``AppendMetricOutcome/retried``, the last with its
    /// final outcome.
    public func recordAppend(
        topic: String,
        partition: Int32,
        outcome: AppendMetricOutcome,
        bytes: Int,
        records: Int,
        latency: Duration
    ) {
        counter(SinkMetricName.appends, [("topic", topic), ("outcome", outcome.rawValue)]).increment()
        timer(SinkMetricName.appendDuration, [("topic", topic)]).record(duration: latency)
        switch outcome {
        case .ok, .lostResponseResolved:
            let labels = Self.partitionLabels(topic, partition)
            counter(SinkMetricName.recordsAppended, labels).increment(by: records)
            counter(SinkMetricName.bytesAppended, labels).increment(by: bytes)
        case .retried, .fenced, .notAppendable, .sealed, .error:
            break
        }
    }

    /// Counts one offset commit (one request, which may cover several partitions) and its duration.
    public func recordCommit(outcome: CommitMetricOutcome, latency: Duration) {
        counter(SinkMetricName.commits, [("outcome", outcome.rawValue)]).increment()
        timer(SinkMetricName.commitDuration, []).record(duration: latency)
    }

    /// Counts an append answered 200 with an unexpected next position or CRC-64 (an alert condition).
    public func recordIntegrityError(topic: String, partition: Int32) {
        counter(SinkMetricName.integrityErrors, Self.partitionLabels(topic, partition)).increment()
    }

    /// Counts records that expired in Kafka before they were archived: the first record consumed after the
    /// committed offset `expected` came at a later offset (an alert condition: retention shorter than an outage).
    public func recordRecordsExpiredBeforeArchive(topic: String, partition: Int32) {
        counter(SinkMetricName.recordsExpiredBeforeArchive, Self.partitionLabels(topic, partition)).increment()
    }

    // MARK: Segments and recovery

    /// Counts a segment rollover with its reason (the `reason` label: `SinkCore.RolloverReason`'s raw values,
    /// listed in docs/operations.md).
    public func recordRollover(topic: String, partition: Int32, reason: String) {
        var labels = Self.partitionLabels(topic, partition)
        labels.append(("reason", reason))
        counter(SinkMetricName.rollovers, labels).increment()
    }

    /// Counts a finished partition recovery with its outcome (the `outcome` label: `SinkCore.RecoveryOutcome`'s
    /// raw values, listed in docs/operations.md).
    public func recordRecovery(topic: String, partition: Int32, outcome: String) {
        var labels = Self.partitionLabels(topic, partition)
        labels.append(("outcome", outcome))
        counter(SinkMetricName.recoveries, labels).increment()
    }

    /// Counts a finished segment by how finishing it ended (the `outcome` label: `SinkCore.FinishOutcome`'s raw
    /// values, listed in docs/operations.md).
    public func recordSegmentFinished(topic: String, partition: Int32, outcome: String) {
        var labels = Self.partitionLabels(topic, partition)
        labels.append(("outcome", outcome))
        counter(SinkMetricName.segmentsFinished, labels).increment()
    }

    // MARK: Gauges

    /// Sets the number of finished segments not yet sealed and tagged.
    public func setFinishingSegments(_ count: Int) {
        meter(SinkMetricName.finishingSegments, []).set(count)
    }

    /// Sets whether finished segments are sealed.
    public func setSealingEnabled(_ enabled: Bool) {
        meter(SinkMetricName.sealingEnabled, []).set(enabled ? 1 : 0)
    }

    /// Sets the consumer lag of an assigned partition (high watermark − next offset to consume, ≥ 0).
    public func setConsumerLag(topic: String, partition: Int32, lag: Int64) {
        meter(SinkMetricName.consumerLag, Self.partitionLabels(topic, partition)).set(max(0, lag))
    }

    /// Sets the age of the oldest record of a partition consumed but not yet committed (0: none).
    public func setArchiveFreshness(topic: String, partition: Int32, age: Duration) {
        let (seconds, attoseconds) = age.components
        meter(SinkMetricName.archiveFreshness, Self.partitionLabels(topic, partition))
            .set(max(0, Double(seconds) + Double(attoseconds) / 1e18))
    }

    /// Removes the per-partition gauges of a partition this replica no longer owns (revoked or lost), so its
    /// last lag and freshness are not reported next to the new owner's. Counters are kept (they only grow).
    public func forgetPartition(topic: String, partition: Int32) {
        for name in [SinkMetricName.consumerLag, SinkMetricName.archiveFreshness] {
            let key = SeriesKey(name, Self.partitionLabels(topic, partition))
            let removed = meters.withLock { $0.removeValue(forKey: key) }
            removed?.destroy()
        }
    }

    /// Sets the bytes of records buffered in memory across all partitions.
    public func setBufferedBytes(_ bytes: Int) {
        meter(SinkMetricName.bufferedBytes, []).set(bytes)
    }

    /// Sets the number of partitions paused for flow control.
    public func setPausedPartitions(_ count: Int) {
        meter(SinkMetricName.pausedPartitions, []).set(count)
    }

    /// Sets the number of partitions assigned to this replica.
    public func setAssignedPartitions(_ count: Int) {
        meter(SinkMetricName.assignedPartitions, []).set(count)
    }

    /// Sets the number of open segments.
    public func setOpenSegments(_ count: Int) {
        meter(SinkMetricName.openSegments, []).set(count)
    }

    /// Sets the readiness gauges (the composition root calls this on every change of the probes' state).
    public func setHealth(ready: Bool, configError: Bool) {
        meter(SinkMetricName.ready, []).set(ready ? 1 : 0)
        meter(SinkMetricName.configError, []).set(configError ? 1 : 0)
    }

    /// Publishes `kafka_oss_sink_build_info{version, librdkafka_version} 1`. Call once at start.
    public func setBuildInfo(version: String, librdkafkaVersion: String) {
        meter(SinkMetricName.buildInfo, [("version", version), ("librdkafka_version", librdkafkaVersion)]).set(1)
    }

    // MARK: Handles

    private static func partitionLabels(_ topic: String, _ partition: Int32) -> [(String, String)] {
        [("topic", topic), ("partition", String(partition))]
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        let key = SeriesKey(name, labels)
        return counters.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = Counter(label: name, dimensions: labels, factory: factory)
            cache[key] = created
            return created
        }
    }

    private func meter(_ name: String, _ labels: [(String, String)]) -> Meter {
        let key = SeriesKey(name, labels)
        return meters.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = Meter(label: name, dimensions: labels, factory: factory)
            cache[key] = created
            return created
        }
    }

    private func timer(_ name: String, _ labels: [(String, String)]) -> Timer {
        let key = SeriesKey(name, labels)
        return timers.withLock { cache in
            if let existing = cache[key] { return existing }
            let created = Timer(label: name, dimensions: labels, factory: factory)
            cache[key] = created
            return created
        }
    }
}

/// One time series: a metric name and its label values in order.
private struct SeriesKey: Hashable {
    var name: String
    var labels: [String]

    init(_ name: String, _ labels: [(String, String)]) {
        self.name = name
        self.labels = labels.flatMap { [$0.0, $0.1] }
    }
}
