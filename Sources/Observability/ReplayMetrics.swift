public import Metrics
import Synchronization

/// The metrics of the `replay` command (served on `server.listen` when the configuration sets it). The names are a
/// public contract, listed in docs/operations.md.
///
/// - Thread safety: every method may be called from any thread or task.
public final class ReplayMetrics: Sendable {
    /// Counter {topic, partition}: replayed records the target acknowledged.
    public static let recordsProduced = "kafka_oss_sink_replay_records_total"
    /// Counter {topic, partition}: key, value and header bytes of the records enqueued.
    public static let bytesProduced = "kafka_oss_sink_replay_produced_bytes_total"
    /// Counter {topic, partition}: segment bytes read from OSS (both passes over a large segment).
    public static let bytesRead = "kafka_oss_sink_replay_read_bytes_total"
    /// Counter {topic, partition, reason}: archived records not produced: `already_in_target` (an earlier run
    /// produced them), `outside_range` (offset or time range), `duplicate` (archived twice).
    public static let recordsSkipped = "kafka_oss_sink_replay_skipped_records_total"
    /// Counter {topic, partition}: segments read to their end.
    public static let segmentsRead = "kafka_oss_sink_replay_segments_total"
    /// Gauge {topic, partition}: planned segment bytes not read yet.
    public static let remainingBytes = "kafka_oss_sink_replay_remaining_bytes"
    /// Gauge {state}: partitions by state (`pending`, `running`, `finished`, `failed`, `stopped`, `up_to_date`).
    public static let partitions = "kafka_oss_sink_replay_partitions"

    public static let partitionStates = ["pending", "running", "finished", "failed", "stopped", "up_to_date"]

    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])
    private let gauges = Mutex<[String: Meter]>([:])

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    public convenience init() {
        self.init(factory: MetricsSystem.factory)
    }

    /// Adds one partition's progress since the last call.
    public func add(
        topic: String, partition: Int32, produced: Int64, producedBytes: UInt64, read: UInt64, segments: Int,
        skipped: [(reason: String, records: Int64)]
    ) {
        let labels = [("topic", topic), ("partition", String(partition))]
        if produced > 0 { counter(Self.recordsProduced, labels).increment(by: produced) }
        if producedBytes > 0 { counter(Self.bytesProduced, labels).increment(by: Int64(producedBytes)) }
        if read > 0 { counter(Self.bytesRead, labels).increment(by: Int64(read)) }
        if segments > 0 { counter(Self.segmentsRead, labels).increment(by: Int64(segments)) }
        for (reason, records) in skipped where records > 0 {
            counter(Self.recordsSkipped, labels + [("reason", reason)]).increment(by: records)
        }
    }

    /// Sets one partition's remaining bytes.
    public func setRemaining(topic: String, partition: Int32, bytes: UInt64) {
        gauge(Self.remainingBytes, [("topic", topic), ("partition", String(partition))]).set(Int64(bytes))
    }

    /// Sets the partition count of every state (states not given are 0).
    public func setPartitions(_ counts: [String: Int]) {
        for state in Self.partitionStates {
            gauge(Self.partitions, [("state", state)]).set(Int64(counts[state] ?? 0))
        }
    }

    private func key(_ name: String, _ labels: [(String, String)]) -> String {
        name + "{" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        counters.withLock { cache in
            let key = key(name, labels)
            if let existing = cache[key] { return existing }
            let created = Counter(label: name, dimensions: labels, factory: factory)
            cache[key] = created
            return created
        }
    }

    private func gauge(_ name: String, _ labels: [(String, String)]) -> Meter {
        gauges.withLock { cache in
            let key = key(name, labels)
            if let existing = cache[key] { return existing }
            let created = Meter(label: name, dimensions: labels, factory: factory)
            cache[key] = created
            return created
        }
    }
}
