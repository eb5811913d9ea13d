/// Sizes of one bench run. The mock cluster keeps about 5 MB of (compressed) batches per partition: about 11,000
/// of these 1 KiB records or 95,000 of the 100 B ones. Record counts come with enough partitions to keep every
/// record (at most 9,400 and 62,500 per partition); `BenchStack.produceTopic` checks the watermarks.
struct BenchPlan: Sendable {
    var records1KiB: Int
    var partitions1KiB: Int
    var records100B: Int
    var partitions100B: Int
    var consumeRounds: Int
    /// Runs of each uncompressed end-to-end case (the ones with targets; the median counts). Compressed cases run once.
    var sinkRounds = 1
    var memoryPartitions = 1000
    var memoryRecords: Int
    var maxBufferedBytes = 64 * 1_048_576
    var latencyRate: Int
    var latencySeconds: Double
    var latencyPartitions = 8
    var latencyLinger = 200
    var crcBufferBytes: Int
    var crcRounds: Int
    var emulatorAppends1KiB: Int
    var emulatorAppends1MiB: Int
    var sinkTimeout: Duration
    /// Section 6: 1 KiB records replayed from the emulator, over this many partitions, alternating with the floor.
    var replayRecords = 600_000
    var replayPartitions = 64
    var replayRounds = 3
    /// Heap the harness faults in before it starts (see CBenchSupport): the topics in the mock cluster plus the
    /// largest run's objects in the emulator.
    var prefaultBytes = 0
    /// The end-to-end cases (`format/compression`), each run with 1 KiB and 100 B records.
    var sinkCases = allSinkCases
    /// Extra librdkafka properties for every sink run (`--kafka-property NAME=VALUE`).
    var sinkKafkaProperties: [String: String] = [:]
    /// The `realistic` cases: OSS latency and bandwidth, many partitions, 1 KiB records.
    var realisticCases: [RealisticCase] = []

    static let allSinkCases = ["jsonl/none", "raw/none", "jsonl/gzip", "jsonl/zstd"]

    /// The full run (a few minutes in a release build).
    static let full = BenchPlan(
        records1KiB: 600_000, partitions1KiB: 64, records100B: 2_000_000, partitions100B: 32, consumeRounds: 5, sinkRounds: 3,
        memoryRecords: 300_000, latencyRate: 5000, latencySeconds: 20, crcBufferBytes: 64 * 1_048_576, crcRounds: 8,
        emulatorAppends1KiB: 5000, emulatorAppends1MiB: 300, sinkTimeout: .seconds(300), replayRecords: 600_000,
        replayPartitions: 64, replayRounds: 3, prefaultBytes: 1536 << 20,
        realisticCases: [
            RealisticCase(partitions: 1000, maxBufferedBytes: 64 << 20, latencyMilliseconds: 30, bytesPerSecond: 100_000_000,
                          records: 600_000, targetMBPerSecond: 150, maxAppendsPerGB: 1500),
            RealisticCase(partitions: 200, maxBufferedBytes: 256 << 20, latencyMilliseconds: 30, bytesPerSecond: 100_000_000,
                          records: 600_000, targetMBPerSecond: 250, maxAppendsPerGB: nil),
        ])

    /// A smoke run: every section with small counts (well under a minute, also in a debug build).
    static let quick = BenchPlan(
        records1KiB: 8000, partitions1KiB: 4, records100B: 8000, partitions100B: 4, consumeRounds: 1,
        memoryRecords: 4000, latencyRate: 500, latencySeconds: 2, crcBufferBytes: 4 * 1_048_576, crcRounds: 2,
        emulatorAppends1KiB: 160, emulatorAppends1MiB: 16, sinkTimeout: .seconds(60), replayRecords: 8000, replayPartitions: 4,
        replayRounds: 1,
        realisticCases: [
            RealisticCase(partitions: 50, maxBufferedBytes: 16 << 20, latencyMilliseconds: 30, bytesPerSecond: 100_000_000,
                          records: 5000, targetMBPerSecond: 150, maxAppendsPerGB: 1500),
        ])

    /// `--records` scales the 1 KiB and 100 B topics (the 100 B topic gets 10/3 as many records).
    mutating func scale(records1KiB records: Int) {
        records1KiB = records
        partitions1KiB = max(4, (records + 9_399) / 9_400)
        records100B = records * 10 / 3
        partitions100B = max(4, (records100B + 62_499) / 62_500)
    }
}

/// The sections `--only` selects.
enum BenchSection: String, CaseIterable, Sendable {
    case realistic, consume, throughput, memory, latency, crc, emulator, replay
}
