import Foundation
import KafkaBridge
import Logging
import SinkCore

/// Receives librdkafka's records and rebalances on the poll thread and turns them into `SinkEvent`s
/// for the driver, in the order they happened.
///
/// Assignments carry the group's committed offsets and metadata, read on the poll thread before any
/// record of the partition is delivered. Revokes and losses block the poll thread (through
/// `RebalanceGate`) until the sink has released the partitions, so a revoked partition is committed
/// before another member can own it.
final class ConsumerBridge: KafkaConsumerDelegate, @unchecked Sendable {
    let gate = RebalanceGate()
    private let budget: HandoverBudget
    private let emit: @Sendable (SinkEvent) -> Void
    private let emitRendered: @Sendable ([RenderedRun], _ bytes: Int) -> Void
    private let settings: SinkSettings
    /// Each topic's renderer and settings, resolved on first use. Poll thread only.
    private var topics: [String: (renderer: RecordRenderer, settings: TopicSettings)] = [:]
    private let logger: Logger
    private let revokeTimeout: Duration
    private let onLag: @Sendable ([KafkaTopicPartition: Int64]) -> Void
    private let onFatal: @Sendable (KafkaError) -> Void
    private let onError: @Sendable (KafkaError) -> Void
    private let onStatus: @Sendable (KafkaConsumerStatus) -> Void

    init(
        revokeTimeout: Duration, budget: HandoverBudget, settings: SinkSettings, logger: Logger,
        emit: @escaping @Sendable (SinkEvent) -> Void,
        emitRendered: @escaping @Sendable ([RenderedRun], _ bytes: Int) -> Void,
        onLag: @escaping @Sendable ([KafkaTopicPartition: Int64]) -> Void,
        onFatal: @escaping @Sendable (KafkaError) -> Void,
        onError: @escaping @Sendable (KafkaError) -> Void = { _ in },
        onStatus: @escaping @Sendable (KafkaConsumerStatus) -> Void = { _ in }
    ) {
        self.revokeTimeout = revokeTimeout
        self.budget = budget
        self.logger = logger
        self.emit = emit
        self.emitRendered = emitRendered
        self.settings = settings
        self.onLag = onLag
        self.onFatal = onFatal
        self.onError = onError
        self.onStatus = onStatus
    }

    /// Renders the records here, on the poll thread, straight from librdkafka's buffers (one run per partition
    /// and delivery, each with its topic's format and timestamp source; the sink's own thread then adopts finished
    /// bytes), then blocks while the driver holds `budget.limit` bytes of rendered records it has not handed to
    /// SinkCore yet.
    func consumer(_ control: KafkaConsumerControl, didReceive messages: KafkaMessageBatch) {
        let wallClockMs = Int64(Date().timeIntervalSince1970 * 1000)
        var runs: [RenderedRun] = []
        var i = 0
        while i < messages.count {
            let first = messages[i]
            var end = i + 1
            var payload = first.payloadBytes
            while end < messages.count, messages[end].partition == first.partition, messages[end].hasSameTopic(as: first) {
                payload += messages[end].payloadBytes
                end += 1
            }
            let topic = first.topic
            let (renderer, topicSettings) = rendering(topic)
            var run = RenderedRun(topicPartition: TopicPartition(topic: topic, partition: first.partition),
                                  reservingBytes: renderer.estimatedBytes(records: end - i, payloadBytes: payload),
                                  records: end - i)
            for k in i..<end {
                let m = messages[k]
                let timestamp = m.timestamp
                let type = Self.timestampType(timestamp)
                let ms = timestamp.milliseconds ?? -1
                let headers = renderer.rendersHeaders ? m.headers().map { SinkRecord.Header(key: $0.key, value: $0.value) } : []
                run.append(RecordView(topic: topic, partition: first.partition, offset: m.offset, timestampMs: ms,
                                      timestampType: type, key: m.key, value: m.value, headers: headers),
                           time: topicSettings.placementTime(timestampMs: ms, timestampType: type, wallClockMs: wallClockMs),
                           renderer: renderer)
            }
            run.highWatermark = control.cachedHighWatermark(KafkaTopicPartition(topic: topic, partition: first.partition))
            runs.append(run)
            i = end
        }
        hand(runs)
    }

