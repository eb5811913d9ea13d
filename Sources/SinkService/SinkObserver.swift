import KafkaBridge
import Logging
import OSSClient
import SinkCore
import Synchronization

/// Where the shell reports what happened: one log line per meaningful event, and the same events to the
/// ``SinkReporter`` (metrics, readiness).
///
/// Thread-safe: called from the driver task, request tasks and the poll thread.
final class SinkObserver: Sendable {
    let logger: Logger
    let reporter: any SinkReporter
    private let paused = Mutex<Set<TopicPartition>>([])
    private let assigned = Mutex<Set<TopicPartition>>([])
    /// "OSS request failed; retrying" lines: at most ``retryLinesPerWindow`` per ``retryLineWindow`` (each partition
    /// retries on its own, so an OSS error that hits every partition would log once per partition).
    private let retryLines = Mutex(LogBudget(linesPerWindow: SinkObserver.retryLinesPerWindow, window: SinkObserver.retryLineWindow))
    static let retryLinesPerWindow = 20
    static let retryLineWindow = Duration.seconds(10)

    init(logger: Logger, reporter: any SinkReporter = SilentSinkReporter()) {
        self.logger = logger
        self.reporter = reporter
    }

    // MARK: SinkCore notices and health

    func notice(_ notice: SinkNotice) {
        switch notice {
        case .segmentOpened(let tp, let key, let firstOffset):
            logger.info("new segment: its first append creates the object", metadata: meta(tp, ["key": "\(key)", "offset": "\(firstOffset)"]))
        case .rolledOver(let tp, let fromKey, let reason):
            logger.info("segment rolled over", metadata: meta(tp, ["key": "\(fromKey)", "reason": "\(reason.rawValue)"]))
        case .recovered(let tp, let outcome, let key):
            let level: Logger.Level = switch outcome {
            case .clean, .tailProven, .noCommit: .info
            default: .warning
            }
            logger.log(level: level, "partition recovered", metadata: meta(tp, ["outcome": "\(outcome.rawValue)", "key": "\(key ?? "-")"]))
        case .integrityError(let tp, let key, let expectedPosition, let actualPosition, let expectedCRC, let actualCRC):
            logger.error("append integrity error: OSS reported a different length or CRC-64; rolling over to a new object",
                         metadata: meta(tp, ["key": "\(key)", "expected_position": "\(expectedPosition)",
                                             "actual_position": "\(actualPosition)", "expected_crc64": "\(expectedCRC)",
                                             "actual_crc64": "\(actualCRC.map(String.init) ?? "-")"]))
        case .fenced(let tp, let key, let committedOffset):
            logger.warning("another writer appended to this partition's object; re-running recovery from the committed offset",
                           metadata: meta(tp, ["key": "\(key)", "offset": "\(committedOffset)"]))
        case .keyTaken(let tp, let key, let suffix):
            logger.warning("segment key already holds an object this sink did not write; using a suffix",
                           metadata: meta(tp, ["key": "\(key)", "suffix": "\(suffix)"]))
        case .retryScheduled(let tp, let attempt, let delay, let reason):
            let metadata = meta(tp, ["attempt": "\(attempt)", "delay": "\(delay)", "reason": "\(reason)"])
            switch retryLines.withLock({ $0.admit(at: .now) }) {
            case .log(let leftOutBefore):
                if leftOutBefore > 0 {
                    logger.warning("more OSS requests failed and are retried than are logged",
                                   metadata: ["not_logged": "\(leftOutBefore)", "window": "\(SinkObserver.retryLineWindow)"])
                }
                logger.warning("OSS request failed; retrying", metadata: metadata)
            case .leaveOut:
                logger.debug("OSS request failed; retrying", metadata: metadata)
            }
        case .recordsExpiredBeforeArchive(let tp, let expected, let first):
            logger.error("records expired in Kafka before they were archived (retention shorter than the outage)",
                         metadata: meta(tp, ["expected_offset": "\(expected)", "first_offset": "\(first)"]))
        case .recordsIgnored(let tp, let count, let reason):
            logger.debug("records ignored", metadata: meta(tp, ["count": "\(count)", "reason": "\(reason)"]))
        case .rotationStarted(let filling, let waiting, let held):
            logger.info("memory is short with many partitions: partitions take turns fetching",
                        metadata: ["filling": "\(filling)", "waiting": "\(waiting)", "held_bytes": "\(held)"])
        case .rotationEnded:
            logger.info("backlog drained: every partition fetches again")
        case .commitFailed(let tp, let offset, let reason):
            logger.warning("offset commit failed; it is retried", metadata: meta(tp, ["offset": "\(offset)", "reason": "\(reason)"]))
        case .leftUnflushedAtShutdown(let tp, let reason):
            logger.warning("stopping without flushing: OSS refuses the sink's requests; the uncommitted records will be consumed again by the next owner",
                           metadata: meta(tp, ["reason": "\(reason)"]))
        case .segmentFinished(let tp, let segment, let outcome, let reason):
            var fields: Logger.Metadata = [
                "key": "\(segment.key)", "outcome": "\(outcome.rawValue)", "length": "\(segment.length)",
                "first_offset": "\(segment.firstOffset.map(String.init) ?? "-")", "last_offset": "\(segment.lastOffset)",
                "records": "\(segment.recordCount.map(String.init) ?? "-")",
            ]
            if let reason { fields["reason"] = "\(reason)" }
            switch outcome {
            case .sealed, .tagged: logger.info("segment finished", metadata: meta(tp, fields))
            case .refused: logger.error("finished segment changed after its last commit; it is not sealed or tagged", metadata: meta(tp, fields))
            case .missing: logger.warning("finished segment is gone; it is not sealed or tagged", metadata: meta(tp, fields))
            }
        case .sealNotEnabled(let tp, let key, let reason):
            logger.warning("configuration: OSS does not allow SealAppendObject for this account or bucket; sealing is off until restart, finished segments are tagged only (ask Alibaba Cloud to enable it, or set rollover.seal: false under sink: and in every kafka.topics entry that sets it)",
                           metadata: meta(tp, ["key": "\(key)", "reason": "\(reason)"]))
            reporter.sealingEnabled(false)
        case .finishingNotCommitted(let tp, let keys):
            logger.warning("finished segments not yet sealed or tagged do not fit into the commit metadata; if this process stops before they are done, nothing finishes them",
                           metadata: meta(tp, ["keys": "\(keys)"]))
        }
        reporter.notice(notice)
    }

