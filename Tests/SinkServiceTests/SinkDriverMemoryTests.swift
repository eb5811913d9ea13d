import CMalloc
import Foundation
import Logging
import SinkCore
@testable import SinkService
import SinkTesting
import Testing

/// The driver frees each OSS request task when it finishes. A task group whose finished children are never
/// awaited keeps every one of them (with its task allocator) until the group ends, so a long-running sink
/// would grow with every append.
@Suite struct SinkDriverMemoryTests {
    /// Acknowledges every append at once; counts them.
    final class InstantStore: SegmentStore {
        private let appends = SharedBox(0)

        var count: Int { appends.current }

        func append(_ request: AppendRequest) async -> AppendOutcome {
            appends.withLock { $0 += 1 }
            return .success(nextPosition: request.position + request.bytes.count, crc64: request.expectedCRC64)
        }

        func head(key: String) async -> HeadOutcome { .notFound }
        func read(key: String, range: Range<Int>) async -> RangeOutcome { .unavailable }
        func seal(_ request: SealRequest) async -> SealOutcome { .sealed }
        func tag(_ request: TagRequest) async -> TagOutcome { .success }
    }

    static func heapInUse() -> Int { Int(mallinfo2().uordblks) }

    @Test(.timeLimit(.minutes(2)))
    func finishedRequestTasksAreFreed() async throws {
        let settings = SinkSettings(
            keyTemplate: try KeyTemplate("{topic}/{partition}/{offset:020}{ext}"), batchMaxRecords: 1, linger: .zero,
            maxUncommittedBytes: 1 << 30)
        let store = InstantStore()
        var logger = Logger(label: "driver-memory")
        logger.logLevel = .critical
        let driver = SinkDriver(sink: try Sink(settings: settings), store: store, maxInflightRequests: 16,
                                handoverLimit: 1 << 20, observer: SinkObserver(logger: logger), logger: logger)
        let tp = TopicPartition(topic: "t", partition: 0)
        let running = Task { try await driver.run() }
        driver.emit(.assigned([PartitionAssignment(tp, committed: nil)]))

        func archive(_ offsets: Range<Int64>) async throws {
            for offset in offsets {
                let record = SinkRecord(topic: tp.topic, partition: 0, offset: offset, timestampMs: 1_700_000_000_000,
                                        value: Array("record \(offset)".utf8))
                let runs = RenderedRun.runs(of: [record], settings: settings, wallClockMs: record.timestampMs)
                driver.budget.acquire(runs[0].renderedBytes)
                driver.emitRendered(runs, bytes: runs[0].renderedBytes)
            }
            #expect(await eventually(timeout: .seconds(60), poll: .milliseconds(10)) { store.count == Int(offsets.upperBound) })
        }

        // One append per record. Warm up first, then measure the heap across many more appends.
        try await archive(0..<2000)
        let before = Self.heapInUse()
        try await archive(2000..<22000)
        let growth = Self.heapInUse() - before
        // 20,000 finished tasks kept alive would hold tens of MiB; freed, the heap stays where it was.
        #expect(growth < 8 << 20, "heap grew by \(growth) bytes over 20,000 appends")

        driver.abort(SinkServiceError(message: "test over"))
        _ = try? await running.value
    }
}
