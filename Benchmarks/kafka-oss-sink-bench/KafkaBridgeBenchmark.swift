import Foundation
import KafkaBridge
import Logging
import Synchronization

/// Consume-only throughput through the bridge, measured the same way as
/// `LibrdkafkaFloorBenchmark` (first record to last record) so the two can be printed side by side.
enum KafkaBridgeBenchmark {
    /// Consumes `expected` records of `topic` from the start as group `group` through `KafkaConsumer`
    /// (records converted to `KafkaRecord` values and handed over in batches, nothing else).
    static func consume(
        bootstrapServers: String, group: String, topic: String, expected: Int,
        timeout: Duration = .seconds(120), properties: [String: String] = [:], logger: Logger
    ) async throws -> LibrdkafkaFloorBenchmark.Result {
        let counter = CountingDelegate(expected: expected)
        let configuration = KafkaConsumerConfiguration(
            bootstrapServers: bootstrapServers, groupID: group, topics: [topic], statisticsInterval: nil, properties: properties)
        let consumer = try KafkaConsumer(configuration: configuration, delegate: counter, logger: logger)
        let finished = await counter.wait(timeout: timeout)
        try? await consumer.close(deadline: .seconds(10))
        let state = counter.state.withLock { $0 }
        guard finished else {
            throw KafkaError(code: .timedOut, message: "bridge benchmark consumed \(state.records) of \(expected) records within \(timeout)")
        }
        let seconds = Double(state.last!.uptimeNanoseconds - state.first!.uptimeNanoseconds) / 1e9
        return .init(records: state.records, bytes: state.bytes, seconds: seconds)
    }

    private final class CountingDelegate: KafkaConsumerDelegate, @unchecked Sendable {
        struct State {
            var records = 0
            var bytes = 0
            var first: DispatchTime?
            var last: DispatchTime?
        }
        let expected: Int
        let state = Mutex(State())
        let done = DispatchSemaphore(value: 0)

        init(expected: Int) { self.expected = expected }

        /// The path the sink takes: the records as librdkafka holds them, nothing copied.
        func consumer(_ control: KafkaConsumerControl, didReceive messages: KafkaMessageBatch) {
            count(records: messages.count, bytes: messages.payloadBytes)
        }

        private func count(records: Int, bytes: Int) {
            let now = DispatchTime.now()
            let reached = state.withLock { state -> Bool in
                if state.first == nil { state.first = now }
                state.last = now
                let before = state.records
                state.records += records
                state.bytes += bytes
                return before < expected && state.records >= expected
            }
            if reached { done.signal() }
        }

        func consumer(_ control: KafkaConsumerControl, didRebalance event: KafkaRebalanceEvent) {}

        func wait(timeout: Duration) async -> Bool {
            let ms = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            let semaphore = done
            return (try? await onBenchThread("kafka-bridge-benchmark-wait") {
                semaphore.wait(timeout: .now() + .milliseconds(ms)) == .success
            }) ?? false
        }
    }
}
