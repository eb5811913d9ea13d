import CBenchSupport
import Foundation
import KafkaBridge
import Logging

/// Runs the selected sections against one bench stack and collects `BenchResults`.
struct BenchRunner {
    let plan: BenchPlan
    let sections: [BenchSection]
    let quick: Bool
    let logger: Logger
    let progress: @Sendable (String) -> Void

    func run() async throws -> BenchResults {
        var results = BenchResults(
            date: benchTimestamp(), machine: .current(), librdkafka: Librdkafka.versionString, quick: quick,
            sections: sections.map(\.rawValue))
        progress("kafka-oss-sink bench: \(results.machine.summary); sections \(sections.map(\.rawValue).joined(separator: ","))")
        // The mock cluster's topics and the emulator's objects then land on resident pages (see CBenchSupport).
        if plan.prefaultBytes > 0, kos_is_bench_harness() != 0 {
            let start = monotonicNanoseconds()
            let touched = kos_prefault_heap(plan.prefaultBytes, 4 << 20)
            progress(String(format: "faulted in %d MiB of heap for the mock cluster and the emulator (%.1f s)",
                            touched >> 20, Double(monotonicNanoseconds() - start) / 1e9))
        }
        let stack = try await BenchStack(logger: logger, sinkKafkaProperties: plan.sinkKafkaProperties)
        do {
            try await run(stack, into: &results)
        } catch {
            await stack.shutdown()
            throw error
        }
        await stack.shutdown()
        results.evaluateTargets()
        return results
    }

    private func run(_ stack: BenchStack, into results: inout BenchResults) async throws {
        let throughput = BenchThroughput(stack: stack, plan: plan, logger: logger, progress: progress)
        let wants = Set(sections)
        if wants.contains(.realistic) {
            progress("0. realistic: OSS latency and bandwidth, many partitions")
            var realistic: [RealisticResult] = []
            for realCase in plan.realisticCases {
                let topic = try await stack.produceTopic(
                    "real\(realCase.partitions)", partitions: realCase.partitions, records: realCase.records, recordBytes: 1024)
                realistic.append(try await throughput.realistic(topic, realCase))
            }
            results.realistic = realistic
        }
        if wants.contains(.consume) || wants.contains(.throughput) {
            progress("producing \(plan.records1KiB) x 1 KiB over \(plan.partitions1KiB) partitions and \(plan.records100B) x 100 B over \(plan.partitions100B) partitions")
            let big = try await stack.produceTopic("1k", partitions: plan.partitions1KiB, records: plan.records1KiB, recordBytes: 1024)
            let small = try await stack.produceTopic("100b", partitions: plan.partitions100B, records: plan.records100B, recordBytes: 100)
            if wants.contains(.consume) {
                progress("1. consume only")
                var consume: [ConsumeResult] = []
                for topic in [big, small] {
                    consume += try await throughput.consume(topic)
                }
                results.consume = consume
            }
            if wants.contains(.throughput) {
                progress("2. end to end")
                var runs: [SinkRunResult] = []
                var floors: [ConsumeResult] = []
                for topic in [big, small] {
                    let cases = plan.sinkCases.map { sinkCase -> BenchSinkSettings in
                        let parts = sinkCase.split(separator: "/").map(String.init)
                        return BenchSinkSettings(format: parts[0], compression: parts[1])
                    }
                    let (topicRuns, floor) = try await throughput.endToEnd(topic, cases, rounds: plan.sinkRounds)
                    runs += topicRuns
                    floors.append(floor)
                }
                results.endToEnd = runs
                results.endToEndFloor = floors
            }
        }
        if wants.contains(.memory) {
            progress("3. memory: producing \(plan.memoryRecords) x 1 KiB over \(plan.memoryPartitions) partitions")
            let wide = try await stack.produceTopic(
                "wide", partitions: plan.memoryPartitions, records: plan.memoryRecords, recordBytes: 1024)
            results.memory = try await throughput.memory(wide, maxBufferedBytes: plan.maxBufferedBytes)
        }
        if wants.contains(.latency) {
            progress("4. latency")
            results.latency = try await throughput.latency(
                rate: plan.latencyRate, seconds: plan.latencySeconds, partitions: plan.latencyPartitions, recordBytes: 1024,
                linger: plan.latencyLinger)
        }
        let micro = BenchMicro(stack: stack, plan: plan, logger: logger, progress: progress)
        if wants.contains(.crc) {
            progress("5. CRC-64")
            results.crc64 = micro.crc()
        }
        if wants.contains(.replay) {
            results.replay = try await BenchReplay(stack: stack, plan: plan, logger: logger, progress: progress).run()
        }
        if wants.contains(.emulator) {
            progress("5. emulator appends")
            results.emulator = try await micro.emulator(size: 1024, appends: plan.emulatorAppends1KiB)
                + micro.emulator(size: 1_048_576, appends: plan.emulatorAppends1MiB)
        }
    }
}
