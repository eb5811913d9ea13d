import Foundation
import SinkTesting
import Testing

/// `kafka-oss-sink bench` as `make bench` runs it, on its cheapest sections: the built binary in a subprocess
/// writes a table and a JSON file with the expected fields. Asserts shape and positive numbers, never timing.
@Suite("bench command")
struct BenchSmokeTests {
    @Test("--quick --only crc,emulator writes the table and a JSON file with positive rates", .timeLimit(.minutes(2)))
    func quickMicroSections() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "crc,emulator"])
        #expect(result.status == 0, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        #expect(result.stdout.contains("## 5. CRC-64 and emulator appends"), "stdout:\n\(result.stdout)")
        #expect(!result.stdout.contains("## 2. End to end"), "sections that were not asked for must not run")

        let json = try #require(results)
        #expect((json["date"] as? String)?.isEmpty == false)
        #expect(json["quick"] as? Bool == true)
        #expect(json["sections"] as? [String] == ["crc", "emulator"])
        #expect((json["librdkafka"] as? String)?.isEmpty == false)
        let machine = try #require(json["machine"] as? [String: Any])
        #expect((machine["nproc"] as? Int ?? 0) > 0)
        #expect((machine["memory_bytes"] as? Int ?? 0) > 0)
        #expect((machine["cpu_model"] as? String)?.isEmpty == false)
        #expect(["debug", "release"].contains(machine["build"] as? String ?? ""))

        let crc = try #require(json["crc64"] as? [String: Any])
        #expect((crc["gb_per_second"] as? Double ?? 0) > 0)
        #expect((crc["total_bytes"] as? Int ?? 0) > 0)
        #expect((crc["table_gb_per_second"] as? Double ?? 0) > 0)
        #expect(["PCLMULQDQ folding", "slicing-by-8 table"].contains(crc["implementation"] as? String ?? ""))

        let emulator = try #require(json["emulator"] as? [[String: Any]])
        #expect(emulator.count == 6, "three paths for each of two body sizes: \(emulator)")
        #expect(Set(emulator.compactMap { $0["body_bytes"] as? Int }) == [1024, 1_048_576])
        for entry in emulator {
            #expect((entry["appends"] as? Int ?? 0) > 0, "\(entry)")
            #expect((entry["appends_per_second"] as? Double ?? 0) > 0, "\(entry)")
            #expect((entry["mb_per_second"] as? Double ?? 0) > 0, "\(entry)")
        }
        #expect(json["end_to_end"] == nil && json["consume"] == nil && json["latency"] == nil && json["memory"] == nil)
    }

    @Test("--quick --only replay replays an archive next to the produce floor and reports both, with the ratio",
          .timeLimit(.minutes(3)))
    func quickReplay() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "replay"])
        #expect(result.status == 0, "stdout:\n\(result.stdout)\nstderr:\n\(result.stderr)")
        #expect(result.stdout.contains("## 6. Replay"), "stdout:\n\(result.stdout)")
        let json = try #require(results)
        let replay = try #require(json["replay"] as? [String: Any])
        #expect(replay["records"] as? Int == 8000)
        #expect(replay["partitions"] as? Int == 4)
        #expect((replay["archive_bytes"] as? Int ?? 0) > 8000 * 1024)
        for side in ["floor", "replay"] {
            let round = try #require(replay[side] as? [String: Any], "\(side)")
            #expect(round["records"] as? Int == 8000, "\(side)")
            #expect((round["records_per_second"] as? Double ?? 0) > 0, "\(side)")
            #expect((round["mb_per_second"] as? Double ?? 0) > 0, "\(side)")
            #expect((round["cpu_seconds"] as? Double ?? 0) > 0, "\(side)")
        }
        #expect((replay["ratio_to_floor"] as? Double ?? 0) > 0)
        #expect((replay["round_ratios_to_floor"] as? [Double])?.count == 1)
        let targets = try #require(json["targets"] as? [[String: Any]])
        #expect(targets.contains { $0["name"] as? String == "replay / producer floor (1 KiB)" })
    }

    /// Runs `bench` with `arguments` and `--output` in a fresh directory; returns the process result and the
    /// parsed results file (`nil` when none was written).
    static func bench(_ arguments: [String]) async throws -> (
        result: (status: Int32, stdout: String, stderr: String), json: [String: Any]?
    ) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-smoke-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("results.json")
        let result = try await CLIProcess.run(arguments + ["--output", output.path], in: directory, binary: "kafka-oss-sink-bench")
        let json = (try? Data(contentsOf: output)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        return (result, json)
    }

    @Test("an unknown --only section is rejected with the list of sections")
    func unknownSection() async throws {
        let directory = FileManager.default.temporaryDirectory
        let result = try await CLIProcess.run(["--only", "crc,warp"], in: directory, binary: "kafka-oss-sink-bench")
        #expect(result.status == 64, "stderr:\n\(result.stderr)")
        #expect(result.stderr.contains("unknown section 'warp'"))
        #expect(result.stderr.contains("realistic, consume, throughput, memory, latency, crc, emulator"))
    }

    @Test("an unknown --sinks case is rejected with the list of cases")
    func unknownSinkCase() async throws {
        let directory = FileManager.default.temporaryDirectory
        let result = try await CLIProcess.run(["--sinks", "jsonl/none,csv/none"], in: directory, binary: "kafka-oss-sink-bench")
        #expect(result.status == 64, "stderr:\n\(result.stderr)")
        #expect(result.stderr.contains("unknown case 'csv/none'"))
        #expect(result.stderr.contains("jsonl/none, raw/none, jsonl/gzip, jsonl/zstd"))
    }

    @Test("--quick --only throughput archives every record and reports the sink child's time to its last commit, CPU, RSS, page faults and appends",
          .timeLimit(.minutes(4)))
    func quickThroughput() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "throughput", "--sinks", "raw/none"])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains(" page faults |") && result.stdout.contains(" drain s |") && result.stdout.contains(" appends |"),
                "stdout:\n\(result.stdout)")
        let json = try #require(results)
        let runs = try #require(json["end_to_end"] as? [[String: Any]])
        #expect(Set(runs.compactMap { $0["record_bytes"] as? Int }) == [1024, 100])
        // The ratio's basis: the floor measured between the runs, even without the consume section.
        let floors = try #require(json["end_to_end_floor"] as? [[String: Any]])
        #expect(floors.compactMap { $0["record_bytes"] as? Int } == [1024, 100], "\(floors)")
        for floor in floors {
            #expect(floor["consumer"] as? String == "librdkafka floor (C)" && floor["rounds"] as? Int == 1, "\(floor)")
            #expect((floor["records"] as? Int ?? 0) == 8000 && (floor["records_per_second"] as? Double ?? 0) > 0, "\(floor)")
        }
        let targets = try #require(json["targets"] as? [[String: Any]])
        #expect(targets.compactMap { $0["name"] as? String }
            == ["end-to-end raw/none / floor (1 KiB)", "CPU s/GB raw/none / floor (1 KiB)"], "\(targets)")
        for run in runs {
            #expect(run["format"] as? String == "raw" && run["compression"] as? String == "none", "\(run)")
            #expect(run["rounds"] as? Int == 1 && (run["round_records_per_second"] as? [Double])?.count == 1, "\(run)")
            #expect((run["ratio_to_floor"] as? Double ?? 0) > 0, "\(run)")
            #expect((run["records"] as? Int ?? 0) > 0 && (run["objects"] as? Int ?? 0) > 0, "\(run)")
            #expect((run["object_bytes"] as? Int ?? 0) >= (run["records"] as? Int ?? 0), "\(run)")
            // Counted off the child's appends counter: every object took at least one append, no append is empty.
            let appends = run["appends"] as? Int ?? 0
            #expect(appends >= (run["objects"] as? Int ?? 1) && appends <= (run["records"] as? Int ?? 0), "\(run)")
            #expect((run["cpu_seconds"] as? Double ?? 0) > 0, "\(run)")
            // Timed in the child from its first record to the commit acknowledgement that completed the topic; the
            // drain (after its last record) is part of that and holds at least one append and one commit.
            let seconds = run["seconds"] as? Double ?? 0, drain = run["drain_seconds"] as? Double ?? -1
            #expect(seconds > 0 && drain > 0 && drain < seconds, "\(run)")
            #expect(abs(Double(run["records"] as? Int ?? 0) / seconds - (run["records_per_second"] as? Double ?? 0)) < 1, "\(run)")
            // Every process faults in at least its stack, heap and the pages of the binary it touches.
            #expect((run["minor_faults"] as? Int ?? 0) > 1000, "\(run)")
            let peak = run["max_rss_bytes"] as? Int ?? 0
            #expect(peak > 8 << 20 && peak < 2 << 30, "\(run)")
        }
    }

    @Test("--quick --only realistic: against the emulator with latency and a bandwidth cap, every record archived; MB/s, appends per GB, mean append size, RSS and CPU per GB reported",
          .timeLimit(.minutes(4)))
    func quickRealistic() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "realistic"])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("## 0. Realistic") && result.stdout.contains(" appends/GB |"), "stdout:\n\(result.stdout)")
        let json = try #require(results)
        let runs = try #require(json["realistic"] as? [[String: Any]])
        #expect(runs.count == 1)
        for run in runs {
            #expect(run["partitions"] as? Int == 50 && run["records"] as? Int == 5000 && run["latency_ms"] as? Int == 30, "\(run)")
            let appends = run["appends"] as? Int ?? 0
            #expect(appends >= 1 && appends <= 5000, "\(run)")
            let perGB = run["appends_per_gb"] as? Double ?? 0, mean = run["mean_append_bytes"] as? Double ?? 0
            let stored = Double(run["stored_bytes"] as? Int ?? 0)
            #expect(stored > 5000 * 1024, "jsonl lines are longer than the values: \(run)")
            #expect(abs(perGB - Double(appends) / (stored / 1e9)) < 1 && abs(mean - stored / Double(appends)) < 1, "\(run)")
            // Every append waited 30 ms in the emulator: the run cannot be faster than one round of appends.
            #expect((run["seconds"] as? Double ?? 0) > 0.03 && (run["mb_per_second"] as? Double ?? 0) > 0, "\(run)")
            #expect((run["payload_mb_per_second"] as? Double ?? 0) < (run["mb_per_second"] as? Double ?? 0), "\(run)")
            #expect((run["cpu_seconds_per_gb"] as? Double ?? 0) > 0 && (run["peak_rss_bytes"] as? Int ?? 0) > 8 << 20, "\(run)")
        }
        let targets = try #require(json["targets"] as? [[String: Any]])
        #expect(targets.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("realistic") }.count == 3, "\(targets)")
    }

    @Test("--sink-rounds 2: each uncompressed case runs twice after a floor round of its own, the faster run reported, its ratio over those floor rounds; compressed cases once",
          .timeLimit(.minutes(6)))
    func sinkRoundsWithPairedFloor() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "throughput", "--sinks", "raw/none,jsonl/gzip", "--sink-rounds", "2"])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("Each run over the floor round just before it: raw/none 1 KiB "), "stdout:\n\(result.stdout)")
        let json = try #require(results)
        let floors = try #require(json["end_to_end_floor"] as? [[String: Any]])
        #expect(floors.compactMap { $0["record_bytes"] as? Int } == [1024, 100], "\(floors)")
        let runs = try #require(json["end_to_end"] as? [[String: Any]])
        #expect(runs.map { "\($0["format"] ?? "")/\($0["compression"] ?? "")/\($0["record_bytes"] ?? "")" }
                == ["raw/none/1024", "jsonl/gzip/1024", "raw/none/100", "jsonl/gzip/100"], "\(runs)")
        for (floor, bytes) in zip(floors, [1024, 100]) {
            let floorRounds = floor["round_records_per_second"] as? [Double] ?? []
            #expect(floor["rounds"] as? Int == 2 && floorRounds.count == 2, "\(floor)")
            let floorRate = try #require(floor["records_per_second"] as? Double)
            #expect(floorRate == floorRounds.max(), "of two rounds the faster is the median: \(floor)")
            for run in runs where run["record_bytes"] as? Int == bytes {
                let rates = run["round_records_per_second"] as? [Double] ?? []
                let rate = try #require(run["records_per_second"] as? Double)
                let uncompressed = run["compression"] as? String == "none"
                #expect(run["rounds"] as? Int == (uncompressed ? 2 : 1) && rates.count == (uncompressed ? 2 : 1), "\(run)")
                #expect(rate == rates.max(), "\(run)")
                let ratio = try #require(run["ratio_to_floor"] as? Double)
                #expect(abs(ratio - rate / floorRate) < 1e-9, "the ratio is over the floor rounds between the runs: \(run)")
                // Uncompressed runs also report each run over the floor round just before it.
                let pairs = run["round_ratios_to_floor"] as? [Double]
                if uncompressed {
                    #expect(pairs?.count == 2, "\(run)")
                    for (pair, (runRate, floorRound)) in zip(pairs ?? [], zip(rates, floorRounds)) {
                        #expect(abs(pair - runRate / floorRound) < 1e-9, "\(run)")
                    }
                } else {
                    #expect(pairs == nil, "\(run)")
                }
            }
        }
    }

    @Test("--sink-rounds outside 1...9 is rejected, naming the range")
    func sinkRoundsOutOfRange() async throws {
        let result = try await CLIProcess.run(["--sink-rounds", "0"], in: FileManager.default.temporaryDirectory, binary: "kafka-oss-sink-bench")
        #expect(result.status == 64, "stderr:\n\(result.stderr)")
        #expect(result.stderr.contains("--sink-rounds must be 1 to 9, got 0"), "stderr:\n\(result.stderr)")
    }

    @Test("--quick --only consume runs the floor and the bridge in child processes and the floor in the bench process", .timeLimit(.minutes(4)))
    func quickConsume() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "consume"])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("## 1. Consume only"), "stdout:\n\(result.stdout)")
        let json = try #require(results)
        let consume = try #require(json["consume"] as? [[String: Any]])
        let floor = "librdkafka floor (C)", bridge = "KafkaBridge", inProcess = "floor in bench process"
        #expect(consume.compactMap { $0["consumer"] as? String } == [floor, bridge, inProcess, floor, bridge, inProcess])
        #expect(consume.compactMap { $0["record_bytes"] as? Int } == [1024, 1024, 1024, 100, 100, 100])
        for entry in consume {
            let name = entry["consumer"] as? String ?? ""
            #expect((entry["records"] as? Int ?? 0) == 8000 && (entry["records_per_second"] as? Double ?? 0) > 0, "\(entry)")
            if name == inProcess {
                #expect(entry["cpu_seconds"] == nil && entry["minor_faults"] == nil, "\(entry)")
            } else {
                #expect((entry["cpu_seconds"] as? Double ?? 0) > 0, "\(entry)")
                // A child faults in at least its stack, heap and the pages of the binary it touches.
                #expect((entry["minor_faults"] as? Int ?? 0) > 1000, "\(entry)")
            }
            #expect((entry["ratio_to_floor"] == nil) == (name == floor), "\(entry)")
        }
        let targets = try #require(json["targets"] as? [[String: Any]])
        #expect(targets.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("KafkaBridge consume-only") }.count == 2, "\(targets)")
    }

    @Test("consume-child rejects an unknown consumer, naming the choices")
    func consumeChildRejectsUnknownConsumer() async throws {
        let result = try await CLIProcess.run(
            ["consume-child", "--consumer", "warp", "--bootstrap-servers", "127.0.0.1:1", "--group", "g", "--topic", "t",
             "--expected", "1", "--report", "/dev/null"], in: FileManager.default.temporaryDirectory, binary: "kafka-oss-sink-bench")
        #expect(result.status == 64, "stderr:\n\(result.stderr)")
        #expect(result.stderr.contains("unknown consumer 'warp'; choose floor or bridge"), "stderr:\n\(result.stderr)")
    }

    @Test("--quick --only memory measures the sink child's own peak RSS and its anonymous part, and counts its appends",
          .timeLimit(.minutes(4)))
    func quickMemory() async throws {
        let (result, results) = try await Self.bench(["--quick", "--only", "memory"])
        #expect(result.status == 0, "stderr:\n\(result.stderr)")
        #expect(result.stdout.contains("## 3. Peak RSS with many partitions"))
        let json = try #require(results)
        let memory = try #require(json["memory"] as? [String: Any])
        let peak = memory["peak_rss_bytes"] as? Int ?? 0
        let anonymous = memory["peak_anonymous_rss_bytes"] as? Int ?? 0
        #expect(memory["partitions"] as? Int == 1000)
        // The child's own numbers: well below the bench process's resident set, and the anonymous part below the total.
        #expect(peak > 8 << 20 && peak < 2 << 30, "peak RSS \(peak)")
        #expect(anonymous > 0 && anonymous < peak, "anonymous \(anonymous) of \(peak)")
        // Every partition that held a record took at least one append of its own.
        let records = memory["records"] as? Int ?? 0, appends = memory["appends"] as? Int ?? 0
        #expect(records > 0 && appends >= min(records, 1000) && appends <= records, "\(memory)")
    }
}
