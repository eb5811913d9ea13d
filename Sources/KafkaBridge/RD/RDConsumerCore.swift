internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// Owns one consumer `rd_kafka_t` and the thread that polls it.
///
/// Every librdkafka call on the handle after construction happens on the poll thread: other
/// threads enqueue commands (`submit`) and wake the thread with `rd_kafka_queue_yield`. Fields
/// marked "poll thread" are only touched there.
final class RDConsumerCore: RDHandleOwner, @unchecked Sendable {
    typealias Command = (RDConsumerCore) -> Void

    let configuration: KafkaConsumerConfiguration
    let delegate: any KafkaConsumerDelegate
    let pollTimeoutMs: Int32

    /// The error callback (`handleError`) logs every librdkafka error once.
    override var reportsErrorsItself: Bool { true }

    // Poll thread (and the constructing thread before the thread starts).
    var rk: OpaquePointer?
    var queue: OpaquePointer?
    var pending: [UnsafeMutablePointer<rd_kafka_message_t>] = []
    var pendingBytes = 0
    var commitCallbacks: [Int: ([KafkaCommitOffset], (KafkaCommitResult) -> Void)] = [:]
    var nextCommitID = 1
    var fatalError: KafkaError?
    var assignmentSet: Set<KafkaTopicPartition> = []
    /// Set by the first assign callback (librdkafka's sticky assignor creates its state then).
    var everAssigned = false
    /// Watches the consumer queue for librdkafka's queue-full fetch stall (see `FetchStallDetector`).
    var stallDetector = FetchStallDetector(maxMessages: 100_000, maxBytes: 64 << 20)
    /// During an `.assigned` handler: the list about to be assigned, and pauses to apply after it.
    var assigning: (list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, pauses: [KafkaTopicPartition])?

    // Shared.
    /// Guarded by `shared`'s lock: the closures and the thread id never leave it unguarded.
    struct Shared: @unchecked Sendable {
        var commands: [Command] = []
        var closeRequested: (finalCommit: [KafkaCommitOffset], deadline: Duration, done: (KafkaError?) -> Void)?
        var closed = false
        /// Set under the lock before the queue handle is destroyed, so `wake` never touches a freed queue.
        var queueDestroyed = false
        var pollThread: pthread_t?
        var assignment: [KafkaTopicPartition] = []
        var lag: [KafkaTopicPartition: Int64] = [:]
        var fatalError: KafkaError?
    }
    let shared = Mutex(Shared())
    /// Wakes broker threads that stopped fetching; stopped before the handle is destroyed.
    var fetchWaker: RDFetchWaker?

