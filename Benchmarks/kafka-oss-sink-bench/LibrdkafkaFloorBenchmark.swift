import CBenchSupport
import Foundation
import KafkaBridge

/// The consume-only floor for benchmarks: plain C (`kos_floor_batch_consume` in CBenchSupport)
/// that joins a group, batch-consumes with `rd_kafka_consume_batch_queue` and only counts.
/// Compare the bridge against it on the same cluster in the same run.
enum LibrdkafkaFloorBenchmark {
    struct Result: Sendable {
        var records: Int
        /// Key + value bytes.
        var bytes: Int
        /// From the first record to the last.
        var seconds: Double
        var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
        var megabytesPerSecond: Double { seconds > 0 ? Double(bytes) / seconds / 1_000_000 : 0 }

        init(records: Int, bytes: Int, seconds: Double) {
            self.records = records
            self.bytes = bytes
            self.seconds = seconds
        }
    }

    /// Consumes `expected` records of `topic` from the start as group `group`.
    /// Runs on a dedicated thread. `properties` are extra librdkafka properties.
    static func consume(
        bootstrapServers: String, group: String, topic: String, expected: Int,
        timeout: Duration = .seconds(120), properties: [String: String] = [:]
    ) async throws -> Result {
        let timeoutMs = Int32(clamping: Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        let flat = properties.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let raw = try await onBenchThread("kafka-floor-benchmark") { () -> RawResult in
            var cStrings: [UnsafeMutablePointer<CChar>?] = flat.map { strdup($0) } + [nil]  // never empty
            defer { cStrings.forEach { free($0) } }
            let result = cStrings.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buffer.count, 1)) { pointer in
                    kos_floor_batch_consume(bootstrapServers, group, topic, Int64(expected), timeoutMs, pointer, Int32(flat.count / 2))
                }
            }
            var errorText = result.errstr
            let message = withUnsafeBytes(of: &errorText) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return RawResult(
                records: Int(result.messages), bytes: Int(result.bytes), nanoseconds: Int(result.elapsed_ns),
                error: result.error != 0 ? message : nil
            )
        }
        if let error = raw.error {
            throw KafkaError(code: .consumer, message: "floor benchmark consumer failed: \(error)")
        }
        return Result(records: raw.records, bytes: raw.bytes, seconds: Double(raw.nanoseconds) / 1e9)
    }

    private struct RawResult: Sendable {
        var records: Int
        var bytes: Int
        var nanoseconds: Int
        var error: String?
    }
}
