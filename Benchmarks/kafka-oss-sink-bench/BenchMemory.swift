import Foundation

extension BenchThroughput {
    /// Section 3: the sink over a wide topic (many partitions, a backlog far above `max_buffered_bytes`) with the
    /// default batching; peak RSS is the child's own `VmHWM` (see `BenchChildReport.peakRSSBytes`).
    func memory(_ topic: BenchTopic, maxBufferedBytes: Int) async throws -> MemoryResult {
        let settings = BenchSinkSettings(format: "jsonl", compression: "none", linger: "1s",
                                         maxBufferedBytes: "\(maxBufferedBytes / 1_048_576)MiB")
        let run = try BenchSinkChildRun(stack: stack, label: "memory-\(topic.partitions)", topic: topic.name, settings: settings)
        let outcome = try await run.complete(
            topic: topic.name, endOffsets: topic.endOffsets, interval: .milliseconds(50), timeout: plan.sinkTimeout)
        await stack.deleteObjects(prefix: outcome.prefix)
        let result = MemoryResult(
            partitions: topic.partitions, records: topic.records, recordBytes: topic.recordBytes, maxBufferedBytes: maxBufferedBytes,
            peakRSSBytes: outcome.usage.maxRSSBytes, peakAnonymousRSSBytes: outcome.peakAnonymousRSSBytes, limitBytes: Int64(maxBufferedBytes) + 100 * 1_048_576,
            seconds: outcome.seconds, recordsPerSecond: Double(topic.records) / outcome.seconds, cpuSeconds: outcome.usage.cpuSeconds,
            appends: outcome.appends)
        progress(String(format: "  memory: %d partitions, peak RSS %.1f MiB (limit %.0f MiB), %.0f records/s, %.2f CPU s, %@ appends",
                        topic.partitions, Double(result.peakRSSBytes) / 1_048_576, Double(result.limitBytes) / 1_048_576,
                        result.recordsPerSecond, result.cpuSeconds, outcome.appends.map(String.init) ?? "-"))
        return result
    }
}