    func health(_ state: SinkHealth) {
        switch state {
        case .healthy:
            logger.info("OSS accepts the sink's requests again")
            reporter.configurationErrorCleared()
        case .unaffected:
            logger.info("the partitions whose requests OSS refused were released; no assigned partition waits on OSS")
            reporter.configurationErrorCleared()
        case .unhealthy(let reason):
            logger.error("OSS rejects the sink's requests; consumption is paused and nothing is committed", metadata: ["reason": "\(reason)"])
            reporter.configurationError(reason)
        }
    }

    // MARK: Kafka

    func assigned(_ partitions: [TopicPartition]) {
        let count = assigned.withLock { set -> Int in
            set.formUnion(partitions)
            return set.count
        }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted().map(\.description))"])
        reporter.partitionsAssigned(partitions, total: count)
    }

    func unassigned(_ partitions: [TopicPartition], lost: Bool) {
        let count = assigned.withLock { set -> Int in
            set.subtract(partitions)
            return set.count
        }
        logger.log(level: lost ? .warning : .info, lost ? "partitions lost" : "partitions revoked",
                   metadata: ["partitions": "\(partitions.sorted().map(\.description))"])
        reporter.partitionsUnassigned(partitions, total: count, lost: lost)
    }

    func consumed(_ records: [SinkRecord]) {
        var counts: [TopicPartition: (records: Int, bytes: Int)] = [:]
        for record in records {
            counts[TopicPartition(topic: record.topic, partition: record.partition), default: (0, 0)].records += 1
            counts[TopicPartition(topic: record.topic, partition: record.partition), default: (0, 0)].bytes +=
                (record.key?.count ?? 0) + (record.value?.count ?? 0)
        }
        for (tp, count) in counts { reporter.recordsConsumed(tp, records: count.records, bytes: count.bytes) }
    }

    func consumed(_ runs: [RenderedRun]) {
        for run in runs {
            reporter.recordsConsumed(run.topicPartition, records: run.count, bytes: run.payloadBytes)
        }
    }

    func paused(_ partitions: [TopicPartition], paused isPaused: Bool) {
        let count = paused.withLock { set -> Int in
            if isPaused { set.formUnion(partitions) } else { set.subtract(partitions) }
            return set.count
        }
        logger.debug(isPaused ? "partitions paused" : "partitions resumed", metadata: ["partitions": "\(partitions.map(\.description))"])
        reporter.pausedPartitions(count)
    }

    /// A non-fatal librdkafka error (already logged by KafkaBridge): "all brokers down" makes the sink wait.
    func kafkaError(_ error: KafkaError) {
        if error.isAllBrokersDown { reporter.kafkaBrokersDown(reason: error.message) }
    }

    /// librdkafka's statistics: brokers up, and what the group membership waits for.
    func kafkaStatus(_ status: KafkaConsumerStatus) {
        if status.brokersUp > 0 {
            reporter.kafkaBrokersUp()
        } else if status.brokersKnown > 0 {
            reporter.kafkaBrokersDown(reason: "none of the \(status.brokersKnown) known brokers is connected")
        }
        reporter.groupWaiting(status.groupWait)
    }

    func lag(_ lag: [KafkaTopicPartition: Int64]) {
        reporter.consumerLag(Dictionary(lag.map { (TopicPartition($0.key), $0.value) }) { first, _ in first })
    }

    func committed(_ request: CommitRequest, error: KafkaError?, latency: Duration) {
        reporter.commitFinished(request, succeeded: error == nil, latency: latency)
        if let error {
            logger.debug("commit failed", metadata: meta(request.topicPartition, ["offset": "\(request.offset)", "error": "\(error)"]))
        }
    }

    func sinkState(bufferedBytes: Int, openSegments: Int, finishingSegments: Int) {
        reporter.sinkState(bufferedBytes: bufferedBytes, openSegments: openSegments)
        reporter.finishingSegments(finishingSegments)
    }

    /// One SealAppendObject finished (after the client's own retries).
    func sealed(_ request: SealRequest, outcome: SealOutcome, latency: Duration) {
        logger.debug("seal", metadata: meta(request.topicPartition, ["key": "\(request.key)", "position": "\(request.position)",
                                                                     "outcome": "\(outcome)"]))
    }

    // MARK: OSS

    /// One finished append (after the client's own retries), with OSS's own classification.
    func appended(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration) {
        let tp = request.topicPartition
        if case .landedEarlier = outcome {
            logger.info("an append's response was lost but its bytes had landed; not sent again",
                        metadata: meta(tp, ["key": "\(request.key)", "position": "\(request.position)"]))
        }
        reporter.appendFinished(request, outcome: outcome, latency: latency)
        logger.trace("append", metadata: meta(tp, ["key": "\(request.key)", "position": "\(request.position)",
                                                   "bytes": "\(request.payload.count)", "outcome": "\(outcome.label)"]))
    }

    private func meta(_ tp: TopicPartition, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["topic": "\(tp.topic)", "partition": .stringConvertible(tp.partition)]
        metadata.merge(extra) { $1 }
        return metadata
    }
}
