public import Foundation
public import HealthServer
public import Observability
public import OSSClient
public import SinkCore
public import SinkService

/// The service's reports mapped onto the sink's metrics (Observability) and the probes' state (HealthServer).
///
/// Label values come from the reporting modules' own vocabulary: rollover reasons and recovery outcomes are
/// SinkCore's raw values, append outcomes follow OSSClient's classification.
public struct SinkMetricsReporter: SinkReporter {
    public let metrics: SinkMetrics?
    public let health: HealthState?

    public init(metrics: SinkMetrics?, health: HealthState?) {
        self.metrics = metrics
        self.health = health
    }

    public func partitionsAssigned(_ partitions: [TopicPartition], total: Int) {
        health?.markGroupJoined(assignedPartitions: total)
        metrics?.setAssignedPartitions(total)
    }

    public func partitionsUnassigned(_ partitions: [TopicPartition], total: Int, lost: Bool) {
        health?.setAssignedPartitions(total)
        metrics?.setAssignedPartitions(total)
        for tp in partitions { metrics?.forgetPartition(topic: tp.topic, partition: tp.partition) }
    }

    public func pausedPartitions(_ count: Int) {
        metrics?.setPausedPartitions(count)
    }

    public func consumerLag(_ lag: [TopicPartition: Int64]) {
        guard let metrics else { return }
        for (tp, value) in lag { metrics.setConsumerLag(topic: tp.topic, partition: tp.partition, lag: value) }
    }

    public func recordsConsumed(_ partition: TopicPartition, records: Int, bytes: Int) {
        metrics?.recordConsumed(topic: partition.topic, partition: partition.partition, records: records, bytes: bytes)
    }

    public func commitFinished(_ request: CommitRequest, succeeded: Bool, latency: Duration) {
        metrics?.recordCommit(outcome: succeeded ? .ok : .error, latency: latency)
    }

    public func appendFinished(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration) {
        let tp = request.topicPartition
        if let metrics {
            let label: AppendMetricOutcome
            var attempts = 1
            switch outcome {
            case .appended(let result):
                label = .ok
                attempts = result.attempts
            case .landedEarlier(let result):
                label = .lostResponseResolved
                attempts = result.attempts
            case .fenced: label = .fenced
            case .notAppendable: label = .notAppendable
            case .sealed: label = .sealed
            case .integrityMismatch, .configurationError, .unresolved: label = .error
            }
            for _ in 1..<max(1, attempts) {
                metrics.recordAppend(topic: tp.topic, partition: tp.partition, outcome: .retried, bytes: 0, records: 0, latency: .zero)
            }
            metrics.recordAppend(topic: tp.topic, partition: tp.partition, outcome: label, bytes: request.payload.count,
                                 records: request.recordCount, latency: latency)
        }
        switch outcome {
        case .appended, .landedEarlier, .fenced, .notAppendable, .sealed: health?.markOSSReachable()
        case .unresolved(let error, _): health?.markOSSUnreachable(reason: error.message)
        case .integrityMismatch, .configurationError: break
        }
    }

    public func notice(_ notice: SinkNotice) {
        guard let metrics else { return }
        switch notice {
        case .rolledOver(let tp, _, let reason):
            metrics.recordRollover(topic: tp.topic, partition: tp.partition, reason: reason.rawValue)
        case .recovered(let tp, let outcome, _):
            metrics.recordRecovery(topic: tp.topic, partition: tp.partition, outcome: outcome.rawValue)
        case .integrityError(let tp, _, _, _, _, _):
            metrics.recordIntegrityError(topic: tp.topic, partition: tp.partition)
        case .recordsExpiredBeforeArchive(let tp, _, _):
            metrics.recordRecordsExpiredBeforeArchive(topic: tp.topic, partition: tp.partition)
        case .segmentFinished(let tp, _, let outcome, _):
            metrics.recordSegmentFinished(topic: tp.topic, partition: tp.partition, outcome: outcome.rawValue)
        case .segmentOpened, .fenced, .keyTaken, .retryScheduled, .recordsIgnored, .commitFailed, .rotationStarted, .rotationEnded,
             .leftUnflushedAtShutdown, .sealNotEnabled, .finishingNotCommitted:
            break
        }
    }

    public func finishingSegments(_ count: Int) {
        metrics?.setFinishingSegments(count)
    }

    public func sealingEnabled(_ enabled: Bool) {
        metrics?.setSealingEnabled(enabled)
    }

    public func sinkState(bufferedBytes: Int, openSegments: Int) {
        metrics?.setBufferedBytes(bufferedBytes)
        metrics?.setOpenSegments(openSegments)
    }

    public func kafkaBrokersDown(reason: String) { health?.markKafkaBrokersDown(reason: reason) }
    public func kafkaBrokersUp() { health?.markKafkaBrokersUp() }
    public func groupWaiting(_ detail: String?) { health?.setGroupWait(detail) }

    public func archiveFreshness(_ ages: [TopicPartition: Duration]) {
        guard let metrics else { return }
        for (tp, age) in ages { metrics.setArchiveFreshness(topic: tp.topic, partition: tp.partition, age: age) }
    }

    public func ossReachable() { health?.markOSSReachable() }
    public func ossUnreachable(reason: String) { health?.markOSSUnreachable(reason: reason) }
    public func configurationError(_ reason: String) { health?.reportConfigError(reason) }
    public func configurationErrorCleared() { health?.clearConfigError() }
    public func shuttingDown() { health?.markShuttingDown() }
    public func failed(reason: String) { health?.markFatal(reason: reason) }
}

extension HealthState {
    /// A state whose reasons pass through `redactor` and whose changes set `metrics`' readiness gauges.
    public convenience init(metrics: SinkMetrics?, redactor: LogRedactor?, now: @escaping @Sendable () -> Date = { Date() }) {
        var redact: (@Sendable (String) -> String)?
        if let redactor { redact = { text in redactor.redact(text) } }
        var onChange: ChangeHandler?
        if let metrics { onChange = { ready, configError in metrics.setHealth(ready: ready, configError: configError) } }
        self.init(redact: redact, onChange: onChange, now: now)
    }
}
