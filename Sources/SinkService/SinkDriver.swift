import Foundation
import KafkaBridge
import Logging
import SinkCore
import Synchronization

/// The imperative shell around `SinkCore.Sink`: feeds it events in the order they happened and carries
/// out its actions against Kafka (through `KafkaConsumer` or, during a rebalance, the blocked poll
/// thread) and OSS (through a `SegmentStore`).
///
/// Guarantees:
/// - Events are handled one at a time on the task that calls `run`; `Sink` is never touched elsewhere.
/// - At most `maxInflightRequests` OSS requests run at once; SinkCore keeps at most one append per
///   partition outstanding, so appends to one object are strictly sequential.
/// - Pause, resume and seek reach the consumer in the order the core asked for them.
final class SinkDriver: @unchecked Sendable {
    enum Input: Sendable {
        case event(SinkEvent)
        /// Stop fetching and let the core flush and commit (graceful shutdown).
        case beginShutdown
        /// The consumer left the group after the core finished: end `run`.
        case consumerClosed
        /// A seek ran on the poll thread: records of the partition delivered after this were fetched after it.
        case seekApplied(TopicPartition)
        /// Records from the poll thread, rendered there, holding `bytes` of the hand-over budget until SinkCore
        /// took them.
        case rendered([RenderedRun], bytes: Int)
        /// Time to report the state read off SinkCore on a schedule (freshness).
        case reportTick
    }

    /// How often the archive freshness of every partition is reported.
    static let freshnessInterval: Duration = .seconds(5)

    enum ConsumerCommand: Sendable, CustomStringConvertible {
        case pause([KafkaTopicPartition])
        case resume([KafkaTopicPartition])
        case seek(KafkaTopicPartition, Int64)

        var description: String {
            switch self {
            case .pause(let partitions): "pause \(partitions)"
            case .resume(let partitions): "resume \(partitions)"
            case .seek(let partition, let offset): "seek \(partition) to \(offset)"
            }
        }
    }

    private var sink: Sink
    private let store: any SegmentStore
    private let logger: Logger
    private let observer: SinkObserver
    private let maxInflightRequests: Int
    private let origin = ContinuousClock.now
    /// Bounds the records queued between the poll thread and SinkCore.
    let budget: HandoverBudget

    private let inputs: AsyncStream<Input>
    private let input: AsyncStream<Input>.Continuation

    /// Set once, before `run`.
    var consumer: KafkaConsumer?
    var gate: RebalanceGate?

    // Owned by the `run` task.
    private var inflight = 0
    private var waiting: [SinkAction] = []
    private var timer: Task<Void, Never>?
    private var closeStarted = false
    /// Partitions with a seek not yet applied: their records still in the input were fetched before it.
    private var seeking: [TopicPartition: Int] = [:]
    private var segmentKeys: [TopicPartition: String] = [:]

    private let abortError = Mutex<SinkServiceError?>(nil)
    private let shutdown = Mutex<(deadline: ContinuousClock.Instant?, failure: SinkServiceError?)>((nil, nil))

    init(sink: Sink, store: any SegmentStore, maxInflightRequests: Int, handoverLimit: Int, observer: SinkObserver,
         logger: Logger) {
        self.sink = sink
        self.budget = HandoverBudget(limit: handoverLimit)
        self.store = store
        self.maxInflightRequests = maxInflightRequests
        self.observer = observer
        self.logger = logger
        (inputs, input) = AsyncStream.makeStream(of: Input.self)
    }

    /// Hands an event to the core (thread-safe; in the order of calls).
    func emit(_ event: SinkEvent) {
        input.yield(.event(event))
    }

    /// Hands rendered records to the core; `bytes` were acquired from `budget` and are released once the core
    /// took them.
    func emitRendered(_ runs: [RenderedRun], bytes: Int) {
        if case .terminated = input.yield(.rendered(runs, bytes: bytes)) { budget.release(bytes) }
    }

    /// Stops the service with `error` after the inputs already queued.
    func abort(_ error: SinkServiceError) {
        abortError.withLock { if $0 == nil { $0 = error } }
        input.finish()
    }

