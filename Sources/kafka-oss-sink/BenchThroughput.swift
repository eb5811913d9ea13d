import Foundation
import KafkaBridge
import Logging

/// Sections 1 and 2: consume-only throughput (the plain-C floor and KafkaBridge) and end-to-end sink runs.
struct BenchThroughput {
    let stack: BenchStack
    let plan: BenchPlan
    let logger: Logger
    let progress: @Sendable (String) -> Void

    /// Floor and bridge alternately, `plan.consumeRounds` rounds each, on `topic`; medians.
    func consume(_ topic: BenchTopic) async throws -> [ConsumeResult] {
        var floor: [LibrdkafkaFloorBenchmark.Result] = []
        var bridge: [LibrdkafkaFloorBenchmark.Result] = []
        for round in 1...plan.consumeRounds {
            let f = try await LibrdkafkaFloorBenchmark.consume(
                bootstrapServers: stack.cluster.bootstrapServers, group: "bench-floor-\(stack.runID)-\(topic.recordBytes)-\(round)",
                topic: topic.name, expected: topic.records)
            let b = try await KafkaBridgeBenchmark.consume(
                bootstrapServers: stack.cluster.bootstrapServers, group: "bench-bridge-\(stack.runID)-\(topic.recordBytes)-\(round)",
                topic: topic.name, expected: topic.records, logger: logger)
            guard f.records == topic.records, b.records == topic.records, f.bytes == topic.payloadBytes, b.bytes == topic.payloadBytes else {
                throw BenchFailure("consume round \(round) of \(topic.name) counted floor \(f.records)/\(f.bytes) B, bridge \(b.records)/\(b.bytes) B; "
                    + "expected \(topic.records) records, \(topic.payloadBytes) B")
            }
            floor.append(f)
            bridge.append(b)
            progress(String(format: "  consume %@ round %d: floor %.0f records/s, bridge %.0f records/s",
                            describe(topic), round, f.recordsPerSecond, b.recordsPerSecond))
        }
        let floorResult = summarize(BenchConsumerName.floor, topic, floor, floorRate: nil)
        return [floorResult, summarize(BenchConsumerName.bridge, topic, bridge, floorRate: floorResult.recordsPerSecond)]
    }

    private func summarize(_ name: String, _ topic: BenchTopic, _ rounds: [LibrdkafkaFloorBenchmark.Result], floorRate: Double?) -> ConsumeResult {
        let median = rounds.sorted { $0.recordsPerSecond < $1.recordsPerSecond }[rounds.count / 2]
        return ConsumeResult(
            consumer: name, recordBytes: topic.recordBytes, partitions: topic.partitions, records: topic.records, rounds: rounds.count,
            seconds: median.seconds, recordsPerSecond: median.recordsPerSecond, mbPerSecond: median.megabytesPerSecond,
            roundRecordsPerSecond: rounds.map(\.recordsPerSecond), ratioToFloor: floorRate.map { median.recordsPerSecond / $0 })
    }

    /// One sink run over the whole of `topic` with `settings`; checks the stored line count for uncompressed formats.
    func endToEnd(_ topic: BenchTopic, _ settings: BenchSinkSettings, floorRate: Double?) async throws -> SinkRunResult {
        let run = try BenchSinkChildRun(stack: stack, label: "\(settings.format)-\(settings.compression)-\(topic.recordBytes)",
                                        topic: topic.name, settings: settings)
        let outcome = try await run.complete(
            topic: topic.name, endOffsets: topic.endOffsets, interval: .milliseconds(10), timeout: plan.sinkTimeout)
        let uncompressed = settings.compression == "none"
        let stored = try await stack.inspect(prefix: outcome.prefix, countLines: uncompressed)
        await stack.deleteObjects(prefix: outcome.prefix)
        if uncompressed, stored.lines != topic.records {
            throw BenchFailure("\(settings.format)/none run stored \(stored.lines) lines for \(topic.records) records under \(outcome.prefix)")
        }
        let rate = Double(topic.records) / outcome.seconds
        let result = SinkRunResult(
            format: settings.format, compression: settings.compression, recordBytes: topic.recordBytes, partitions: topic.partitions,
            records: topic.records, seconds: outcome.seconds, recordsPerSecond: rate,
            mbPerSecond: Double(topic.payloadBytes) / outcome.seconds / 1e6, ratioToFloor: floorRate.map { rate / $0 },
            cpuSeconds: outcome.usage.cpuSeconds, cpuSecondsPerGB: outcome.usage.cpuSeconds / (Double(topic.payloadBytes) / 1e9),
            maxRSSBytes: outcome.usage.maxRSSBytes, minorFaults: outcome.usage.minorFaults, objects: stored.objects,
            objectBytes: stored.bytes)
        progress(String(format: "  sink %@/%@ %@: %.0f records/s, %.1f MB/s, %.2f CPU s, %d page faults, %d objects",
                        settings.format, settings.compression, describe(topic), rate, result.mbPerSecond, result.cpuSeconds,
                        outcome.usage.minorFaults, stored.objects))
        return result
    }

    private func describe(_ topic: BenchTopic) -> String {
        "\(topic.records) x \(topic.recordBytes) B over \(topic.partitions) partitions"
    }
}
