import Foundation
import KafkaBridge
import Logging

/// Sections 1 and 2: consume-only throughput (the plain-C floor and KafkaBridge) and end-to-end sink runs.
struct BenchThroughput {
    let stack: BenchStack
    let plan: BenchPlan
    let logger: Logger
    let progress: @Sendable (String) -> Void

    /// Floor and bridge alternately, `plan.consumeRounds` rounds each, on `topic`, each round in a child process of
    /// its own with the sink's allocator settings (as the sink runs are); medians. The floor of the same topic in
    /// this process, whose heap is pre-faulted and never trimmed, is measured alongside for reference.
    func consume(_ topic: BenchTopic) async throws -> [ConsumeResult] {
        var floor: [BenchConsumeRound] = []
        var bridge: [BenchConsumeRound] = []
        var inProcess: [BenchConsumeRound] = []
        for round in 1...plan.consumeRounds {
            let group = "\(stack.runID)-\(topic.recordBytes)-\(round)"
            let f = try await stack.consumeInChild(.floor, topic: topic, group: "bench-floor-\(group)", timeout: plan.sinkTimeout)
            let b = try await stack.consumeInChild(.bridge, topic: topic, group: "bench-bridge-\(group)", timeout: plan.sinkTimeout)
            let h = try await LibrdkafkaFloorBenchmark.consume(
                bootstrapServers: stack.cluster.bootstrapServers, group: "bench-floor-harness-\(group)",
                topic: topic.name, expected: topic.records)
            let harness = BenchConsumeRound(result: h, usage: nil)
            for (name, r) in [(BenchConsumerName.floor, f.result), (BenchConsumerName.bridge, b.result), (BenchConsumerName.floorInHarness, h)] {
                try checkCounts(r, of: topic, "consume round \(round) of \(topic.name): \(name)")
            }
            floor.append(f)
            bridge.append(b)
            inProcess.append(harness)
            progress(String(format: "  consume %@ round %d: floor %.0f records/s, bridge %.0f records/s (floor in the bench process %.0f)",
                            describe(topic), round, f.result.recordsPerSecond, b.result.recordsPerSecond, h.recordsPerSecond))
        }
        let floorResult = summarize(BenchConsumerName.floor, topic, floor, floorRate: nil)
        return [
            floorResult, summarize(BenchConsumerName.bridge, topic, bridge, floorRate: floorResult.recordsPerSecond),
            summarize(BenchConsumerName.floorInHarness, topic, inProcess, floorRate: floorResult.recordsPerSecond),
        ]
    }

    /// - Throws: `BenchFailure` naming `what` when a consumer did not count exactly the records and bytes of `topic`.
    private func checkCounts(_ r: LibrdkafkaFloorBenchmark.Result, of topic: BenchTopic, _ what: String) throws {
        guard r.records == topic.records, r.bytes == topic.payloadBytes else {
            throw BenchFailure("\(what) counted \(r.records) records, \(r.bytes) B; expected \(topic.records) records, \(topic.payloadBytes) B")
        }
    }

    /// The middle element by `rate` (the faster of the two middle ones for an even count).
    private func median<T>(_ items: [T], by rate: (T) -> Double) -> T {
        items.sorted { rate($0) < rate($1) }[items.count / 2]
    }

    private func summarize(_ name: String, _ topic: BenchTopic, _ rounds: [BenchConsumeRound], floorRate: Double?) -> ConsumeResult {
        let middle = median(rounds) { $0.result.recordsPerSecond }
        return ConsumeResult(
            consumer: name, recordBytes: topic.recordBytes, partitions: topic.partitions, records: topic.records, rounds: rounds.count,
            seconds: middle.result.seconds, recordsPerSecond: middle.result.recordsPerSecond, mbPerSecond: middle.result.megabytesPerSecond,
            roundRecordsPerSecond: rounds.map(\.result.recordsPerSecond), ratioToFloor: floorRate.map { middle.result.recordsPerSecond / $0 },
            cpuSeconds: middle.usage?.cpuSeconds, minorFaults: middle.usage?.minorFaults)
    }

