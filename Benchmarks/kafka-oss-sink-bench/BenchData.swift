import Foundation
import KafkaBridge
import LocalStack
import Logging
import NIOCore
import OSSEmulator
import OSSSigning

/// Record contents for the benchmarks: JSON events of an exact size (key + value), with varying fields and
/// text drawn from a word list, so they compress about as well as real event logs (lz4 roughly 2-3x), never
/// contain a newline, and are cheap to generate.
enum BenchPayload {
    static let words: [[UInt8]] = [
        "account", "added", "after", "amount", "basket", "before", "billing", "browser", "button", "cancel",
        "card", "cart", "checkout", "city", "click", "close", "country", "coupon", "credit", "currency",
        "customer", "debit", "delivery", "device", "discount", "email", "error", "event", "failed", "filter",
        "home", "invoice", "item", "language", "list", "login", "logout", "mobile", "order", "page",
        "payment", "price", "product", "profile", "quantity", "refund", "region", "remove", "request", "retry",
        "search", "session", "shipping", "signup", "status", "store", "success", "tablet", "timeout", "total",
        "update", "user", "view", "warehouse",
    ].map { Array($0.utf8) }
    static let hex = Array("0123456789abcdef".utf8)

    /// Key bytes: `user-` and 7 digits (12 bytes).
    static let keyBytes = 12

    static func key(_ index: Int) -> [UInt8] {
        var key = Array("user-".utf8)
        var digits = [UInt8](repeating: 0x30, count: 7)
        var n = (index &* 2_654_435_761) % 10_000_000
        for i in stride(from: 6, through: 0, by: -1) {
            digits[i] = 0x30 + UInt8(n % 10)
            n /= 10
        }
        key += digits
        return key
    }

    /// A value of exactly `size` bytes: `prefix` (for example a latency marker), then a JSON-like event.
    static func value(_ index: Int, size: Int, prefix: [UInt8] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out += prefix
        var state = UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        out += Array("{\"seq\":\(index),\"session\":\"".utf8)
        var r = next()
        for _ in 0..<16 {
            out.append(hex[Int(r & 15)])
            r >>= 4
        }
        out += Array("\",\"amount\":\(next() % 100_000),\"text\":\"".utf8)
        while out.count < size - 2 {
            out += words[Int(next() % UInt64(words.count))]
            out.append(0x20)
        }
        out.removeLast(max(0, out.count - (size - 2)))
        out += [0x22, 0x7D]  // "}
        return out
    }
}

/// A pre-produced topic and what it holds.
struct BenchTopic: Sendable {
    var name: String
    var partitions: Int
    var records: Int
    /// Key + value bytes per record.
    var recordBytes: Int
    /// Next offset per partition (= records per partition, produced from 0).
    var endOffsets: [Int32: Int64]

    var payloadBytes: Int { records * recordBytes }
}

/// The local stack (mock Kafka cluster, OSS emulator with a memory store) every benchmark runs against, in this
/// process.
final class BenchStack: Sendable {
    let stack: SinkStack
    let logger: Logger
    let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    /// Extra librdkafka properties for every sink run (`--kafka-property`).
    let sinkKafkaProperties: [String: String]
    static let credentials = OSSCredentials(accessKeyId: "bench-key-id", accessKeySecret: "bench-secret-not-real")

    var cluster: MockKafkaCluster { stack.cluster }
    var emulator: OSSEmulatorServer { stack.emulator }
    var endpoint: String { stack.endpoint }
    var bucket: String { stack.bucket }

    init(logger: Logger, sinkKafkaProperties: [String: String] = [:]) async throws {
        self.logger = logger
        self.sinkKafkaProperties = sinkKafkaProperties
        stack = try await SinkStack(bucket: "bench-archive", credentials: Self.credentials, faultAdminEnabled: false, logger: logger)
    }

    func shutdown() async {
        await stack.shutdown()
    }

