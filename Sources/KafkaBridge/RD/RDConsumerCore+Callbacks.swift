internal import CRdKafka
import Foundation
import Logging
import Synchronization

// C callbacks. librdkafka calls them from the poll thread (they are served by rd_kafka_consumer_poll
// on the consumer queue, to which the main queue is forwarded), except the log callback.

func rdConsumerCore(_ rk: OpaquePointer?) -> RDConsumerCore? {
    RDHandleOwner.owner(of: rk) as? RDConsumerCore
}

func rdRebalanceCallback(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
    _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let core = rdConsumerCore(rk) else { return }
    core.handleRebalance(err, partitions)
}

func rdErrorCallback(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let core = rdConsumerCore(rk) else { return }
    core.handleError(rd_kafka_resp_err_t(err), reason.map { String(cString: $0) } ?? "")
}

func rdStatsCallback(_ rk: OpaquePointer?, _ json: UnsafeMutablePointer<CChar>?, _ length: Int, _ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let core = rdConsumerCore(rk), let json else { return 0 }
    let data = Data(bytes: json, count: length)
    core.handleStatistics(data)
    return 0  // librdkafka frees the JSON
}

func rdCommitCallback(
    _ rk: OpaquePointer?, _ err: rd_kafka_resp_err_t,
    _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, _ commitOpaque: UnsafeMutableRawPointer?
) {
    guard let core = rdConsumerCore(rk) else { return }
    core.handleCommitResult(id: Int(bitPattern: commitOpaque), err, offsets)
}

extension RDConsumerCore {
    var rebalanceIsCooperative: Bool {
        guard let rk, let name = rd_kafka_rebalance_protocol(rk) else { return false }
        return String(cString: name) == "COOPERATIVE"
    }

    func handleRebalance(_ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        guard let rk else { return }
        // Records fetched before the rebalance reach the sink before the rebalance does.
        deliverPending()
        let topicPartitions = RDTopicPartitionList.topicPartitions(partitions)
        let cooperative = rebalanceIsCooperative
        let control = KafkaConsumerControl(core: self)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            everAssigned = true
            // The application logs the assignment (SinkService's "partitions assigned"); this is the detail.
            logger.debug("librdkafka assignment", metadata: ["partitions": "\(topicPartitions)", "protocol": "\(cooperative ? "cooperative" : "eager")"])
            assignmentSet.formUnion(topicPartitions)
            publishAssignment()
            // The handler runs before the assign call: seeks become the starting offsets in the
            // list, pauses are applied right after the assign.
            assigning = (partitions, [])
            if !topicPartitions.isEmpty { delegate.consumer(control, didRebalance: .assigned(topicPartitions)) }
            let deferredPauses = assigning?.pauses ?? []
            assigning = nil
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    report(KafkaError(code: .partitionOperationFailed, consuming: error, "incremental assign failed"))
                }
            } else {
                let err = rd_kafka_assign(rk, partitions)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { report(KafkaError(code: .partitionOperationFailed, err, "assign failed")) }
            }
            if !deferredPauses.isEmpty, let error = pauseOrResume(deferredPauses, pause: true) { report(error) }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.debug(lost ? "librdkafka assignment lost" : "librdkafka revocation", metadata: ["partitions": "\(topicPartitions)"])
            if !topicPartitions.isEmpty {
                delegate.consumer(control, didRebalance: lost ? .lost(topicPartitions) : .revoked(topicPartitions))
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) {
                    report(KafkaError(code: .partitionOperationFailed, consuming: error, "incremental unassign failed"))
                }
                assignmentSet.subtract(topicPartitions)
            } else {
                let err = rd_kafka_assign(rk, nil)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { report(KafkaError(code: .partitionOperationFailed, err, "unassign failed")) }
                assignmentSet.removeAll()
            }
            publishAssignment()
        default:
            report(KafkaError(code: .consumer, err, "rebalance failed"))
            _ = rd_kafka_assign(rk, nil)
            let dropped = assignmentSet.sorted()
            assignmentSet.removeAll()
            publishAssignment()
            if !dropped.isEmpty { delegate.consumer(control, didRebalance: .lost(dropped)) }
        }
    }

    func handleError(_ err: rd_kafka_resp_err_t, _ reason: String) {
        guard let rk else { return }
        if err == RD_KAFKA_RESP_ERR__FATAL {
            // Reported once, whether it arrives through the error callback or a consumed message.
            guard fatalError == nil else { return }
            var buffer = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var error = KafkaError(code: .fatal, original, "fatal consumer error, the consumer must be recreated: \(text)")
            error.isFatal = true
            fatalError = error
            shared.withLock { $0.fatalError = error }
            logger.critical("\(error)")
            delegate.consumer(KafkaConsumerControl(core: self), didReceiveError: error)
            return
        }
        let error = KafkaError(code: .consumer, err, reason)
        // Transport and broker-down errors are retried by librdkafka on its own. This is their one log line:
        // librdkafka's own log line for the same broker failure (facility FAIL) is logged at debug.
        logger.warning("\(error)")
        delegate.consumer(KafkaConsumerControl(core: self), didReceiveError: error)
    }

    func report(_ error: KafkaError) {
        logger.error("\(error)")
        delegate.consumer(KafkaConsumerControl(core: self), didReceiveError: error)
    }

    func handleStatistics(_ data: Data) {
        let lag = KafkaStatistics.consumerLag(fromStatisticsJSON: data)
            .filter { assignmentSet.contains($0.key) }
        shared.withLock { $0.lag = lag }
        let control = KafkaConsumerControl(core: self)
        delegate.consumer(control, didUpdateLag: lag)
        if let status = KafkaStatistics.status(fromStatisticsJSON: data) {
            delegate.consumer(control, didUpdateStatus: status)
        }
    }

    func handleCommitResult(id: Int, _ err: rd_kafka_resp_err_t, _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        guard let (requested, completion) = commitCallbacks.removeValue(forKey: id) else { return }
        completion(Self.commitResult(requested, err, offsets))
    }

    static func commitResult(
        _ requested: [KafkaCommitOffset], _ err: rd_kafka_resp_err_t, _ offsets: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
    ) -> KafkaCommitResult {
        var partitionErrors: [KafkaTopicPartition: KafkaError] = [:]
        if let offsets {
            for element in RDTopicPartitionList.elements(offsets) where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                partitionErrors[tp] = KafkaError(
                    code: .commitFailed, element.err, "commit of offset \(element.offset) for \(tp) failed", topicPartition: tp)
            }
        }
        var error: KafkaError?
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            error = KafkaError(code: .commitFailed, err, "commit of \(requested.count) offset(s) failed")
        }
        return KafkaCommitResult(offsets: requested, error: error, partitionErrors: partitionErrors)
    }
}
