internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// Owns one producer `rd_kafka_t`, its topic handles and the thread that serves its delivery reports.
///
/// Enqueueing (`rd_kafka_producev` without `RD_KAFKA_MSG_F_BLOCK`) never blocks and may run on any thread. Every
/// call that waits — polling for delivery reports and errors, flushing, purging, destroying — runs on the poll
/// thread, which also runs the delivery handler.
final class RDProducerCore: RDHandleOwner, @unchecked Sendable {
    let onDelivery: @Sendable (KafkaDeliveryReport) -> Void
    let pollTimeoutMs: Int32

    /// Set once in `init`; valid until the poll thread destroys it after setting `closed` under `shared`'s lock.
    /// Enqueueing holds that lock, so it never races with the destruction.
    private var rk: OpaquePointer!

    struct FlushRequest {
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Bool, Never>
    }

    /// Guarded by the lock: closures, continuations and handles never leave it unguarded.
    struct Shared: @unchecked Sendable {
        var closing = false
        var closed = false
        var topics: [String: OpaquePointer] = [:]
        var spaceWaiters: [CheckedContinuation<Void, Never>] = []
        var flushes: [FlushRequest] = []
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var closeCallbacks: [@Sendable () -> Void] = []
        var fatalError: KafkaError?
        var lastError: KafkaError?
    }
    let shared = Mutex(Shared())

