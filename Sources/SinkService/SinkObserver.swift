import HealthServer
import KafkaBridge
import Logging
import OSSClient
import SinkCore

/// Where the shell reports what happened: one log line per meaningful event, metrics, and the health
/// that `/readyz` serves.
///
/// Thread-safe: called from the driver task, request tasks and the poll thread.
final class SinkObserver: Sendable {
    let logger: Logger
    let metrics: SinkMetrics?
    let health: HealthState?
    private let paused = Locked<Set<TopicPartition>>([])
    private let assigned = Locked<Set<TopicPartition>>([])

    init(logger: Logger, metrics: SinkMetrics? = nil, health: HealthState? = nil) {
        self.logger = logger
        self.metrics = metrics
        self.health = health
    }

    // MARK: SinkCore notices and health

    func notice(_ notice: SinkNotice) {
        switch notice {
        case .segmentOpened(let tp, let key, let firstOffset):
            logger.info("segment opened", metadata: meta(tp, ["key": "\(key)", "offset": "\(firstOffset)"]))
        case .rolledOver(let tp, let fromKey, let reason):
            logger.info("segment rolled over", metadata: meta(tp, ["key": "\(fromKey)", "reason": "\(reason.rawValue)"]))
            if let label = RolloverMetricReason(rawValue: reason.rawValue) {
                metrics?.recordRollover(topic: tp.topic, partition: tp.partition, reason: label)
            }
        case .recovered(let tp, let outcome, let key):
            let level: Logger.Level = switch outcome {
            case .clean, .tailProven, .noCommit: .info
            default: .warning
            }
            logger.log(level: level, "partition recovered", metadata: meta(tp, ["outcome": "\(outcome.rawValue)", "key": "\(key ?? "-")"]))
            if let label = RecoveryMetricOutcome(rawValue: outcome.rawValue) {
                metrics?.recordRecovery(topic: tp.topic, partition: tp.partition, outcome: label)
            }
        case .integrityError(let tp, let key, let expectedPosition, let actualPosition, let expectedCRC, let actualCRC):
            logger.error("append integrity error: OSS reported a different length or CRC-64; rolling over to a new object",
                         metadata: meta(tp, ["key": "\(key)", "expected_position": "\(expectedPosition)",
                                             "actual_position": "\(actualPosition)", "expected_crc64": "\(expectedCRC)",
                                             "actual_crc64": "\(actualCRC.map(String.init) ?? "-")"]))
            metrics?.recordIntegrityError(topic: tp.topic, partition: tp.partition)
        case .fenced(let tp, let key, let committedOffset):
            logger.warning("another writer appended to this partition's object; re-running recovery from the committed offset",
                           metadata: meta(tp, ["key": "\(key)", "offset": "\(committedOffset)"]))
        case .keyTaken(let tp, let key, let suffix):
            logger.warning("segment key already holds an object this sink did not write; using a suffix",
                           metadata: meta(tp, ["key": "\(key)", "suffix": "\(suffix)"]))
        case .retryScheduled(let tp, let attempt, let delay, let reason):
            logger.warning("OSS request failed; retrying", metadata: meta(tp, ["attempt": "\(attempt)", "delay": "\(delay)", "reason": "\(reason)"]))
        case .recordsExpiredBeforeArchive(let tp, let expected, let first):
            logger.error("records expired in Kafka before they were archived (retention shorter than the outage)",
                         metadata: meta(tp, ["expected_offset": "\(expected)", "first_offset": "\(first)"]))
            metrics?.recordRecordsExpiredBeforeArchive(topic: tp.topic, partition: tp.partition)
        case .recordsIgnored(let tp, let count, let reason):
            logger.debug("records ignored", metadata: meta(tp, ["count": "\(count)", "reason": "\(reason)"]))
        case .commitFailed(let tp, let offset, let reason):
            logger.warning("offset commit failed; it is retried", metadata: meta(tp, ["offset": "\(offset)", "reason": "\(reason)"]))
        }
    }

    func health(_ state: SinkHealth) {
        switch state {
        case .healthy:
            logger.info("OSS accepts the sink's requests again")
            health?.clearConfigError()
        case .unhealthy(let reason):
            logger.error("OSS rejects the sink's requests; consumption is paused and nothing is committed", metadata: ["reason": "\(reason)"])
            health?.reportConfigError(reason)
        }
    }

    // MARK: Kafka

