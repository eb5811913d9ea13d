import KafkaBridge
import Logging
import SinkCore

/// Where the driver reports what happened: one log line per meaningful event, and metrics.
///
/// Thread-safe: called from the driver task and from request tasks.
final class SinkObserver: Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func notice(_ notice: SinkNotice) {
        switch notice {
        case .segmentOpened(let tp, let key, let firstOffset):
            logger.info("segment opened", metadata: meta(tp, ["key": "\(key)", "offset": "\(firstOffset)"]))
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
            logger.warning("OSS request failed; retrying", metadata: meta(tp, ["attempt": "\(attempt)", "delay": "\(delay)", "reason": "\(reason)"]))
        case .recordsExpiredBeforeArchive(let tp, let expected, let first):
            logger.error("records expired in Kafka before they were archived (retention shorter than the outage)",
                         metadata: meta(tp, ["expected_offset": "\(expected)", "first_offset": "\(first)"]))
        case .recordsIgnored(let tp, let count, let reason):
            logger.debug("records ignored", metadata: meta(tp, ["count": "\(count)", "reason": "\(reason)"]))
        case .commitFailed(let tp, let offset, let reason):
            logger.warning("offset commit failed; it is retried", metadata: meta(tp, ["offset": "\(offset)", "reason": "\(reason)"]))
        }
    }

    func health(_ health: SinkHealth) {
        switch health {
        case .healthy:
            logger.info("OSS is answering normally again")
        case .unhealthy(let reason):
            logger.error("OSS rejects the sink's requests; consumption is paused and nothing is committed", metadata: ["reason": "\(reason)"])
        }
    }

    func paused(_ partitions: [TopicPartition], paused: Bool) {
        logger.debug(paused ? "partitions paused" : "partitions resumed", metadata: ["partitions": "\(partitions.map(\.description))"])
    }

    func appended(_ request: AppendRequest, outcome: AppendOutcome, latency: Duration) {
        logger.trace("append", metadata: meta(request.topicPartition, ["key": "\(request.key)", "position": "\(request.position)",
                                                                       "bytes": "\(request.bytes.count)", "outcome": "\(outcome)"]))
    }

    func committed(_ request: CommitRequest, error: KafkaError?, latency: Duration) {
        if let error {
            logger.debug("commit failed", metadata: meta(request.topicPartition, ["offset": "\(request.offset)", "error": "\(error)"]))
        }
    }

    func lag(_ lag: [KafkaTopicPartition: Int64]) {}

    private func meta(_ tp: TopicPartition, _ extra: Logger.Metadata) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["topic": "\(tp.topic)", "partition": "\(tp.partition)"]
        metadata.merge(extra) { $1 }
        return metadata
    }
}
