import ArgumentParser
import CBenchSupport
import Foundation
import Logging
import SinkApp

/// The benchmark suite, apart from the product: `kafka-oss-sink-bench [run]` measures; its children
/// (`sink-child`, `consume-child`) are the processes measured.
@main
struct KafkaOSSSinkBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-oss-sink-bench",
        abstract: "Run kafka-oss-sink's benchmark suite against an in-process mock cluster and OSS emulator.",
        subcommands: [
            BenchRunCommand.self, BenchSinkChildCommand.self, BenchConsumeChildCommand.self, BenchReplayChildCommand.self,
            BenchProduceChildCommand.self,
        ],
        defaultSubcommand: BenchRunCommand.self
    )

    static func main() async {
        // The harness set its allocator up in a constructor (CBenchSupport); the measured children get the sink's.
        if kos_is_bench_harness() == 0 {
            AllocatorSettings.apply()
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct BenchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the benchmarks and write a table to stdout and the results as JSON.",
        discussion: """
            Starts librdkafka's mock cluster (1 broker) and the OSS emulator (memory store) in this process, \
            pre-produces lz4-compressed records, and measures: (consume) the plain-C librdkafka batch consumer \
            floor and KafkaBridge consume-only, alternately, five rounds each, each in its own child process; \
            (throughput) the sink end to end, each run in its own child process, from its first consumed record \
            until the acknowledgement of the commit that completed the topic, for jsonl/none, raw/none, \
            jsonl/gzip and jsonl/zstd with 1 KiB and 100 B records (the uncompressed cases three times, each \
            round after a floor round, medians; the ratios are over those floor rounds), with CPU seconds and \
            peak RSS; (memory) peak \
            RSS with 1,000 partitions and max_buffered_bytes 64MiB; (latency) produce-to-visible p50/p99 at a \
            steady rate with linger 200ms; (crc) CRC-64 GB/s; (emulator) emulator appends/s; (replay) replay of an \
            archive of 1 KiB records from the emulator next to a plain-C librdkafka producer producing the same records \
            from memory (the floor), alternating rounds in child processes. Run it on a \
            release build (`make bench`); a debug build is 10-50x slower. Exits 1 when a benchmark cannot run.
            """
    )

    @Option(help: "Comma-separated sections to run: \(BenchSection.allCases.map(\.rawValue).joined(separator: ",")) (default: all).")
    var only: String?

    @Flag(help: "Small counts for a smoke check (under a minute, also in a debug build). The numbers mean little.")
    var quick = false

    @Option(help: "1 KiB records per end-to-end run (the 100 B topic gets 10/3 as many; partitions follow).")
    var records: Int?

    @Option(help: "Comma-separated end-to-end cases to run, as format/compression (default: \(BenchPlan.allSinkCases.joined(separator: ","))).")
    var sinks: String?

    @Option(help: "Runs of each uncompressed end-to-end case, each round after a floor round; the medians count (default: \(BenchPlan.full.sinkRounds), 1 with --quick).")
    var sinkRounds: Int?

    @Option(name: .customLong("kafka-property"), help: "NAME=VALUE: an extra librdkafka property for every sink run (repeatable), for experiments.")
    var kafkaProperties: [String] = []

    @Option(help: "Where to write the results as JSON.")
    var output: String = "bench-results.json"

    @Flag(help: "Also print the results as JSON on stdout after the table.")
    var json = false

    func validate() throws {
        _ = try sections()
        _ = try sinkCases()
        if let records, records < 1000 { throw ValidationError("--records must be at least 1000, got \(records)") }
        if let sinkRounds, !(1...9).contains(sinkRounds) { throw ValidationError("--sink-rounds must be 1 to 9, got \(sinkRounds)") }
        for property in kafkaProperties where !property.contains("=") {
            throw ValidationError("--kafka-property must be NAME=VALUE, got '\(property)'")
        }
    }

    func sections() throws -> [BenchSection] {
        guard let only else { return BenchSection.allCases }
        var result: [BenchSection] = []
        for name in only.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let section = BenchSection(rawValue: name) else {
                throw ValidationError("--only: unknown section '\(name)'; choose from \(BenchSection.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !result.contains(section) { result.append(section) }
        }
        guard !result.isEmpty else { throw ValidationError("--only names no section") }
        return BenchSection.allCases.filter(result.contains)
    }

    func sinkCases() throws -> [String] {
        guard let sinks else { return BenchPlan.allSinkCases }
        let names = sinks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where !BenchPlan.allSinkCases.contains(name) {
            throw ValidationError("--sinks: unknown case '\(name)'; choose from \(BenchPlan.allSinkCases.joined(separator: ", "))")
        }
        guard !names.isEmpty else { throw ValidationError("--sinks names no case") }
        return BenchPlan.allSinkCases.filter(names.contains)
    }

    func run() async throws {
        var plan = quick ? BenchPlan.quick : BenchPlan.full
        if let records { plan.scale(records1KiB: records) }
        if let sinkRounds { plan.sinkRounds = sinkRounds }
        plan.sinkCases = try sinkCases()
        for property in kafkaProperties {
            let parts = property.split(separator: "=", maxSplits: 1).map(String.init)
            plan.sinkKafkaProperties[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        var logger = Logger(label: "kafka-oss-sink-bench")
        logger.logLevel = .warning
        let started = monotonicNanoseconds()
        let runner = BenchRunner(plan: plan, sections: try sections(), quick: quick, logger: logger) { line in
            StandardError.write(String(format: "[%6.1fs] ", Double(monotonicNanoseconds() - started) / 1e9) + line + "\n")
        }
        let results: BenchResults
        do {
            results = try await runner.run()
        } catch {
            StandardError.write("error: bench failed: \(error)\n")
            throw ExitCode(1)
        }
        print(results.markdown)
        let data = try results.jsonData()
        do {
            try data.write(to: URL(fileURLWithPath: output))
        } catch {
            StandardError.write("error: cannot write \(output): \(error.localizedDescription); choose another --output\n")
            throw ExitCode(1)
        }
        if json { print(String(decoding: data, as: UTF8.self)) }
        // The table first, even when standard output and standard error go to one file.
        fflush(nil)
        StandardError.write("results written to \(output)\n")
    }
}

/// The sink for one benchmark run, started by `run` in a child process (not for direct use).
struct BenchSinkChildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink-child",
        abstract: "Internal: run the sink for one benchmark case until SIGTERM.",
        shouldDisplay: false
    )

    @Option(help: "Path to the YAML configuration file.")
    var config: String

    @Option(help: "Where to write the JSON report on exit.")
    var report: String

    func run() async throws {
        try await BenchSinkChild.run(configPath: config, reportPath: report)
    }
}

/// One consume-only round, started by `run` in a child process (not for direct use).
struct BenchConsumeChildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume-child",
        abstract: "Internal: consume a topic once with the librdkafka floor or KafkaBridge and report the rate.",
        shouldDisplay: false
    )

    @Option(help: "floor or bridge.")
    var consumer: String

    @Option(help: "The mock cluster's bootstrap servers.")
    var bootstrapServers: String

    @Option(help: "A consumer group new to the topic (it reads from the start).")
    var group: String

    @Option(help: "The topic to read.")
    var topic: String

    @Option(help: "Records to read before stopping.")
    var expected: Int

    @Option(help: "Where to write the JSON report on exit.")
    var report: String

    func validate() throws {
        guard BenchConsumer(rawValue: consumer) != nil else {
            throw ValidationError("--consumer: unknown consumer '\(consumer)'; choose floor or bridge")
        }
        guard expected > 0 else { throw ValidationError("--expected must be positive, got \(expected)") }
    }

    func run() async throws {
        try await BenchConsumeChild.run(
            consumer: BenchConsumer(rawValue: consumer)!, bootstrapServers: bootstrapServers, group: group, topic: topic,
            expected: expected, reportPath: report)
    }
}