    /// The renderer and settings of `topic` (poll thread).
    private func rendering(_ topic: String) -> (renderer: RecordRenderer, settings: TopicSettings) {
        if let known = topics[topic] { return known }
        let resolved = self.settings.topicSettings(for: topic)
        let entry = (renderer: RecordRenderer(format: resolved.format), settings: resolved)
        topics[topic] = entry
        return entry
    }

    /// Waits for room in the hand-over budget (the rendered bytes), then passes the runs on.
    private func hand(_ runs: [RenderedRun]) {
        let bytes = runs.reduce(0) { $0 + $1.renderedBytes }
        budget.acquire(bytes)
        emitRendered(runs, bytes)
    }

    func consumer(_ control: KafkaConsumerControl, didRebalance event: KafkaRebalanceEvent) {
        switch event {
        case .assigned(let partitions):
            guard let committed = readCommitted(partitions, control: control) else { return }
            emit(.assigned(partitions.map { tp in
                PartitionAssignment(TopicPartition(tp), committed: committed[tp] ?? nil)
            }))
        case .revoked(let partitions):
            let set = Set(partitions.map(TopicPartition.init))
            let late = gate.runWhileReleasing(set, control: control, timeout: revokeTimeout) { emit(.revoked(Array(set))) }
            if !late.isEmpty {
                logger.warning("revoke deadline passed before the sink released its partitions; their uncommitted records will be re-read by the next owner",
                               metadata: ["partitions": "\(late.sorted().map(\.description))"])
            }
        case .lost(let partitions):
            let set = Set(partitions.map(TopicPartition.init))
            _ = gate.runWhileReleasing(set, control: control, timeout: revokeTimeout) { emit(.lost(Array(set))) }
        }
    }

    func consumer(_ control: KafkaConsumerControl, didUpdateLag lag: [KafkaTopicPartition: Int64]) {
        onLag(lag)
    }

    func consumer(_ control: KafkaConsumerControl, didReceiveError error: KafkaError) {
        if error.isFatal { onFatal(error) } else { onError(error) }
    }

    func consumer(_ control: KafkaConsumerControl, didUpdateStatus status: KafkaConsumerStatus) {
        onStatus(status)
    }

    /// Committed offsets with metadata. Retries for a while: starting a partition without knowing its
    /// commit would archive it twice, so after that the process stops and a restart tries again.
    private func readCommitted(_ partitions: [KafkaTopicPartition], control: KafkaConsumerControl) -> [KafkaTopicPartition: CommittedOffset?]? {
        var delay = 0.2
        for attempt in 1...8 {
            do {
                let offsets = try control.committed(partitions)
                var result: [KafkaTopicPartition: CommittedOffset?] = [:]
                for entry in offsets {
                    result[entry.topicPartition] = entry.offset.map {
                        CommittedOffset(offset: $0, metadata: entry.metadata.isEmpty ? nil : entry.metadata)
                    }
                }
                return result
            } catch {
                logger.warning("reading committed offsets failed; retrying",
                               metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
        let error = KafkaError(code: .committedFailed,
                               message: "cannot read committed offsets for \(partitions.map(\.description)); stopping so that no partition starts from a guess")
        // Nothing may be archived for these partitions without their commit: keep them paused and stop.
        try? control.pause(partitions)
        onFatal(error)
        return nil
    }

    static func timestampType(_ timestamp: KafkaTimestamp) -> TimestampType {
        switch timestamp {
        case .createTime: .createTime
        case .logAppendTime: .logAppendTime
        case .notAvailable: .notAvailable
        }
    }
}

extension TopicPartition {
    init(_ partition: KafkaTopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}

extension KafkaTopicPartition {
    init(_ partition: TopicPartition) {
        self.init(topic: partition.topic, partition: partition.partition)
    }
}