    /// Every case in `cases` over the whole of `topic`, against the floor measured in the same minutes: `rounds`
    /// rounds of (a floor child, then each uncompressed case), then each compressed case once. One result per case,
    /// in order, from its median run by records/s, its ratio over the median of these floor rounds (which is
    /// returned too). Single runs on a shared machine drift by a third within minutes; a floor measured in another
    /// section, minutes earlier, would carry that drift into the ratio.
    func endToEnd(_ topic: BenchTopic, _ cases: [BenchSinkSettings], rounds: Int) async throws
        -> (runs: [SinkRunResult], floor: ConsumeResult) {
        var runs: [[SinkRunResult]] = Array(repeating: [], count: cases.count)
        var floor: [BenchConsumeRound] = []
        for round in 1...max(1, rounds) {
            let f = try await stack.consumeInChild(
                .floor, topic: topic, group: "bench-e2e-floor-\(stack.runID)-\(topic.recordBytes)-\(round)", timeout: plan.sinkTimeout)
            try checkCounts(f.result, of: topic, "floor round \(round) of \(topic.name)")
            floor.append(f)
            progress(String(format: "  floor %@ round %d: %.0f records/s", describe(topic), round, f.result.recordsPerSecond))
            for (i, settings) in cases.enumerated() where settings.compression == "none" {
                runs[i].append(try await endToEnd(topic, settings))
            }
        }
        for (i, settings) in cases.enumerated() where settings.compression != "none" {
            runs[i].append(try await endToEnd(topic, settings))
        }
        let floorResult = summarize(BenchConsumerName.floor, topic, floor, floorRate: nil)
        // CPU seconds per GB of the floor (its rounds' median), the basis of the CPU-efficiency ratio.
        let floorCPUs = floor.compactMap { $0.usage?.cpuSeconds }.sorted()
        let floorCPUPerGB = floorCPUs.isEmpty ? nil : floorCPUs[floorCPUs.count / 2] / (Double(topic.payloadBytes) / 1e9)
        let results = zip(cases, runs).map { settings, caseRuns in
            var middle = median(caseRuns, by: \.recordsPerSecond)
            middle.rounds = caseRuns.count
            middle.roundRecordsPerSecond = caseRuns.map(\.recordsPerSecond)
            middle.ratioToFloor = middle.recordsPerSecond / floorResult.recordsPerSecond
            let cpus = caseRuns.map(\.cpuSecondsPerGB).sorted()
            middle.cpuRatioToFloor = floorCPUPerGB.map { cpus[cpus.count / 2] / $0 }
            if settings.compression == "none" {
                // Each run right after its own floor round: the pair shares the machine's state of that minute.
                middle.roundRatiosToFloor = zip(caseRuns, floor).map { $0.recordsPerSecond / $1.result.recordsPerSecond }
            }
            return middle
        }
        return (results, floorResult)
    }

    /// One sink run over the whole of `topic` with `settings`; checks the stored line count for uncompressed formats.
    func endToEnd(_ topic: BenchTopic, _ settings: BenchSinkSettings) async throws -> SinkRunResult {
        let run = try BenchSinkChildRun(stack: stack, label: "\(settings.format)-\(settings.compression)-\(topic.recordBytes)",
                                        topic: topic.name, settings: settings)
        let outcome = try await run.complete(
            topic: topic.name, endOffsets: topic.endOffsets, interval: .milliseconds(100), timeout: plan.sinkTimeout)
        let uncompressed = settings.compression == "none"
        let stored = try await stack.inspect(prefix: outcome.prefix, countLines: uncompressed)
        await stack.deleteObjects(prefix: outcome.prefix)
        if uncompressed, stored.lines != topic.records {
            throw BenchFailure("\(settings.format)/none run stored \(stored.lines) lines for \(topic.records) records under \(outcome.prefix)")
        }
        let rate = Double(topic.records) / outcome.seconds
        let result = SinkRunResult(
            format: settings.format, compression: settings.compression, recordBytes: topic.recordBytes, partitions: topic.partitions,
            records: topic.records, rounds: 1, roundRecordsPerSecond: [rate], seconds: outcome.seconds,
            drainSeconds: outcome.drainSeconds, recordsPerSecond: rate,
            mbPerSecond: Double(topic.payloadBytes) / outcome.seconds / 1e6, ratioToFloor: nil,
            cpuSeconds: outcome.usage.cpuSeconds, cpuSecondsPerGB: outcome.usage.cpuSeconds / (Double(topic.payloadBytes) / 1e9), cpuRatioToFloor: nil,
            maxRSSBytes: outcome.usage.maxRSSBytes, minorFaults: outcome.usage.minorFaults, appends: outcome.appends,
            objects: stored.objects, objectBytes: stored.bytes)
        progress(String(format: "  sink %@/%@ %@: %.0f records/s, %.1f MB/s, drain %.2f s, %.2f CPU s, %d page faults, %@ appends, %d objects",
                        settings.format, settings.compression, describe(topic), rate, result.mbPerSecond, result.drainSeconds, result.cpuSeconds,
                        outcome.usage.minorFaults, outcome.appends.map(String.init) ?? "-", stored.objects))
        return result
    }

    private func describe(_ topic: BenchTopic) -> String {
        "\(topic.records) x \(topic.recordBytes) B over \(topic.partitions) partitions"
    }
}
