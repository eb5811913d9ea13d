internal import CRdKafka
import Foundation
import Logging
import Synchronization

// Operations on the handle. All run on the poll thread (through `submit` or from a delegate callback).

extension RDConsumerCore {
    var closedError: KafkaError {
        KafkaError(code: .closed, message: "the consumer is closed; create a new one")
    }

    /// Starts an asynchronous commit; `completion` runs on the poll thread with the result.
    func commitAsync(_ offsets: [KafkaCommitOffset], completion: @escaping (KafkaCommitResult) -> Void) {
        guard let rk, let queue else {
            completion(KafkaCommitResult(offsets: offsets, error: closedError, partitionErrors: [:]))
            return
        }
        if offsets.isEmpty {
            completion(KafkaCommitResult(offsets: [], error: nil, partitionErrors: [:]))
            return
        }
        let id = nextCommitID
        nextCommitID += 1
        commitCallbacks[id] = (offsets, completion)
        let list = RDTopicPartitionList(commits: offsets)
        let err = rd_kafka_commit_queue(rk, list.pointer, queue, rdCommitCallback, UnsafeMutableRawPointer(bitPattern: id))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let (requested, completion) = commitCallbacks.removeValue(forKey: id) {
            completion(Self.commitResult(requested, err, nil))
        }
    }

