import Foundation
import KafkaBridge
import NIOCore
import OSSEmulator
#if canImport(Glibc)
import Glibc
#endif

extension BenchThroughput {
    /// Section 4: records produced at a steady `rate` carry their produce time (`lat=<CLOCK_MONOTONIC ns>;` at the
    /// start of the value); the emulator's objects are polled every few milliseconds and each record's latency is
    /// the moment its bytes were first readable there minus its produce time.
    func latency(rate: Int, seconds: Double, partitions: Int, recordBytes: Int, linger: Int) async throws -> LatencyResult {
        let topic = "bench-latency-\(stack.runID)"
        try stack.cluster.createTopic(topic, partitions: partitions)
        let settings = BenchSinkSettings(format: "jsonl", compression: "none", linger: "\(linger)ms")
        let run = try BenchSinkChildRun(stack: stack, label: "latency", topic: topic, settings: settings)
        let producer = try KafkaTestProducer(
            bootstrapServers: stack.cluster.bootstrapServers, compression: .lz4, properties: ["linger.ms": "5"], logger: logger)
        defer { producer.close() }
        let valueBytes = recordBytes - BenchPayload.keyBytes
        let count = Int(Double(rate) * seconds)
        let poll = Duration.milliseconds(5)
        let observer = LatencyObserver(stack: stack, prefix: run.prefix)
        let outcome: BenchSinkOutcome
        do {
            // Warm up: one record per partition, archived and committed, so the group is joined and every
            // partition has its segment open before the clock starts.
            try await producer.produce(count: partitions) { index in
                KafkaProducerRecord(topic: topic, partition: Int32(index), key: BenchPayload.key(index),
                                    value: BenchPayload.value(index, size: valueBytes, prefix: LatencyObserver.marker(0)))
            }
            try await producer.flush()
            try await run.waitUntilCommitted(
                topic: topic, endOffsets: Dictionary(uniqueKeysWithValues: (0..<partitions).map { (Int32($0), Int64(1)) }),
                interval: .milliseconds(20), timeout: .seconds(60))

            let observing = Task { await observer.run(until: count, every: poll, deadline: .seconds(seconds + 30)) }
            let start = monotonicNanoseconds()
            let interval = 1e9 / Double(rate)
            try await producer.produce(count: count) { index in
                let due = start + UInt64(Double(index) * interval)
                let now = monotonicNanoseconds()
                if due > now {
                    var pause = timespec(tv_sec: Int(due - now) / 1_000_000_000, tv_nsec: Int(due - now) % 1_000_000_000)
                    nanosleep(&pause, nil)
                }
                return KafkaProducerRecord(
                    topic: topic, partition: Int32(index % partitions), key: BenchPayload.key(index),
                    value: BenchPayload.value(index, size: valueBytes, prefix: LatencyObserver.marker(monotonicNanoseconds())))
            }
            try await producer.flush()
            await observing.value
            var endOffsets: [Int32: Int64] = [:]
            for p in 0..<partitions { endOffsets[Int32(p)] = 1 + Int64(count / partitions + (p < count % partitions ? 1 : 0)) }
            try await run.waitUntilCommitted(topic: topic, endOffsets: endOffsets, interval: .milliseconds(20), timeout: .seconds(60))
            outcome = try await run.stop()
        } catch {
            await run.abandon()
            throw error
        }
        await stack.deleteObjects(prefix: outcome.prefix)
        let samples = observer.latencies.sorted()
        guard samples.count == count else {
            throw BenchFailure("latency: saw \(samples.count) of \(count) produced records in the emulator")
        }
        let result = LatencyResult(
            ratePerSecond: rate, lingerMs: linger, recordBytes: recordBytes, partitions: partitions, seconds: seconds, produced: count,
            samples: samples.count, p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99), maxMs: samples.last ?? 0,
            pollIntervalMs: 5)
        progress(String(format: "  latency at %d records/s, linger %d ms: p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                        rate, linger, result.p50Ms, result.p99Ms, result.maxMs))
        return result
    }
}

/// Polls the emulator's memory store for new bytes under a prefix and turns latency markers into samples (ms).
final class LatencyObserver: @unchecked Sendable {
    let stack: BenchStack
    let prefix: String
    private(set) var latencies: [Double] = []
    private var seen: [String: UInt64] = [:]
    static let tag = Array("lat=".utf8)

    init(stack: BenchStack, prefix: String) {
        self.stack = stack
        self.prefix = prefix
    }

    /// `lat=` and the time as 19 digits, then `;`.
    static func marker(_ nanoseconds: UInt64) -> [UInt8] {
        var digits = [UInt8](repeating: 0x30, count: 19)
        var n = nanoseconds
        for i in stride(from: 18, through: 0, by: -1) {
            digits[i] = 0x30 + UInt8(n % 10)
            n /= 10
        }
        return tag + digits + [0x3B]
    }

    /// Polls every `every` until `count` samples were taken or `deadline` passed.
    func run(until count: Int, every: Duration, deadline: Duration) async {
        let end = ContinuousClock.now + deadline
        while latencies.count < count, ContinuousClock.now < end {
            await pollOnce()
            try? await Task.sleep(for: every)
        }
    }

    private func pollOnce() async {
        for record in stack.emulator.store.list(bucket: stack.bucket) where record.key.hasPrefix(prefix) {
            let from = seen[record.key] ?? 0
            let to = record.length
            guard to > from else { continue }
            guard let read = try? await stack.emulator.store.read(bucket: stack.bucket, key: record.key, range: { _ in from..<to }) else {
                continue
            }
            let now = monotonicNanoseconds()
            seen[record.key] = to
            var bytes: [UInt8] = []
            for var buffer in read.body { bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
            scan(bytes, observedAt: now)
        }
    }

    private func scan(_ bytes: [UInt8], observedAt now: UInt64) {
        let tag = Self.tag
        var i = 0
        let limit = bytes.count - tag.count - 19
        while i < limit {
            if bytes[i] == tag[0], bytes[i + 1] == tag[1], bytes[i + 2] == tag[2], bytes[i + 3] == tag[3] {
                var value: UInt64 = 0
                for d in bytes[(i + 4)..<(i + 23)] { value = value * 10 + UInt64(d &- 0x30) }
                if value > 0 { latencies.append(Double(now &- value) / 1e6) }
                i += 23
            } else {
                i += 1
            }
        }
    }
}