    init(configuration: KafkaProducerConfiguration, logger: Logger, onDelivery: @escaping @Sendable (KafkaDeliveryReport) -> Void) throws(KafkaError) {
        self.onDelivery = onDelivery
        self.pollTimeoutMs = Int32(clamping: max(1, KafkaConsumerConfiguration.milliseconds(configuration.pollInterval)))
        let conf = RDConf()
        for (name, value) in try configuration.librdkafkaProperties() {
            try conf.setOrThrow(name, value)
        }
        super.init(logger: logger)
        install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf.pointer, rdProducerDeliveryCallback)
        rd_kafka_conf_set_error_cb(conf.pointer, rdProducerErrorCallback)
        rk = try conf.makeHandle(RD_KAFKA_PRODUCER)
    }

    /// Starts the poll thread. The thread keeps `self` alive until the handle is destroyed.
    func start(name: String) {
        startNamedThread(name, stackSize: 1 << 20) { [self] in self.run() }
    }

    /// librdkafka calls `enable.gapless.guarantee` experimental at every start; the producer sets it on purpose.
    override func accepts(facility: String, message: String) -> Bool {
        !(facility == "CONFWARN" && message.contains("enable.gapless.guarantee is experimental"))
    }

    // MARK: - Any thread

    /// Enqueues one record; `false` when librdkafka's queue is full.
    func enqueue(
        topic: String, partition: Int32, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        timestamp: Int64, headers: UnsafeBufferPointer<kos_header_t>, token: UInt64
    ) throws(KafkaError) -> Bool {
        let err = try shared.withLock { state throws(KafkaError) -> rd_kafka_resp_err_t in
            if let fatal = state.fatalError { throw fatal }
            guard !state.closing else { throw KafkaError(code: .closed, message: "the producer is closed") }
            let rkt: OpaquePointer
            if let known = state.topics[topic] {
                rkt = known
            } else {
                guard let created = rd_kafka_topic_new(rk, topic, nil) else {
                    throw KafkaError(code: .produceFailed, rd_kafka_last_error(), "creating a handle for topic \(topic) failed")
                }
                state.topics[topic] = created
                rkt = created
            }
            return kos_produce_record(
                rk, rkt, partition, key?.baseAddress, key.map { $0.count } ?? -1, value?.baseAddress, value.map { $0.count } ?? -1,
                timestamp, headers.baseAddress, headers.count, UnsafeMutableRawPointer(bitPattern: UInt(token)))
        }
        switch err {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return true
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return false
        case RD_KAFKA_RESP_ERR__FATAL:
            throw shared.withLock { $0.fatalError } ?? KafkaError(code: .fatal, err, "the producer hit a fatal error")
        default:
            throw KafkaError(
                code: .produceFailed, err, "producing to \(topic)\(partition >= 0 ? "[\(partition)]" : "") failed",
                topicPartition: partition >= 0 ? KafkaTopicPartition(topic: topic, partition: partition) : nil)
        }
    }

    /// Resumes after the poll thread served delivery reports (or the producer closed).
    func waitForQueueSpace() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = shared.withLock { state -> Bool in
                if state.closed || state.fatalError != nil { return true }
                state.spaceWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Waits until every enqueued record was delivered or failed; `false` when `timeout` passed first.
    func flush(timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let closed = shared.withLock { state -> Bool in
                if state.closed { return true }
                state.flushes.append(FlushRequest(deadline: .now + timeout, continuation: continuation))
                return false
            }
            if closed { continuation.resume(returning: false) }
        }
    }

    /// Records, requests and delivery reports librdkafka still holds.
    var outstanding: Int {
        shared.withLock { state in state.closed ? 0 : Int(rd_kafka_outq_len(rk)) }
    }

    /// Stops the poll thread: records still queued are purged (their delivery reports say so), then the handle is
    /// destroyed. Returns when it is.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { state -> Bool in
                if state.closed { return true }
                state.closing = true
                state.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Asks the poll thread to close without waiting for it.
    func requestClose() {
        shared.withLock { $0.closing = true }
    }

    /// Closes and blocks the calling thread until the poll thread destroyed the handle (a poll interval or two).
    func closeBlocking() {
        let semaphore = DispatchSemaphore(value: 0)
        let done = shared.withLock { state -> Bool in
            if state.closed { return true }
            state.closing = true
            state.closeCallbacks.append { semaphore.signal() }
            return false
        }
        if !done { semaphore.wait() }
    }

    // MARK: - Poll thread

    private func run() {
        while true {
            let (closing, flushing) = shared.withLock { ($0.closing, !$0.flushes.isEmpty) }
            if closing { break }
            if flushing {
                // rd_kafka_flush sends lingering batches at once and serves delivery reports on this thread; it
                // returns early once nothing is outstanding.
                _ = rd_kafka_flush(rk, pollTimeoutMs)
            } else {
                _ = rd_kafka_poll(rk, pollTimeoutMs)
            }
            finishRound()
        }
        rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
        _ = rd_kafka_poll(rk, 0)
        let (topics, waiters, flushes, closers, callbacks) = shared.withLock { state in
            state.closed = true
            defer {
                state.topics = [:]
                state.spaceWaiters = []
                state.flushes = []
                state.closeWaiters = []
                state.closeCallbacks = []
            }
            return (Array(state.topics.values), state.spaceWaiters, state.flushes, state.closeWaiters, state.closeCallbacks)
        }
        for rkt in topics { rd_kafka_topic_destroy(rkt) }
        rd_kafka_destroy(rk)
        for waiter in waiters { waiter.resume() }
        for flush in flushes { flush.continuation.resume(returning: false) }
        for closer in closers { closer.resume() }
        for callback in callbacks { callback() }
    }

    /// After each poll: wakes callers waiting for queue space and completes flushes that are done or late.
    private func finishRound() {
        let queued = rd_kafka_outq_len(rk)
        let now = ContinuousClock.now
        let (waiters, finished) = shared.withLock { state -> ([CheckedContinuation<Void, Never>], [(CheckedContinuation<Bool, Never>, Bool)]) in
            let waiters = state.spaceWaiters
            state.spaceWaiters = []
            var finished: [(CheckedContinuation<Bool, Never>, Bool)] = []
            state.flushes.removeAll { request in
                if queued == 0 || state.fatalError != nil {
                    finished.append((request.continuation, queued == 0))
                    return true
                }
                if now >= request.deadline {
                    finished.append((request.continuation, false))
                    return true
                }
                return false
            }
            return (waiters, finished)
        }
        for waiter in waiters { waiter.resume() }
        for (continuation, flushed) in finished { continuation.resume(returning: flushed) }
    }

    /// From the error callback (a librdkafka thread, or the poll thread).
    func record(error err: rd_kafka_resp_err_t, reason: String) {
        if err == RD_KAFKA_RESP_ERR__FATAL {
            var buffer = [CChar](repeating: 0, count: 512)
            let original = rd_kafka_fatal_error(rk, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var error = KafkaError(code: .fatal, original, "the producer hit a fatal error and stopped: \(text)")
            error.isFatal = true
            logger.error("\(error)")
            shared.withLock { state in
                if state.fatalError == nil { state.fatalError = error }
                state.lastError = error
            }
            return
        }
        let error = KafkaError(code: .produceFailed, err, reason)
        logger.warning("\(error)")
        shared.withLock { $0.lastError = error }
    }
}

/// Delivery reports: on the poll thread, from `rd_kafka_poll`/`rd_kafka_flush`.
private func rdProducerDeliveryCallback(
    _ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?
) {
    guard let core = RDHandleOwner.owner(of: rk) as? RDProducerCore, let message else { return }
    let m = message.pointee
    let token = UInt64(UInt(bitPattern: m._private))
    var report = KafkaDeliveryReport(partition: m.partition, offset: nil, token: token, error: nil, persisted: .persisted)
    if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        report.offset = m.offset >= 0 ? m.offset : nil
    } else {
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
        report.error = KafkaError(
            code: .produceFailed, m.err, "delivery to \(topic)[\(m.partition)] failed",
            topicPartition: KafkaTopicPartition(topic: topic, partition: m.partition))
        switch rd_kafka_message_status(message) {
        case RD_KAFKA_MSG_STATUS_PERSISTED: report.persisted = .persisted
        case RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED: report.persisted = .possibly
        default: report.persisted = .notPersisted
        }
    }
    core.onDelivery(report)
}

private func rdProducerErrorCallback(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let core = RDHandleOwner.owner(of: rk) as? RDProducerCore else { return }
    core.record(error: rd_kafka_resp_err_t(err), reason: reason.map { String(cString: $0) } ?? "")
}