    func assigned(_ partitions: [TopicPartition]) {
        let count = assigned.withLock { set -> Int in
            set.formUnion(partitions)
            return set.count
        }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted().map(\.description))"])
        health?.markGroupJoined(assignedPartitions: count)
        metrics?.setAssignedPartitions(count)
    }

    func unassigned(_ partitions: [TopicPartition], lost: Bool) {
        let count = assigned.withLock { set -> Int in
            set.subtract(partitions)
            return set.count
        }
        logger.log(level: lost ? .warning : .info, lost ? "partitions lost" : "partitions revoked",
                   metadata: ["partitions": "\(partitions.sorted().map(\.description))"])
        health?.setAssignedPartitions(count)
        metrics?.setAssignedPartitions(count)
        for tp in partitions { metrics?.forgetPartition(topic: tp.topic, partition: tp.partition) }
    }

    func consumed(_ records: [SinkRecord]) {
        guard let metrics, let first = records.first else { return }
        var current = TopicPartition(topic: first.topic, partition: first.partition)
        var count = 0, bytes = 0
        for record in records {
            if record.partition != current.partition || record.topic != current.topic {
                metrics.recordConsumed(topic: current.topic, partition: current.partition, records: count, bytes: bytes)
                current = TopicPartition(topic: record.topic, partition: record.partition)
                count = 0
                bytes = 0
            }
            count += 1
            bytes += (record.key?.count ?? 0) + (record.value?.count ?? 0)
        }
        metrics.recordConsumed(topic: current.topic, partition: current.partition, records: count, bytes: bytes)
    }

    func consumed(_ runs: [RenderedRun]) {
        guard let metrics else { return }
        for run in runs {
            metrics.recordConsumed(topic: run.topicPartition.topic, partition: run.topicPartition.partition,
                                   records: run.count, bytes: run.payloadBytes)
        }
    }

    func paused(_ partitions: [TopicPartition], paused isPaused: Bool) {
        let count = paused.withLock { set -> Int in
            if isPaused { set.formUnion(partitions) } else { set.subtract(partitions) }
            return set.count
        }
        logger.debug(isPaused ? "partitions paused" : "partitions resumed", metadata: ["partitions": "\(partitions.map(\.description))"])
        metrics?.setPausedPartitions(count)
    }

    func lag(_ lag: [KafkaTopicPartition: Int64]) {
        guard let metrics else { return }
        for (tp, value) in lag { metrics.setConsumerLag(topic: tp.topic, partition: tp.partition, lag: value) }
    }

    func committed(_ request: CommitRequest, error: KafkaError?, latency: Duration) {
        metrics?.recordCommit(outcome: error == nil ? .ok : .error, latency: latency)
        if let error {
            logger.debug("commit failed", metadata: meta(request.topicPartition, ["offset": "\(request.offset)", "error": "\(error)"]))
        }
    }

    func sinkState(bufferedBytes: Int, openSegments: Int) {
        metrics?.setBufferedBytes(bufferedBytes)
        metrics?.setOpenSegments(openSegments)
    }

    // MARK: OSS

    /// One finished append (after the client's own retries), with OSS's own classification.
    func appended(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration) {
        let tp = request.topicPartition
        let label: AppendMetricOutcome
        var attempts = 1
        switch outcome {
        case .appended(let result):
            label = .ok
            attempts = result.attempts
        case .landedEarlier(let result):
            label = .lostResponseResolved
            attempts = result.attempts
            logger.info("an append's response was lost but its bytes had landed; not sent again",
                        metadata: meta(tp, ["key": "\(request.key)", "position": "\(request.position)"]))
        case .fenced: label = .fenced
        case .notAppendable: label = .notAppendable
        case .integrityMismatch, .configurationError, .unresolved: label = .error
        }
        if let metrics {
            for _ in 1..<max(1, attempts) {
                metrics.recordAppend(topic: tp.topic, partition: tp.partition, outcome: .retried, bytes: 0, records: 0, latency: .zero)
            }
            metrics.recordAppend(topic: tp.topic, partition: tp.partition, outcome: label, bytes: request.payload.count,
                                 records: request.recordCount, latency: latency)
        }
        switch outcome {
        case .appended, .landedEarlier, .fenced, .notAppendable: health?.markOSSReachable()
        case .unresolved(let error, _): health?.markOSSUnreachable(reason: error.message)
        default: break
        }
        logger.trace("append", metadata: meta(tp, ["key": "\(request.key)", "position": "\(request.position)",
                                                   "bytes": "\(request.payload.count)", "outcome": "\(label.rawValue)"]))
    }

    private func meta(_ tp: TopicPartition, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["topic": "\(tp.topic)", "partition": .stringConvertible(tp.partition)]
        metadata.merge(extra) { $1 }
        return metadata
    }
}
