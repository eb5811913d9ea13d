import Foundation

/// The results as Markdown tables (readable in a terminal, pasteable into docs/benchmarks.md).
extension BenchResults {
    var markdown: String {
        var out = "# kafka-oss-sink bench\n\n"
        out += "- Date: \(date)\n- Machine: \(machine.summary)\n- librdkafka \(librdkafka); mock cluster (1 broker) and OSS emulator "
            + "(memory store) in the bench process, each sink run in its own child process\(quick ? "\n- **--quick run: small counts, smoke check only**" : "")\n"

        if let realistic, !realistic.isEmpty {
            out += "\n## 0. Realistic: OSS latency and bandwidth, many partitions (jsonl/none, 1 KiB records, default batching)\n\n"
            out += "MB/s and appends per GB count the bytes stored in OSS (what OSS receives and bills by request); Kafka MB/s counts key + value.\n\n"
            out += table(["partitions", "max_buffered_bytes", "latency", "bandwidth/conn", "records", "stored MB/s", "Kafka MB/s",
                          "appends", "appends/GB", "mean append", "peak RSS", "CPU s/GB"], realistic.map {
                [
                    "\($0.partitions)", mebibytes(Int64($0.maxBufferedBytes)), "\($0.latencyMs) ms", "\(fixed($0.bandwidthMBPerSecond, 0)) MB/s",
                    "\($0.records)", fixed($0.mbPerSecond, 1), fixed($0.payloadMBPerSecond, 1), $0.appends.map(String.init) ?? "-",
                    $0.appendsPerGB.map { fixed($0, 0) } ?? "-", $0.meanAppendBytes.map { "\(fixed($0 / 1000, 0)) KB" } ?? "-",
                    mebibytes($0.peakRSSBytes), fixed($0.cpuSecondsPerGB, 2),
                ]
            })
        }
        if let consume, !consume.isEmpty {
            out += "\n## 1. Consume only (median of rounds, first record to last)\n\n"
            out += table(["consumer", "record", "partitions", "records", "records/s", "MB/s", "vs floor", "CPU s", "page faults"], consume.map {
                [$0.consumer, bytes($0.recordBytes), "\($0.partitions)", "\($0.records)", rate($0.recordsPerSecond),
                 fixed($0.mbPerSecond, 1), $0.ratioToFloor.map { fixed($0, 2) } ?? "1.00", $0.cpuSeconds.map { fixed($0, 2) } ?? "-",
                 $0.minorFaults.map { "\($0 / 1000)k" } ?? "-"]
            })
        }
        if let endToEnd, !endToEnd.isEmpty {
            out += "\n## 2. End to end: first record consumed until every offset is archived and committed (median of runs)\n\n"
            out += table(["format/compression", "record", "records", "runs", "records/s", "MB/s", "vs floor", "drain s", "CPU s",
                          "CPU s/GB", "CPU vs floor", "peak RSS", "page faults", "appends", "stored"],
                         endToEnd.map {
                [$0.format + "/" + $0.compression, bytes($0.recordBytes), "\($0.records)", "\($0.rounds)", rate($0.recordsPerSecond),
                 fixed($0.mbPerSecond, 1), $0.ratioToFloor.map { fixed($0, 2) } ?? "-", fixed($0.drainSeconds, 2), fixed($0.cpuSeconds, 2),
                 fixed($0.cpuSecondsPerGB, 1), $0.cpuRatioToFloor.map { fixed($0, 2) } ?? "-", mebibytes($0.maxRSSBytes), $0.minorFaults.map { "\($0 / 1000)k" } ?? "-",
                 $0.appends.map(String.init) ?? "-", mebibytes(Int64($0.objectBytes))]
            })
            if let floors = endToEndFloor, !floors.isEmpty {
                let described = floors.map { floor in
                    let rounds = floor.roundRecordsPerSecond.map(rate).joined(separator: ", ")
                    return "\(bytes(floor.recordBytes)) \(rate(floor.recordsPerSecond)) records/s (\(rounds))"
                }
                out += "\n\"vs floor\" is over the floor measured between these runs (a round before each round of runs), median: "
                    + described.joined(separator: "; ") + ".\n"
                let pairs = endToEnd.compactMap { run in
                    run.roundRatiosToFloor.map { "\(run.format)/\(run.compression) \(bytes(run.recordBytes)) " + $0.map { fixed($0, 2) }.joined(separator: ", ") }
                }
                if !pairs.isEmpty {
                    out += "Each run over the floor round just before it: " + pairs.joined(separator: "; ") + ".\n"
                }
            }
        }
        if let memory {
            out += "\n## 3. Peak RSS with many partitions\n\n"
            out += table(["partitions", "records", "max_buffered_bytes", "peak RSS", "peak anon RSS", "limit", "records/s", "CPU s",
                          "appends"], [[
                "\(memory.partitions)", "\(memory.records) x \(bytes(memory.recordBytes))", mebibytes(Int64(memory.maxBufferedBytes)),
                mebibytes(memory.peakRSSBytes), memory.peakAnonymousRSSBytes.map(mebibytes) ?? "-", mebibytes(memory.limitBytes),
                rate(memory.recordsPerSecond), fixed(memory.cpuSeconds, 2), memory.appends.map(String.init) ?? "-",
            ]])
        }
        if let latency {
            out += "\n## 4. Produce-to-visible latency\n\n"
            out += table(["rate", "linger", "partitions", "samples", "p50", "p99", "max", "poll"], [[
                "\(latency.ratePerSecond)/s x \(bytes(latency.recordBytes))", "\(latency.lingerMs) ms", "\(latency.partitions)",
                "\(latency.samples) of \(latency.produced)", "\(fixed(latency.p50Ms, 1)) ms", "\(fixed(latency.p99Ms, 1)) ms",
                "\(fixed(latency.maxMs, 1)) ms", "\(fixed(latency.pollIntervalMs, 0)) ms",
            ]])
        }
        if let replay {
            out += "\n## 6. Replay: \(replay.records) x \(bytes(replay.recordBytes)) over \(replay.partitions) partitions, from the emulator into the mock cluster (median of \(replay.rounds) rounds)\n\n"
            out += table(["producer", "records/s", "MB/s", "vs floor", "seconds", "CPU s", "CPU s/GB", "process CPU s", "peak RSS"], [
                ("librdkafka from memory (floor)", replay.floor, 1.0), ("replay", replay.replay, replay.ratioToFloor),
            ].map { name, round, ratio in
                [name, rate(round.recordsPerSecond), fixed(round.mbPerSecond, 1), fixed(ratio, 2), fixed(round.seconds, 2),
                 fixed(round.cpuSeconds, 2), fixed(round.cpuSecondsPerGB, 2), fixed(round.lifeCPUSeconds, 2),
                 round.peakRSSBytes.map(mebibytes) ?? "-"]
            })
            out += "\nBoth produce with replay's settings (idempotent, gapless, lz4) and the provenance header; replay also lists, "
                + "reads \(mebibytes(Int64(replay.archiveBytes))) of jsonl over HTTP, checks CRC-64 and parses every line. "
                + "CPU s is the child's during the timed part; process CPU s its whole life (the floor generates the records "
                + "in memory first, replay plans). "
                + "Each round over the floor round just before it: \(replay.roundRatiosToFloor.map { fixed($0, 2) }.joined(separator: ", ")).\n"
        }
        if crc64 != nil || emulator != nil {
            out += "\n## 5. CRC-64 and emulator appends\n\n"
            var rows: [[String]] = []
            if let crc64 {
                rows.append(["CRC-64/XZ (\(crc64.implementation))", mebibytes(Int64(crc64.bufferBytes)) + " buffer", "-",
                             "\(fixed(crc64.gbPerSecond, 2)) GB/s"])
                rows.append(["CRC-64/XZ (slicing-by-8 table, for comparison)", mebibytes(Int64(crc64.bufferBytes)) + " buffer", "-",
                             "\(fixed(crc64.tableGBPerSecond, 2)) GB/s"])
            }
            for result in emulator ?? [] {
                rows.append(["emulator append, " + result.path, bytes(result.bodyBytes) + " body", "\(rate(result.appendsPerSecond)) appends/s",
                             "\(fixed(result.mbPerSecond, 1)) MB/s"])
            }
            out += table(["what", "size", "rate", "throughput"], rows)
        }
        if !targets.isEmpty {
            out += "\n## Targets\n\n"
            out += table(["target", "measured", "goal", "met"], targets.map {
                [$0.name, fixed($0.value, 2), $0.target, $0.met ? "yes" : "NO"]
            })
        }
        return out
    }

    private func table(_ header: [String], _ rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: " | ") + " |\n"
        }
        return line(header) + line(widths.map { String(repeating: "-", count: $0) }) + rows.map(line).joined()
    }

    private func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    private func rate(_ value: Double) -> String { value >= 10_000 ? String(format: "%.0fk", value / 1000) : String(format: "%.0f", value) }
    private func bytes(_ value: Int) -> String {
        value >= 1_048_576 && value % 1_048_576 == 0 ? "\(value / 1_048_576) MiB" : value >= 1024 && value % 1024 == 0 ? "\(value / 1024) KiB" : "\(value) B"
    }
    private func mebibytes(_ value: Int64) -> String { String(format: "%.1f MiB", Double(value) / 1_048_576) }
}