/// One replay run, started by `run` in a child process (not for direct use).
struct BenchReplayChildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-child",
        abstract: "Internal: replay an archived topic once and report the rate.",
        shouldDisplay: false
    )

    @Option(help: "Path to the YAML configuration file.")
    var config: String

    @Option(help: "The archived topic.")
    var topic: String

    @Option(help: "The topic to produce to.")
    var toTopic: String

    @Option(help: "Where to write the JSON report on exit.")
    var report: String

    func run() async throws {
        try await BenchReplayChild.run(configPath: config, topic: topic, target: toTopic, reportPath: report)
    }
}

/// One round of the produce floor, started by `run` in a child process (not for direct use).
struct BenchProduceChildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce-child",
        abstract: "Internal: produce the replay benchmark's records from memory with plain librdkafka and report the rate.",
        shouldDisplay: false
    )

    @Option(help: "The mock cluster's bootstrap servers.")
    var bootstrapServers: String

    @Option(help: "The topic to produce to.")
    var topic: String

    @Option(help: "The archived topic the provenance headers name.")
    var archivedTopic: String

    @Option(help: "Partitions of the topic.")
    var partitions: Int

    @Option(help: "Records to produce.")
    var records: Int

    @Option(help: "Where to write the JSON report on exit.")
    var report: String

    func run() async throws {
        try await BenchProduceChild.run(
            bootstrapServers: bootstrapServers, topic: topic, archivedTopic: archivedTopic, partitions: partitions, records: records,
            reportPath: report)
    }
}
