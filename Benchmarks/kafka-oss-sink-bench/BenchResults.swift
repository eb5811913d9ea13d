import Foundation

/// Everything one `bench` run measured; written as `bench-results.json` (snake_case keys) and printed as tables.
/// Rates: MB = 10^6 bytes of Kafka key + value (the same basis for the floor and the sink), GB = 10^9 bytes.
struct BenchResults: Codable, Sendable {
    var date: String
    var machine: BenchMachine
    var librdkafka: String
    var quick: Bool
    var sections: [String]
    var realistic: [RealisticResult]?
    var consume: [ConsumeResult]?
    var endToEnd: [SinkRunResult]?
    /// The floor measured between the end-to-end runs, one round before each round of runs: the basis of their
    /// `ratioToFloor`.
    var endToEndFloor: [ConsumeResult]?
    var memory: MemoryResult?
    var latency: LatencyResult?
    var crc64: CRCResult?
    var emulator: [EmulatorResult]?
    var replay: ReplayBenchResult?
    var targets: [TargetResult] = []
}

/// Consume-only throughput of one consumer over one pre-produced topic (median of `rounds`).
struct ConsumeResult: Codable, Sendable {
    var consumer: String
    var recordBytes: Int
    var partitions: Int
    var records: Int
    var rounds: Int
    var seconds: Double
    var recordsPerSecond: Double
    var mbPerSecond: Double
    /// Records/s of every round, in order.
    var roundRecordsPerSecond: [Double]
    /// This consumer's records/s over the floor's, for the same record size (nil for the floor).
    var ratioToFloor: Double?
    /// CPU seconds and minor page faults of the median round's child process over its whole life (start, group
    /// join, the run, close); nil for the floor in the bench process.
    var cpuSeconds: Double?
    var minorFaults: Int?
}

/// One end-to-end case, each run a sink in a child process: from the first consumed record until every offset was
/// committed.
struct SinkRunResult: Codable, Sendable {
    var format: String
    var compression: String
    var recordBytes: Int
    var partitions: Int
    var records: Int
    /// Runs of this case; every other field is the median run's (by records/s).
    var rounds: Int
    /// Records/s of every run, in order.
    var roundRecordsPerSecond: [Double]
    /// From the sink's first consumed record until the acknowledgement of the commit that completed the topic.
    var seconds: Double
    /// The part of `seconds` after the last consumed record: the last batches waiting for `linger`, their appends
    /// and commits.
    var drainSeconds: Double
    var recordsPerSecond: Double
    var mbPerSecond: Double
    var ratioToFloor: Double?
    /// Uncompressed cases: each run's records/s over the floor round run just before it, in order.
    var roundRatiosToFloor: [Double]?
    /// User + system CPU of the sink process over its whole life (start, group join, run, graceful stop).
    var cpuSeconds: Double
    /// CPU seconds per GB of Kafka payload.
    var cpuSecondsPerGB: Double
    /// The median run's CPU seconds per GB over the floor's (median of its rounds) in the same run: the stable
    /// efficiency figure where wall clock is not.
    var cpuRatioToFloor: Double?
    var maxRSSBytes: Int64
    /// Minor page faults of the sink process (fresh pages the kernel zeroed for it).
    var minorFaults: Int?
    /// Appends that landed (each is also an offset commit): the per-request work of the run.
    var appends: Int?
    var objects: Int
    /// Bytes stored in OSS (rendered, after compression).
    var objectBytes: Int
}

/// Peak RSS of the sink with many partitions under a backlog and a `max_buffered_bytes` bound.
struct MemoryResult: Codable, Sendable {
    var partitions: Int
    var records: Int
    var recordBytes: Int
    var maxBufferedBytes: Int
    var peakRSSBytes: Int64
    /// Peak `RssAnon`: the part of the resident set the process allocated, without its code and libraries.
    var peakAnonymousRSSBytes: Int64?
    /// `max_buffered_bytes` + 100 MiB (the memory target).
    var limitBytes: Int64
    var seconds: Double
    var recordsPerSecond: Double
    var cpuSeconds: Double
    /// Appends that landed: with many partitions and a small budget, batches are cut small and the CPU follows
    /// the number of appends more than the bytes.
    var appends: Int?
}

