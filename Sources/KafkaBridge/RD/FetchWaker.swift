internal import CRdKafka
import Foundation
import Logging

/// Decides, from what the poll thread sees of librdkafka's consumer queue, when the broker threads
/// may have stopped fetching and need a wake-up.
///
/// librdkafka 2.0.2 stops fetching once the consumer queue holds `queued.min.messages` messages or
/// `queued.max.messages.kbytes`, and the broker thread then sleeps for up to a second
/// (`rd_kafka_max_block_ms`) whether or not the application drains the queue meanwhile: nothing wakes
/// it when the queue falls below the threshold again (librdkafka 2.2 added `fetch.queue.backoff.ms` for
/// this). A consumer slower than the fetcher, or one held back by its own memory budget, then runs dry
/// for most of every second: with a 4 MB queue, 100-byte records went from 1.5 M/s to 100 k/s.
///
/// The detector arms when the queue reaches half of either threshold (librdkafka may stop fetching
/// soon), and fires once the queue has drained below a quarter of both: early enough that the next
/// fetch arrives while records are still queued, once per fill-and-drain cycle, and never for a queue
/// that stays short (an idle topic costs nothing).
struct FetchStallDetector: Sendable {
    /// librdkafka's `queued.min.messages`.
    let maxMessages: Int
    /// librdkafka's `queued.max.messages.kbytes`, in bytes.
    let maxBytes: Int
    /// Fires at most this often.
    let minimumInterval: Duration

    private(set) var armed = false
    /// Key + value bytes per record, averaged over what the poll thread took from the queue.
    private(set) var averageRecordBytes: Double = 0
    private var lastFired: ContinuousClock.Instant?

    init(maxMessages: Int, maxBytes: Int, minimumInterval: Duration = .milliseconds(20)) {
        self.maxMessages = max(1, maxMessages)
        self.maxBytes = max(1, maxBytes)
        self.minimumInterval = minimumInterval
    }

    /// Call after each poll round with what it took (`records`, `bytes`) and the queue length left
    /// behind. Returns true when the broker threads should be woken now.
    mutating func observe(queuedMessages: Int, records: Int, bytes: Int, now: ContinuousClock.Instant) -> Bool {
        if records > 0 {
            let batchAverage = Double(bytes) / Double(records)
            averageRecordBytes = averageRecordBytes == 0 ? batchAverage : averageRecordBytes * 0.75 + batchAverage * 0.25
        }
        let queuedBytes = Double(queuedMessages) * averageRecordBytes
        if queuedMessages * 2 >= maxMessages || queuedBytes * 2 >= Double(maxBytes) {
            armed = true
            return false
        }
        guard armed, queuedMessages * 4 < maxMessages, queuedBytes * 4 < Double(maxBytes) else { return false }
        if let lastFired, now - lastFired < minimumInterval { return false }
        armed = false
        lastFired = now
        return true
    }
}

/// Wakes the broker threads of a consumer handle by asking them for the end offsets of the assigned
/// partitions (one small ListOffsets request per leader): any request makes a sleeping broker thread
/// re-check which partitions it can fetch. Runs on its own thread, so the poll thread never waits for
/// the answer; requests made while one is in flight are folded into it.
final class RDFetchWaker: @unchecked Sendable {
    private let rk: OpaquePointer
    private let partitions: @Sendable () -> [KafkaTopicPartition]
    private let logger: Logger
    private let condition = NSCondition()
    private var requested = false
    private var started = false
    private var stopping = false
    private var finished = false
    private var wakeCount = 0

    init(rk: OpaquePointer, logger: Logger, partitions: @escaping @Sendable () -> [KafkaTopicPartition]) {
        self.rk = rk
        self.logger = logger
        self.partitions = partitions
    }

    func start(name: String) {
        condition.lock()
        started = true
        condition.unlock()
        startNamedThread(name, stackSize: 256 << 10) { [self] in run() }
    }

    /// Asks for one wake-up; returns at once.
    func request() {
        condition.lock()
        requested = true
        condition.signal()
        condition.unlock()
    }

    /// Wake-ups sent so far.
    var wakeUps: Int {
        condition.lock()
        defer { condition.unlock() }
        return wakeCount
    }

    /// Stops the thread and waits until it no longer uses the handle. Call before the handle is destroyed.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while started && !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while !requested && !stopping { condition.wait() }
            if stopping { break }
            requested = false
            condition.unlock()
            wake()
            condition.lock()
            wakeCount += 1
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func wake() {
        let assigned = partitions()
        guard !assigned.isEmpty else { return }
        let list = RDTopicPartitionList(assigned, offset: Int64(RD_KAFKA_OFFSET_END))
        // The answer does not matter; a short timeout keeps `stop` from waiting long for a slow broker.
        let err = rd_kafka_offsets_for_times(rk, list.pointer, 500)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.debug("fetch wake-up request failed", metadata: ["error": "\(String(cString: rd_kafka_err2str(err)))"])
        }
    }
}