    /// Graceful shutdown: stop fetching, let SinkCore flush every buffer and commit, leave the group, end
    /// `run`. When that takes longer than `timeout`, the consumer is closed anyway and `run` throws: the
    /// records whose commits were not acknowledged are consumed again by the next owner (never lost).
    func beginShutdown(timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        shutdown.withLock { $0.deadline = deadline }
        input.yield(.beginShutdown)
        Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard let self else { return }
            self.abort(SinkServiceError(message: "shutdown did not finish within \(timeout); records not yet committed will be consumed again by the next owner"))
        }
    }

    private var now: SinkInstant {
        SinkInstant(monotonic: ContinuousClock.now - origin, wallClockMs: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// Handles inputs until the consumer closed after a graceful shutdown, or `abort`.
    func run() async throws {
        // However `run` ends, the poll thread must never stay blocked on the budget (closing the consumer needs it).
        defer { budget.close() }
        let ticker = Task { [input] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.freshnessInterval)
                if case .terminated = input.yield(.reportTick) { return }
            }
        }
        defer { ticker.cancel() }
        try await withThrowingDiscardingTaskGroup { group in
            loop: for await next in inputs {
                switch next {
                case .event(let event):
                    switch event {
                    case .appendCompleted, .headCompleted, .rangeCompleted, .sealCompleted, .tagCompleted:
                        requestFinished(group: &group)
                    default: break
                    }
                    try handle(event, group: &group)
                case .rendered(var runs, let bytes):
                    defer { budget.release(bytes) }
                    if !seeking.isEmpty {
                        runs.removeAll { seeking[$0.topicPartition] != nil }
                    }
                    if !runs.isEmpty { try handle(.rendered(runs), group: &group) }
                case .seekApplied(let partition):
                    if let count = seeking[partition] {
                        seeking[partition] = count > 1 ? count - 1 : nil
                    }
                case .beginShutdown:
                    if let consumer { consumerCommand(.pause(consumer.assignment)) }
                    try handle(.shutdown, group: &group)
                case .reportTick:
                    observer.reporter.archiveFreshness(sink.freshness(at: now.monotonic))
                case .consumerClosed:
                    break loop
                }
            }
            timer?.cancel()
            group.cancelAll()
        }
        if let error = abortError.withLock({ $0 }) {
            throw error
        }
    }

    private func handle(_ event: SinkEvent, group: inout ThrowingDiscardingTaskGroup<any Error>) throws {
        switch event {
        case .records(let records): observer.consumed(records)
        case .rendered(let runs): observer.consumed(runs)
        case .assigned(let assignments): observer.assigned(assignments.map(\.topicPartition))
        case .revoked(let partitions): observer.unassigned(partitions, lost: false)
        case .lost(let partitions): observer.unassigned(partitions, lost: true)
        default: break
        }
        for action in sink.handle(event, at: now) {
            try execute(action, group: &group)
        }
        observer.sinkState(bufferedBytes: sink.heldBytes, openSegments: openSegments, finishingSegments: sink.finishingSegments)
    }

    /// Open segments, tracked from SinkCore's notices.
    private var openSegments: Int { segmentKeys.count }

    private func execute(_ action: SinkAction, group: inout ThrowingDiscardingTaskGroup<any Error>) throws {
        switch action {
        case .append, .head, .getRange, .seal, .tag:
            if inflight < maxInflightRequests {
                start(action, group: &group)
            } else {
                waiting.append(action)
            }
        case .commit(let request):
            commit(request)
        case .seek(let partition, let offset):
            seeking[partition, default: 0] += 1
            consumerCommand(.seek(KafkaTopicPartition(partition), offset))
        case .pause(let partitions):
            observer.paused(partitions, paused: true)
            consumerCommand(.pause(partitions.map(KafkaTopicPartition.init)))
        case .resume(let partitions):
            observer.paused(partitions, paused: false)
            consumerCommand(.resume(partitions.map(KafkaTopicPartition.init)))
        case .scheduleTimer(let at):
            timer?.cancel()
            let deadline = origin + at
            timer = Task { [input] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                if !Task.isCancelled { input.yield(.event(.timerFired)) }
            }
        case .released(let partition):
            segmentKeys[partition] = nil
            gate?.released(partition)
        case .shutdownComplete:
            closeConsumer()
        case .notice(let notice):
            switch notice {
            case .segmentOpened(let tp, let key, _): segmentKeys[tp] = key
            case .rolledOver(let tp, _, _): segmentKeys[tp] = nil
            default: break
            }
            observer.notice(notice)
        case .health(let health):
            observer.health(health)
        case .fail(let failure):
            throw SinkServiceError(message: "sink cannot go on: \(failure)")
        }
    }

    /// Leaves the group once everything is flushed and committed. The consumer's revoke callback
    /// still reaches the core while it closes.
    private func closeConsumer() {
        guard !closeStarted else { return }
        closeStarted = true
        let remaining = shutdown.withLock { $0.deadline }.map { $0 - ContinuousClock.now } ?? .seconds(30)
        Task { [consumer, input, logger] in
            do {
                try await consumer?.close(deadline: max(remaining, .seconds(1)))
            } catch {
                logger.warning("leaving the consumer group did not finish cleanly", metadata: ["error": "\(error)"])
            }
            input.yield(.consumerClosed)
        }
    }

    /// A request finished: start the next waiting one.
    private func requestFinished(group: inout ThrowingDiscardingTaskGroup<any Error>) {
        inflight -= 1
        if !waiting.isEmpty {
            start(waiting.removeFirst(), group: &group)
        }
    }

    private func start(_ action: SinkAction, group: inout ThrowingDiscardingTaskGroup<any Error>) {
        let store = self.store
        let input = self.input
        switch action {
        case .append(let request):
            inflight += 1
            group.addTask {
                input.yield(.event(.appendCompleted(request.id, await store.append(request))))
            }
        case .head(let request):
            inflight += 1
            group.addTask {
                input.yield(.event(.headCompleted(request.id, await store.head(key: request.key))))
            }
        case .getRange(let request):
            inflight += 1
            group.addTask {
                input.yield(.event(.rangeCompleted(request.id, await store.read(key: request.key, range: request.range))))
            }
        case .seal(let request):
            inflight += 1
            group.addTask {
                input.yield(.event(.sealCompleted(request.id, await store.seal(request))))
            }
        case .tag(let request):
            inflight += 1
            group.addTask {
                input.yield(.event(.tagCompleted(request.id, await store.tag(request))))
            }
        default:
            break
        }
    }

    private func commit(_ request: CommitRequest) {
        let offsets = [KafkaCommitOffset(topic: request.topicPartition.topic, partition: request.topicPartition.partition,
                                         offset: request.offset, metadata: request.metadata)]
        let input = self.input
        let observer = self.observer
        let started = ContinuousClock.now
        let report: @Sendable (KafkaCommitResult) -> Void = { result in
            observer.committed(request, error: result.firstError, latency: ContinuousClock.now - started)
            let outcome: CommitOutcome = result.firstError.map { .failure($0.description) } ?? .success
            input.yield(.event(.commitCompleted(request.topicPartition, offset: request.offset, outcome)))
        }
        if let gate, gate.submitIfOpen({ control in report(control.commitSync(offsets)) }) {
            return
        }
        guard let consumer else {
            report(KafkaCommitResult(offsets: offsets, error: KafkaError(code: .closed, message: "no consumer"), partitionErrors: [:]))
            return
        }
        consumer.commitAsync(offsets, completion: report)
    }

    /// Runs a pause, resume or seek on the poll thread, in the order asked: through the blocked poll
    /// thread during a rebalance, otherwise between two deliveries. A seek reports `.seekApplied` from
    /// the poll thread, so records fetched before it can be told apart.
    private func consumerCommand(_ command: ConsumerCommand) {
        let input = self.input
        let work: RebalanceGate.Work = { [logger] control in
            do {
                switch command {
                case .pause(let partitions): try control.pause(partitions)
                case .resume(let partitions): try control.resume(partitions)
                case .seek(let partition, let offset): try control.seek([partition: .offset(offset)])
                }
            } catch {
                logger.error("consumer operation failed", metadata: ["operation": "\(command)", "error": "\(error)"])
            }
            if case .seek(let partition, _) = command { input.yield(.seekApplied(TopicPartition(partition))) }
        }
        if let gate, gate.submitIfOpen(work) { return }
        if consumer?.perform(work) != true, case .seek(let partition, _) = command {
            input.yield(.seekApplied(TopicPartition(partition)))
        }
    }
}
