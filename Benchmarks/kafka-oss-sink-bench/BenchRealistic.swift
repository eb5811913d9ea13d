import Foundation
import OSSEmulator

/// One case of the `realistic` section: OSS as it answers in production (a latency on every request and a
/// bandwidth cap on every connection), many partitions, a memory budget.
struct RealisticCase: Sendable {
    var partitions: Int
    var maxBufferedBytes: Int
    var latencyMilliseconds: Int
    var bytesPerSecond: Int
    var records: Int
    /// The throughput the case must reach (MB/s of bytes stored in OSS, first record to last commit).
    var targetMBPerSecond: Double
    /// At most this many appends per GB stored in OSS (nil: reported only).
    var maxAppendsPerGB: Double?
}

/// What one realistic run measured.
struct RealisticResult: Codable, Sendable {
    var partitions: Int
    var records: Int
    var recordBytes: Int
    var maxBufferedBytes: Int
    var latencyMs: Int
    var bandwidthMBPerSecond: Double
    var seconds: Double
    /// Bytes stored in OSS (the rendered objects) per second, first record to last commit: what OSS receives.
    var mbPerSecond: Double
    /// Kafka key + value bytes per second over the same time.
    var payloadMBPerSecond: Double
    var storedBytes: Int
    var appends: Int?
    /// Appends per GB stored in OSS (requests are billed per append).
    var appendsPerGB: Double?
    /// Stored object bytes per append.
    var meanAppendBytes: Double?
    var peakRSSBytes: Int64
    var cpuSeconds: Double
    var cpuSecondsPerGB: Double
    var targetMBPerSecond: Double
    var maxAppendsPerGB: Double?
    var rssLimitBytes: Int64
}

extension BenchThroughput {
    /// Section `realistic`: the sink with the defaults (but `max_buffered_bytes`) over a topic of `topic.partitions`
    /// partitions against the emulator with `latency` on every request and a bandwidth cap per connection.
    func realistic(_ topic: BenchTopic, _ realCase: RealisticCase) async throws -> RealisticResult {
        let faults = stack.emulator.faults
        faults.setNetworkConditions(OSSNetworkConditions(
            latencyMilliseconds: realCase.latencyMilliseconds, bytesPerSecond: realCase.bytesPerSecond))
        defer { faults.setNetworkConditions(OSSNetworkConditions()) }
        let settings = BenchSinkSettings(
            format: "jsonl", compression: "none", linger: "1s", maxBufferedBytes: "\(realCase.maxBufferedBytes / 1_048_576)MiB")
        let run = try BenchSinkChildRun(
            stack: stack, label: "realistic-\(topic.partitions)", topic: topic.name, settings: settings)
        let outcome = try await run.complete(
            topic: topic.name, endOffsets: topic.endOffsets, interval: .milliseconds(100), timeout: plan.sinkTimeout)
        let storedObjects = try await stack.inspect(prefix: outcome.prefix, countLines: true)
        await stack.deleteObjects(prefix: outcome.prefix)
        guard storedObjects.lines == topic.records else {
            throw BenchFailure("the realistic run over \(topic.partitions) partitions stored \(storedObjects.lines) lines for \(topic.records) records")
        }
        let stored = Double(storedObjects.bytes) / 1e9
        let result = RealisticResult(
            partitions: topic.partitions, records: topic.records, recordBytes: topic.recordBytes,
            maxBufferedBytes: realCase.maxBufferedBytes, latencyMs: realCase.latencyMilliseconds,
            bandwidthMBPerSecond: Double(realCase.bytesPerSecond) / 1e6, seconds: outcome.seconds,
            mbPerSecond: Double(storedObjects.bytes) / outcome.seconds / 1e6,
            payloadMBPerSecond: Double(topic.payloadBytes) / outcome.seconds / 1e6, storedBytes: storedObjects.bytes,
            appends: outcome.appends, appendsPerGB: outcome.appends.map { Double($0) / stored },
            meanAppendBytes: outcome.appends.flatMap { $0 > 0 ? Double(storedObjects.bytes) / Double($0) : nil },
            peakRSSBytes: outcome.usage.maxRSSBytes, cpuSeconds: outcome.usage.cpuSeconds,
            cpuSecondsPerGB: outcome.usage.cpuSeconds / stored, targetMBPerSecond: realCase.targetMBPerSecond,
            maxAppendsPerGB: realCase.maxAppendsPerGB, rssLimitBytes: Int64(realCase.maxBufferedBytes) + 100 * 1_048_576)
        progress(String(format: "  realistic %d partitions, %d MiB, %d ms: %.1f MB/s stored, %@ appends (%@/GB, mean %@ KB), peak RSS %.0f MiB, %.2f CPU s/GB",
                        topic.partitions, realCase.maxBufferedBytes / 1_048_576, realCase.latencyMilliseconds, result.mbPerSecond,
                        result.appends.map(String.init) ?? "-", result.appendsPerGB.map { String(format: "%.0f", $0) } ?? "-",
                        result.meanAppendBytes.map { String(format: "%.0f", $0 / 1000) } ?? "-",
                        Double(result.peakRSSBytes) / 1_048_576, result.cpuSecondsPerGB))
        return result
    }
}