    init(configuration: KafkaConsumerConfiguration, delegate: any KafkaConsumerDelegate, logger: Logger) throws(KafkaError) {
        self.configuration = configuration
        self.delegate = delegate
        self.pollTimeoutMs = Int32(clamping: KafkaConsumerConfiguration.milliseconds(configuration.pollTimeout))
        super.init(logger: logger)
        guard !configuration.topics.isEmpty else {
            throw KafkaError(code: .configuration, message: "no topics to subscribe to: list at least one topic name or ^regex")
        }
        let conf = RDConf()
        for (name, value) in try configuration.librdkafkaProperties() {
            try conf.setOrThrow(name, value)
        }
        stallDetector = FetchStallDetector(
            maxMessages: conf.get("queued.min.messages").flatMap { Int($0) } ?? 100_000,
            maxBytes: (conf.get("queued.max.messages.kbytes").flatMap { Int($0) } ?? 65_536) * 1024)
        install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf.pointer, rdRebalanceCallback)
        rd_kafka_conf_set_error_cb(conf.pointer, rdErrorCallback)
        rd_kafka_conf_set_stats_cb(conf.pointer, rdStatsCallback)
        let rk = try conf.makeHandle(RD_KAFKA_CONSUMER)
        rd_kafka_poll_set_consumer(rk)
        let topics = RDTopicPartitionList(capacity: configuration.topics.count)
        for topic in configuration.topics { topics.add(topic, RD_KAFKA_PARTITION_UA, offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
        let err = rd_kafka_subscribe(rk, topics.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            rd_kafka_destroy(rk)
            throw KafkaError(code: .subscribeFailed, err, "subscribing to \(configuration.topics) failed")
        }
        self.rk = rk
        self.queue = rd_kafka_queue_get_consumer(rk)
        fetchWaker = RDFetchWaker(rk: rk, logger: logger) { [weak self] in self?.shared.withLock { $0.assignment } ?? [] }
        pending.reserveCapacity(configuration.maxBatchRecords)
    }

    /// Starts the poll thread. The thread keeps `self` alive until the handle is destroyed.
    func start(name: String) {
        startNamedThread(name, stackSize: 1 << 20) { [self] in self.run() }
        fetchWaker?.start(name: "kafka-wake")
    }

    var isOnPollThread: Bool {
        shared.withLock { state in state.pollThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `command` on the poll thread: right away when called there, else before the next poll.
    /// Returns false when the consumer is closed (the command is not run).
    @discardableResult
    func submit(_ command: @escaping Command) -> Bool {
        if isOnPollThread {
            guard rk != nil else { return false }
            command(self)
            return true
        }
        let accepted = shared.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.commands.append(command)
            return true
        }
        if accepted { wake() }
        return accepted
    }

    func requestClose(finalCommit: [KafkaCommitOffset], deadline: Duration, done: @escaping (KafkaError?) -> Void) {
        let accepted = shared.withLock { state -> Bool in
            guard !state.closed, state.closeRequested == nil else { return false }
            state.closeRequested = (finalCommit, deadline, done)
            return true
        }
        if accepted { wake() } else { done(KafkaError(code: .closed, message: "the consumer is already closed or closing")) }
    }

    private func wake() {
        // The queue handle lives until the poll thread destroys it after marking `closed`;
        // yield is thread-safe.
        shared.withLock { state in
            if !state.queueDestroyed, let queue { rd_kafka_queue_yield(queue) }
        }
    }

    // MARK: - Poll thread

    private func run() {
        shared.withLock { $0.pollThread = pthread_self() }
        while true {
            runCommands()
            if let request = shared.withLock({ $0.closeRequested }) {
                let error = closeHandle(finalCommit: request.finalCommit, deadline: request.deadline)
                let leftover = shared.withLock { state -> [Command] in
                    state.closed = true
                    defer { state.commands = [] }
                    return state.commands
                }
                // Commands that raced with close still run, against a nil handle, so they report `.closed`.
                for command in leftover { command(self) }
                request.done(error)
                return
            }
            pollBatch()
        }
    }

    private func runCommands() {
        let commands = shared.withLock { state -> [Command] in
            defer { state.commands = [] }
            return state.commands
        }
        for command in commands { command(self) }
    }

    private func pollBatch() {
        guard let rk else { return }
        var records = 0
        var bytes = 0
        defer { watchFetchStall(records: records, bytes: bytes) }
        var drained = true
        var message = rd_kafka_consumer_poll(rk, pollTimeoutMs)
        while let m = message {
            if m.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                deliverPending()
                reportMessageError(m)
                rd_kafka_message_destroy(m)
                // Back to the outer loop after an error, so commands (close) still run even if
                // librdkafka keeps returning errors.
                break
            } else {
                pending.append(m)
                pendingBytes += m.pointee.len + m.pointee.key_len
                records += 1
                bytes += m.pointee.len + m.pointee.key_len
                if pending.count >= configuration.maxBatchRecords || pendingBytes >= configuration.maxBatchBytes {
                    drained = false
                    break
                }
            }
            message = rd_kafka_consumer_poll(rk, 0)
        }
        deliverPending()
        if Self.pausesAfterRound(records: records, drainedQueue: drained) {
            usleep(Self.coalesceMicroseconds)
        }
    }

    /// Whether a poll round waits `coalesceMicroseconds` before the next: when it emptied the queue after at least
    /// one and fewer than `coalesceBelowRecords` records. The broker thread enqueues fetched records one by one
    /// and signals a waiting poll thread for each, so a poll thread that always waits on an empty queue wakes (and
    /// the broker thread makes a futex call) for every few records; the pause lets a batch build up instead, at
    /// the cost of a millisecond. A round that stopped at the batch limits, or timed out empty, goes on at once.
    static func pausesAfterRound(records: Int, drainedQueue: Bool) -> Bool {
        drainedQueue && records > 0 && records < coalesceBelowRecords
    }

    static let coalesceBelowRecords = 128
    static let coalesceMicroseconds: UInt32 = 1000

    /// After a poll round: wakes the broker threads when the queue drained after filling up.
    private func watchFetchStall(records: Int, bytes: Int) {
        guard let queue else { return }
        let queued = Int(rd_kafka_queue_length(queue))
        if stallDetector.observe(queuedMessages: queued, records: records, bytes: bytes, now: .now) {
            fetchWaker?.request()
        }
    }

    private func reportMessageError(_ m: UnsafeMutablePointer<rd_kafka_message_t>) {
        let err = m.pointee.err
        if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return }
        if err == RD_KAFKA_RESP_ERR__FATAL {
            handleError(err, String(cString: rd_kafka_message_errstr(m)))
            return
        }
        var tp: KafkaTopicPartition?
        if let rkt = m.pointee.rkt {
            tp = KafkaTopicPartition(topic: String(cString: rd_kafka_topic_name(rkt)), partition: m.pointee.partition)
        }
        let text = String(cString: rd_kafka_message_errstr(m))
        let error = KafkaError(code: .consumer, err, "consume error: \(text)", topicPartition: tp)
        logger.warning("\(error)")
        delegate.consumer(KafkaConsumerControl(core: self), didReceiveError: error)
    }

    /// Hands the pending messages to the delegate as a ``KafkaMessageBatch`` (no copy) and destroys them after.
    func deliverPending() {
        guard !pending.isEmpty else { return }
        let messages = pending
        let total = pendingBytes
        pending.removeAll(keepingCapacity: true)
        pendingBytes = 0
        defer { for m in messages { rd_kafka_message_destroy(m) } }
        messages.withUnsafeBufferPointer { buffer in
            delegate.consumer(KafkaConsumerControl(core: self), didReceive: KafkaMessageBatch(messages: buffer, payloadBytes: total))
        }
    }

    func publishAssignment() {
        let sorted = assignmentSet.sorted()
        shared.withLock { state in
            state.assignment = sorted
            state.lag = state.lag.filter { assignmentSet.contains($0.key) }
        }
    }
}
