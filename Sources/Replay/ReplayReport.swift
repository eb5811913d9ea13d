/// The text a replay prints: the plan (`--dry-run`), a progress line per partition, the summary.
public enum ReplayReport {
    /// The plan as a table, one row per partition, then the notes and a total line.
    public static func plan(_ plan: ReplayPlan, targetServers: String, dryRun: Bool) -> String {
        var out = "replay plan: \(plan.sourceTopic) -> \(plan.targetTopic) on \(targetServers)\n"
        var rows = [["PARTITION", "TARGET", "SEGMENTS", "OFFSETS", "RECORDS", "BYTES", "IN TARGET"]]
        for partition in plan.partitions {
            let offsets: String
            if partition.upToDate {
                offsets = "-"
            } else {
                offsets = "\(partition.firstOffset.map(String.init) ?? "?")..\(partition.lastOffset.map(String.init) ?? "end")"
            }
            let records = partition.upToDate ? "0" : (partition.records.map(String.init) ?? "?")
            let resume = partition.resumeAfter.map { "up to \($0)" } ?? "-"
            rows.append([
                "\(plan.sourceTopic)[\(partition.source)]", partition.target.map { "[\($0)]" } ?? "by key",
                partition.upToDate ? "0" : "\(partition.segments.count)", offsets, records, bytes(partition.bytes), resume,
            ])
            for segment in partition.segments where segment.blocked != nil {
                rows.append(["", "", "", "", "", "", ""])
                rows[rows.count - 1][0] = "  BLOCKED \(segment.key): \(segment.blocked!)"
            }
        }
        out += table(rows)
        for note in plan.notes { out += "note: \(note)\n" }
        let records = plan.partitions.compactMap(\.records).reduce(0, +)
        let unknown = plan.partitions.contains { $0.records == nil && !$0.upToDate }
        out += "total: \(plan.partitions.count) partition(s), \(plan.segmentCount) segment(s), "
            + (unknown ? (records > 0 ? "at least \(records) record(s)" : "an unknown number of records") : "\(records) record(s)")
            + ", \(bytes(plan.bytes)) to read"
        out += dryRun ? "; nothing produced (--dry-run)\n" : "\n"
        return out
    }

    /// Rates of one partition over the last seconds.
    public struct Rate: Sendable {
        public var recordsPerSecond: Double
        /// Key, value and header bytes produced per second (what `--max-rate` limits).
        public var bytesPerSecond: Double

        public init(recordsPerSecond: Double, bytesPerSecond: Double) {
            self.recordsPerSecond = recordsPerSecond
            self.bytesPerSecond = bytesPerSecond
        }
    }

    /// One line per partition still running (records acknowledged of planned, MB/s produced, ETA), and a total.
    public static func progress(_ status: ReplayStatus, now: ContinuousClock.Instant, rates: [Int32: Rate], maxLines: Int = 20) -> [String] {
        var lines: [String] = []
        let active = status.partitions.filter { $0.state == .running }
        for partition in active.prefix(maxLines) {
            let rate = rates[partition.source] ?? Rate(recordsPerSecond: 0, bytesPerSecond: 0)
            var line = "  \(status.sourceTopic)[\(partition.source)] \(partition.delivered)"
            if let planned = partition.plannedRecords { line += "/\(planned)" }
            line += " records  \(format1(rate.bytesPerSecond / 1_000_000)) MB/s"
            if let planned = partition.plannedRecords, rate.recordsPerSecond > 0 {
                let left = max(0, planned - partition.delivered - partition.outsideRange - partition.duplicates)
                line += "  ETA \(eta(Double(left) / rate.recordsPerSecond))"
            }
            if let key = partition.currentKey { line += "  \(key)" }
            lines.append(line)
        }
        if active.count > maxLines { lines.append("  … and \(active.count - maxLines) more partition(s) running") }
        let done = status.partitions.filter(\.isDone).count
        let elapsed = now - status.startedAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let total = rates.values.reduce(0) { $0 + $1.bytesPerSecond }
        lines.append("replay \(status.sourceTopic) -> \(status.targetTopic): \(status.delivered) records acknowledged, "
            + "\(done)/\(status.partitions.count) partitions done, \(format1(total / 1_000_000)) MB/s, \(eta(seconds)) elapsed")
        return lines
    }

    /// The final summary: one line per partition, then the totals and what to do next.
    public static func summary(_ status: ReplayStatus, now: ContinuousClock.Instant) -> String {
        // FOUND IN TARGET: records read in this run that the target already held (an earlier run produced them);
        // "all" for a partition the plan found complete in the target, which is not read at all.
        var rows = [["PARTITION", "STATE", "PRODUCED", "FOUND IN TARGET", "SKIPPED", "SEGMENTS", "READ", "LAST OFFSET"]]
        for partition in status.partitions {
            let state: String = switch partition.state {
            case .pending: "not started"
            case .running: "running"
            case .finished: "done"
            case .failed: "FAILED"
            case .stopped: "stopped"
            case .upToDate: "up to date"
            }
            rows.append([
                "\(status.sourceTopic)[\(partition.source)]", state, "\(partition.delivered)",
                partition.state == .upToDate ? "all" : "\(partition.alreadyInTarget)",
                "\(partition.outsideRange + partition.duplicates)", "\(partition.segmentsRead)/\(partition.segmentsPlanned)",
                bytes(partition.bytesRead), partition.lastOffset.map(String.init) ?? "-",
            ])
        }
        var out = table(rows)
        for partition in status.partitions {
            if let failure = partition.failure { out += "PROBLEM \(status.sourceTopic)[\(partition.source)]: \(failure)\n" }
            if partition.failedDeliveries > 0 {
                out += "PROBLEM \(status.sourceTopic)[\(partition.source)]: \(partition.failedDeliveries) record(s) were not acknowledged by the target\n"
            }
            if partition.olderThanRetention > 0 {
                out += "note: \(status.sourceTopic)[\(partition.source)]: \(partition.olderThanRetention) record(s) are older than \(status.targetTopic)'s retention.ms and may be deleted by the broker soon\n"
            }
        }
        if let fatal = status.fatal { out += "PROBLEM the producer stopped: \(fatal)\n" }
        let seconds = Double((now - status.startedAt).components.seconds) + Double((now - status.startedAt).components.attoseconds) / 1e18
        let failed = status.failedPartitions.count
        out += "replay: \(status.delivered) records produced to \(status.targetTopic) (\(bytes(status.producedBytes)) of keys, values and headers), "
            + "\(bytes(status.bytesRead)) read, \(failed) partition(s) failed, in \(format1(seconds)) s"
        if status.stopping {
            out += "; stopped: run the same command again to resume"
        } else if failed > 0 || status.fatal != nil {
            out += "; fix the problems above and run the same command again: it resumes after what is in the target"
        }
        return out + "\n"
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : "\(format1(value)) \(units[unit])"
    }

    static func format1(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }

    static func eta(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let total = Int(seconds.rounded())
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    static func table(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows where !row[0].hasPrefix("  ") {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in rows {
            if row[0].hasPrefix("  ") {
                out += row[0] + "\n"
                continue
            }
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += (i == 0 ? "" : "  ") + (i == 0 ? cell + pad : pad + cell)
            }
            out += line + "\n"
        }
        return out
    }
}
