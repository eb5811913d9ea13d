/// The name of every metric the sink exports: Prometheus style, `kafka_oss_sink_` prefix, unit suffix.
///
/// These names are a public contract (dashboards and alerts depend on them); docs/operations.md lists them
/// with their types, labels and meaning. ``SinkMetrics`` is the only code that creates them.
public enum SinkMetricName {
    /// Counter {topic, partition}: records received from Kafka.
    public static let recordsConsumed = "kafka_oss_sink_records_consumed_total"
    /// Counter {topic, partition}: key + value + header bytes of the records received from Kafka.
    public static let bytesConsumed = "kafka_oss_sink_consumed_bytes_total"
    /// Counter {topic, partition}: records that landed in OSS (appends with outcome ok or lost_response_resolved).
    public static let recordsAppended = "kafka_oss_sink_records_appended_total"
    /// Counter {topic, partition}: object bytes (rendered, compressed) that landed in OSS.
    public static let bytesAppended = "kafka_oss_sink_appended_bytes_total"
    /// Counter {topic, outcome}: append requests by outcome (``AppendMetricOutcome``).
    public static let appends = "kafka_oss_sink_appends_total"
    /// Histogram {topic}: duration of one AppendObject request, in seconds.
    public static let appendDuration = "kafka_oss_sink_append_duration_seconds"
    /// Counter {outcome}: offset commits by outcome (``CommitMetricOutcome``).
    public static let commits = "kafka_oss_sink_commits_total"
    /// Histogram: duration of one offset commit (request to broker acknowledgement), in seconds.
    public static let commitDuration = "kafka_oss_sink_commit_duration_seconds"
    /// Gauge {topic, partition}: high watermark minus the next offset to consume, in records.
    public static let consumerLag = "kafka_oss_sink_consumer_lag_records"
    /// Gauge {topic, partition}: age in seconds of the oldest record consumed but not yet covered by an acknowledged
    /// offset commit (0 when everything consumed is archived and committed): how far the archive trails.
    public static let archiveFreshness = "kafka_oss_sink_archive_freshness_seconds"
    /// Counter {topic, partition, reason}: segments closed and new keys opened (`SinkCore.RolloverReason` raw values).
    public static let rollovers = "kafka_oss_sink_rollovers_total"
    /// Counter {topic, partition, outcome}: partition recoveries by outcome (`SinkCore.RecoveryOutcome` raw values).
    public static let recoveries = "kafka_oss_sink_recoveries_total"
    /// Counter {topic, partition}: 200 responses whose next position or CRC-64 was not the expected one.
    public static let integrityErrors = "kafka_oss_sink_integrity_errors_total"
    /// Counter {topic, partition}: times the first record after a commit was beyond the committed offset, so
    /// records expired in Kafka (retention) before they were archived.
    public static let recordsExpiredBeforeArchive = "kafka_oss_sink_records_expired_before_archive_total"
    /// Counter {topic, partition, outcome}: finished segments by how finishing them ended (`SinkCore.FinishOutcome`
    /// raw values: sealed, tagged, refused, missing).
    public static let segmentsFinished = "kafka_oss_sink_segments_finished_total"
    /// Gauge: finished segments of this replica's partitions not yet sealed and tagged.
    public static let finishingSegments = "kafka_oss_sink_finishing_segments"
    /// Gauge: 1 while finished segments are sealed (`sink.rollover.seal: true` and OSS has it enabled), else 0.
    public static let sealingEnabled = "kafka_oss_sink_sealing_enabled"
    /// Gauge: bytes of records buffered in memory across all partitions.
    public static let bufferedBytes = "kafka_oss_sink_buffered_bytes"
    /// Gauge: partitions paused because the buffer passed its high watermark.
    public static let pausedPartitions = "kafka_oss_sink_paused_partitions"
    /// Gauge: partitions currently assigned to this replica.
    public static let assignedPartitions = "kafka_oss_sink_assigned_partitions"
    /// Gauge: open segments (appendable objects this replica is writing).
    public static let openSegments = "kafka_oss_sink_open_segments"
    /// Gauge: 1 while `/readyz` answers 200, else 0.
    public static let ready = "kafka_oss_sink_ready"
    /// Gauge: 1 while the sink is in a configuration-error state (OSS 403/404/4xx or a bad setting), else 0.
    public static let configError = "kafka_oss_sink_config_error"
    /// Gauge {version, librdkafka_version}: always 1; the labels carry the build.
    public static let buildInfo = "kafka_oss_sink_build_info"

    /// Every name above, in the order of docs/operations.md.
    public static let all: [String] = [
        recordsConsumed, bytesConsumed, recordsAppended, bytesAppended, appends, appendDuration, commits,
        commitDuration, consumerLag, archiveFreshness, rollovers, recoveries, integrityErrors, recordsExpiredBeforeArchive,
        segmentsFinished, finishingSegments, sealingEnabled, bufferedBytes, pausedPartitions, assignedPartitions, openSegments,
        ready, configError, buildInfo,
    ]
}