    /// Creates `name` and produces `records` records of `recordBytes` (12-byte key + value) round-robin over
    /// the partitions, lz4-compressed; then checks with the watermarks that the mock cluster kept every one.
    /// - Throws: `BenchFailure` when the mock cluster dropped old records (it keeps a few MB per partition).
    func produceTopic(_ label: String, partitions: Int, records: Int, recordBytes: Int) async throws -> BenchTopic {
        let name = "bench-\(label)-\(runID)"
        try cluster.createTopic(name, partitions: partitions)
        let producer = try KafkaTestProducer(
            bootstrapServers: cluster.bootstrapServers, compression: .lz4,
            properties: ["linger.ms": "20", "batch.num.messages": "10000"], logger: logger)
        defer { producer.close() }
        let valueBytes = recordBytes - BenchPayload.keyBytes
        try await producer.produce(count: records) { index in
            KafkaProducerRecord(
                topic: name, partition: Int32(index % partitions), key: BenchPayload.key(index),
                value: BenchPayload.value(index, size: valueBytes))
        }
        try await producer.flush(timeout: .seconds(300))
        guard producer.deliveredCount == records else {
            throw BenchFailure("producing to \(name) delivered \(producer.deliveredCount) of \(records) records")
        }
        var endOffsets: [Int32: Int64] = [:]
        for p in 0..<partitions {
            endOffsets[Int32(p)] = Int64(records / partitions + (p < records % partitions ? 1 : 0))
        }
        try await checkKept(topic: name, endOffsets: endOffsets)
        return BenchTopic(name: name, partitions: partitions, records: records, recordBytes: recordBytes, endOffsets: endOffsets)
    }

    /// Every partition still starts at offset 0 and ends where expected.
    func checkKept(topic: String, endOffsets: [Int32: Int64]) async throws {
        let reader = try KafkaOffsetReader(bootstrapServers: cluster.bootstrapServers, group: "bench-watermarks-\(runID)")
        defer { reader.close() }
        let problems: [String] = try await onBenchThread("bench-watermarks") {
            var problems: [String] = []
            for (partition, end) in endOffsets.sorted(by: { $0.key < $1.key }) {
                let (low, high) = try reader.watermarks(topic: topic, partition: partition)
                if low != 0 || high != end { problems.append("[\(partition)] holds \(low)..<\(high), expected 0..<\(end)") }
            }
            return problems
        }
        guard problems.isEmpty else {
            throw BenchFailure(
                "the mock cluster did not keep every record of \(topic) (it keeps a few MB per partition): "
                    + problems.prefix(3).joined(separator: ", ") + "; use more partitions or fewer records")
        }
    }

    /// Objects under `prefix`: count, total bytes, and (when `countLines`) the number of `\n` bytes.
    func inspect(prefix: String, countLines: Bool) async throws -> (objects: Int, bytes: Int, lines: Int) {
        var objects = 0, bytes = 0, lines = 0
        for record in emulator.store.list(bucket: bucket) where record.key.hasPrefix(prefix) {
            objects += 1
            bytes += Int(record.length)
            guard countLines, let read = try await emulator.store.read(bucket: bucket, key: record.key) else { continue }
            for buffer in read.body {
                lines += buffer.withUnsafeReadableBytes { raw in
                    var count = 0
                    var cursor = raw.baseAddress
                    var left = raw.count
                    while left > 0, let base = cursor, let hit = memchr(base, 0x0A, left) {
                        count += 1
                        let consumed = base.distance(to: UnsafeRawPointer(hit)) + 1
                        cursor = base + consumed
                        left -= consumed
                    }
                    return count
                }
            }
        }
        return (objects, bytes, lines)
    }

    /// Deletes every object under `prefix` (frees the memory store).
    func deleteObjects(prefix: String) async {
        for record in emulator.store.list(bucket: bucket) where record.key.hasPrefix(prefix) {
            _ = try? await emulator.store.delete(bucket: bucket, key: record.key)
        }
    }
}