    /// Commits and waits for the result (serving only a private queue, so it is safe inside a
    /// rebalance callback).
    func commitSync(_ offsets: [KafkaCommitOffset], timeout: Duration) -> KafkaCommitResult {
        guard let rk else { return KafkaCommitResult(offsets: offsets, error: closedError, partitionErrors: [:]) }
        if offsets.isEmpty { return KafkaCommitResult(offsets: [], error: nil, partitionErrors: [:]) }
        let id = nextCommitID
        nextCommitID += 1
        var result: KafkaCommitResult?
        commitCallbacks[id] = (offsets, { result = $0 })
        let temporary = rd_kafka_queue_new(rk)!
        defer { rd_kafka_queue_destroy(temporary) }
        let list = RDTopicPartitionList(commits: offsets)
        let err = rd_kafka_commit_queue(rk, list.pointer, temporary, rdCommitCallback, UnsafeMutableRawPointer(bitPattern: id))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            commitCallbacks[id] = nil
            return Self.commitResult(offsets, err, nil)
        }
        let deadline = ContinuousClock.now + timeout
        while result == nil {
            let left = deadline - ContinuousClock.now
            if left <= .zero { break }
            _ = rd_kafka_queue_poll_callback(temporary, Int32(clamping: max(1, min(100, KafkaConsumerConfiguration.milliseconds(left)))))
        }
        commitCallbacks[id] = nil
        return result ?? KafkaCommitResult(
            offsets: offsets,
            error: KafkaError(code: .timedOut, message: "commit of \(offsets.count) offset(s) got no answer within \(timeout)"),
            partitionErrors: [:]
        )
    }

    func committed(_ partitions: [KafkaTopicPartition], timeout: Duration) -> Result<[KafkaCommittedOffset], KafkaError> {
        guard let rk else { return .failure(closedError) }
        if partitions.isEmpty { return .success([]) }
        let list = RDTopicPartitionList(partitions)
        let err = rd_kafka_committed(rk, list.pointer, Int32(clamping: KafkaConsumerConfiguration.milliseconds(timeout)))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return .failure(KafkaError(code: .committedFailed, err, "reading committed offsets of \(partitions.count) partition(s) failed"))
        }
        var result: [KafkaCommittedOffset] = []
        for element in list.elements {
            let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            if element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                return .failure(KafkaError(code: .committedFailed, element.err, "reading the committed offset of \(tp) failed", topicPartition: tp))
            }
            result.append(KafkaCommittedOffset(
                topicPartition: tp,
                offset: element.offset >= 0 ? element.offset : nil,
                metadata: RDTopicPartitionList.metadata(of: element)
            ))
        }
        return .success(result)
    }

    /// The partition's high watermark as librdkafka last saw it in a fetch response (no broker round trip);
    /// nil before any fetch answered for it.
    func cachedHighWatermark(_ partition: KafkaTopicPartition) -> Int64? {
        guard let rk else { return nil }
        var low: Int64 = -1
        var high: Int64 = -1
        let err = rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    func pauseOrResume(_ partitions: [KafkaTopicPartition], pause: Bool) -> KafkaError? {
        guard let rk else { return closedError }
        var partitions = partitions
        if let (list, pauses) = assigning {
            // Inside an `.assigned` handler: partitions being assigned are paused right after the assign.
            let incoming = Set(RDTopicPartitionList.topicPartitions(list))
            let deferred = partitions.filter { incoming.contains($0) }
            assigning = (list, pause ? pauses + deferred : pauses.filter { !deferred.contains($0) })
            partitions.removeAll { incoming.contains($0) }
        }
        if partitions.isEmpty { return nil }
        let list = RDTopicPartitionList(partitions)
        let err = pause ? rd_kafka_pause_partitions(rk, list.pointer) : rd_kafka_resume_partitions(rk, list.pointer)
        let verb = pause ? "pausing" : "resuming"
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            return KafkaError(code: .partitionOperationFailed, err, "\(verb) \(partitions.count) partition(s) failed")
        }
        // librdkafka 2.0.2 serves a resume on the broker thread but does not fetch until that thread wakes up
        // for something else, up to a second later: wake it (see RDFetchWaker).
        if !pause { fetchWaker?.request() }
        for element in list.elements where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            return KafkaError(code: .partitionOperationFailed, element.err, "\(verb) \(tp) failed", topicPartition: tp)
        }
        return nil
    }

    func seek(_ positions: [KafkaTopicPartition: KafkaSeekPosition], timeout: Duration) -> KafkaError? {
        guard let rk else { return closedError }
        var positions = positions
        if let list = assigning?.list {
            // Inside an `.assigned` handler: a seek sets the starting offset in the list being assigned.
            for index in RDTopicPartitionList.elements(list).indices {
                let element = RDTopicPartitionList.elements(list)[index]
                let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
                if let position = positions.removeValue(forKey: tp) {
                    RDTopicPartitionList.elements(list)[index].offset = Self.rawOffset(position)
                }
            }
        }
        if positions.isEmpty { return nil }
        let list = RDTopicPartitionList(capacity: positions.count)
        for (tp, position) in positions.sorted(by: { $0.key < $1.key }) {
            list.add(tp.topic, tp.partition, offset: Self.rawOffset(position))
        }
        // Drop not-yet-delivered records: after a seek nothing from before it may reach the sink.
        discardPending(for: Set(positions.keys))
        if let error = rd_kafka_seek_partitions(rk, list.pointer, Int32(clamping: max(1, KafkaConsumerConfiguration.milliseconds(timeout)))) {
            return KafkaError(code: .partitionOperationFailed, consuming: error, "seek failed")
        }
        fetchWaker?.request()
        for element in list.elements where element.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let tp = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            return KafkaError(code: .partitionOperationFailed, element.err, "seek of \(tp) failed", topicPartition: tp)
        }
        return nil
    }

    static func rawOffset(_ position: KafkaSeekPosition) -> Int64 {
        switch position {
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .offset(let value): value
        }
    }

    func discardPending(for partitions: Set<KafkaTopicPartition>) {
        guard !pending.isEmpty else { return }
        var kept: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        var bytes = 0
        for m in pending {
            let tp = KafkaTopicPartition(topic: String(cString: rd_kafka_topic_name(m.pointee.rkt)), partition: m.pointee.partition)
            if partitions.contains(tp) {
                rd_kafka_message_destroy(m)
            } else {
                kept.append(m)
                bytes += m.pointee.len + m.pointee.key_len
            }
        }
        pending = kept
        pendingBytes = bytes
    }

    /// True when `partition.assignment.strategy` includes librdkafka's cooperative-sticky assignor.
    var usesStickyAssignor: Bool {
        let strategy = configuration.properties["partition.assignment.strategy"] ?? configuration.rebalanceProtocol.rawValue
        return strategy.contains("cooperative-sticky")
    }

    /// Final commit, leave the group (revoke handler runs), destroy. Returns the first error.
    func closeHandle(finalCommit: [KafkaCommitOffset], deadline: Duration) -> KafkaError? {
        guard let rk, let queue else { return closedError }
        let end = ContinuousClock.now + deadline
        var firstError: KafkaError?
        fetchWaker?.stop()
        fetchWaker = nil
        deliverPending()

        if !finalCommit.isEmpty {
            let result = commitSync(finalCommit, timeout: max(.milliseconds(1), end - ContinuousClock.now))
            if let error = result.firstError {
                logger.error("final commit failed: \(error)")
                firstError = error
            }
        }

        // librdkafka 2.0.2 aborts in rd_kafka_destroy (rd_kafka_sticky_assignor_state_destroy:
        // `assignor_state` assertion) when a cooperative-sticky member joined the group but never
        // received its first assignment. Let an in-progress join finish first (bounded by the deadline).
        let joinedWithoutAssignment = { [self] () -> Bool in
            guard !everAssigned, usesStickyAssignor, let id = rd_kafka_memberid(rk) else { return false }
            defer { rd_kafka_mem_free(rk, id) }
            return id.pointee != 0
        }
        while joinedWithoutAssignment(), end - ContinuousClock.now > .zero {
            let left = end - ContinuousClock.now
            if let m = rd_kafka_consumer_poll(rk, Int32(clamping: max(1, min(100, KafkaConsumerConfiguration.milliseconds(left))))) {
                rd_kafka_message_destroy(m)  // closing: nothing more is delivered
            }
        }
        deliverPending()
        let unsafeToDestroy = joinedWithoutAssignment()

        // Leave the group; rebalance callbacks (revoke) are served from our own queue on this thread. The consumer
        // queue is forwarded to it, so records fetched after the last poll (and consumer errors) arrive there too:
        // it is served the way librdkafka's own rd_kafka_consumer_close serves it, returning what is not a callback
        // (rd_kafka_consume_queue) and dropping it. rd_kafka_queue_poll_callback would abort the process on such an
        // op (rd_kafka_q_serve asserts that every op is handled by a callback).
        let closeQueue = rd_kafka_queue_new(rk)!
        var closedCleanly = false
        if let error = rd_kafka_consumer_close_queue(rk, closeQueue) {
            let kafkaError = KafkaError(code: .consumer, consuming: error, "leaving the consumer group failed")
            logger.error("\(kafkaError)")
            firstError = firstError ?? kafkaError
        } else {
            while rd_kafka_consumer_closed(rk) == 0 {
                let left = end - ContinuousClock.now
                if left <= .zero { break }
                if let m = rd_kafka_consume_queue(closeQueue, Int32(clamping: max(1, min(100, KafkaConsumerConfiguration.milliseconds(left))))) {
                    rd_kafka_message_destroy(m)  // closing: nothing more is delivered
                }
            }
            closedCleanly = rd_kafka_consumer_closed(rk) != 0
            if !closedCleanly {
                let error = KafkaError(code: .timedOut, message: "leaving the consumer group did not finish within \(deadline); destroying the handle anyway")
                logger.warning("\(error)")
                firstError = firstError ?? error
            }
        }
        rd_kafka_queue_destroy(closeQueue)
        for (requested, completion) in commitCallbacks.values {
            completion(KafkaCommitResult(offsets: requested, error: closedError, partitionErrors: [:]))
        }
        commitCallbacks.removeAll()
        for m in pending { rd_kafka_message_destroy(m) }
        pending.removeAll()

        shared.withLock { state in
            state.queueDestroyed = true
            rd_kafka_queue_destroy(queue)
        }
        self.queue = nil
        if unsafeToDestroy {
            // Leaking the handle beats aborting the process; this only happens when the deadline
            // passed in the middle of the first group join.
            logger.warning("the consumer joined the group but got no assignment before the close deadline; its librdkafka handle is not destroyed (librdkafka 2.0.2 would abort)")
        } else if closedCleanly {
            rd_kafka_destroy(rk)
        } else {
            rd_kafka_destroy_flags(rk, Int32(RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE))
        }
        self.rk = nil
        assignmentSet.removeAll()
        publishAssignment()
        logger.info("consumer closed", metadata: ["group": "\(configuration.groupID)"])
        return firstError
    }
}