/// Produce-to-visible latency at a steady produce rate.
struct LatencyResult: Codable, Sendable {
    var ratePerSecond: Int
    var lingerMs: Int
    var recordBytes: Int
    var partitions: Int
    var seconds: Double
    var produced: Int
    var samples: Int
    var p50Ms: Double
    var p99Ms: Double
    var maxMs: Double
    /// How often the emulator was polled (adds up to this much to each sample).
    var pollIntervalMs: Double
}

struct CRCResult: Codable, Sendable {
    /// What `CRC64.update` runs on this CPU.
    var implementation: String
    var bufferBytes: Int
    var totalBytes: Int
    var seconds: Double
    var gbPerSecond: Double
    /// The portable slicing-by-8 table over the same buffer, for comparison.
    var tableGBPerSecond: Double
}

/// Appends to the emulator's memory store, directly or over HTTP with `OSSClient` (signing, CRC check).
struct EmulatorResult: Codable, Sendable {
    var path: String
    var bodyBytes: Int
    var appends: Int
    var seconds: Double
    var appendsPerSecond: Double
    var mbPerSecond: Double
}

/// One of the benchmark targets, evaluated on this run.
struct TargetResult: Codable, Sendable {
    var name: String
    var value: Double
    var target: String
    var met: Bool
}

extension BenchResults {
    func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Evaluates the benchmark targets from whatever sections ran.
    mutating func evaluateTargets() {
        targets = []
        for run in realistic ?? [] {
            let name = "realistic \(run.partitions) partitions, \(run.latencyMs) ms, \(run.maxBufferedBytes / 1_048_576) MiB"
            targets.append(.init(name: "\(name): stored MB/s", value: run.mbPerSecond,
                                 target: ">= \(Int(run.targetMBPerSecond))", met: run.mbPerSecond >= run.targetMBPerSecond))
            if let maximum = run.maxAppendsPerGB, let perGB = run.appendsPerGB {
                targets.append(.init(name: "\(name): appends per GB", value: perGB, target: "<= \(Int(maximum))", met: perGB <= maximum))
                targets.append(.init(name: "\(name): peak RSS (MiB)", value: Double(run.peakRSSBytes) / 1_048_576,
                                     target: "<= \(run.rssLimitBytes / 1_048_576)", met: run.peakRSSBytes <= run.rssLimitBytes))
            }
        }
        if let consume {
            for bridge in consume where bridge.consumer == BenchConsumerName.bridge {
                if let ratio = bridge.ratioToFloor {
                    targets.append(.init(name: "KafkaBridge consume-only / floor (\(bridge.recordBytes) B)", value: ratio,
                                         target: ">= 0.80", met: ratio >= 0.8))
                }
            }
        }
        for run in endToEnd ?? [] where run.recordBytes == 1024 && run.compression == "none" {
            let minimum = run.format == "raw" ? 0.5 : 0.3
            if let ratio = run.ratioToFloor {
                targets.append(.init(name: "end-to-end \(run.format)/none / floor (1 KiB)", value: ratio,
                                     target: ">= \(String(format: "%.2f", minimum))", met: ratio >= minimum))
            }
            let maximum = run.format == "raw" ? 2.0 : 2.5
            if let ratio = run.cpuRatioToFloor {
                targets.append(.init(name: "CPU s/GB \(run.format)/none / floor (1 KiB)", value: ratio,
                                     target: "<= \(String(format: "%.1f", maximum))", met: ratio <= maximum))
            }
        }
        if let memory {
            targets.append(.init(name: "peak RSS, \(memory.partitions) partitions (MiB)", value: Double(memory.peakRSSBytes) / 1_048_576,
                                 target: "<= \(memory.limitBytes / 1_048_576)", met: memory.peakRSSBytes <= memory.limitBytes))
        }
        if let replay {
            targets.append(.init(name: "replay / producer floor (1 KiB)", value: replay.ratioToFloor, target: ">= 0.50",
                                 met: replay.ratioToFloor >= 0.5))
        }
        if let latency {
            let limit = Double(latency.lingerMs + 300)
            targets.append(.init(name: "p99 produce-to-visible (ms)", value: latency.p99Ms,
                                 target: "<= \(Int(limit))", met: latency.p99Ms <= limit))
        }
    }
}

enum BenchConsumerName {
    static let floor = "librdkafka floor (C)"
    static let bridge = "KafkaBridge"
    /// The floor run inside the bench process (pre-faulted heap, never trimmed); for reference, not a target.
    static let floorInHarness = "floor in bench process"
}
