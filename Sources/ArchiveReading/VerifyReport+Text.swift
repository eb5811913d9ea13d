extension VerifyReport {
    /// The summary line: `verify: N partitions, M segments, K problems`.
    public var summary: String {
        "verify: \(partitions.count) partitions, \(segmentCount) segments, \(problems.count) problems"
    }

    /// The report as operators read it: per partition its commit, a table of segments (key, first..last offset,
    /// records, bytes, CRC) and its problems; then notes, problems not tied to a partition, and ``summary``.
    ///
    /// Columns: `RECORDS` is counted in a full read, or `last - first + 1` marked `*` when only the tail was read;
    /// `CRC` is `ok`, `BAD`, or `-` when not checked; `FINISHED` is `sealed` (sealed and tagged), `tagged`, or `-`
    /// (open, or not finished by the sink). `?` marks a value that could not be read.
    public func text() -> String {
        var out = ""
        for partition in partitions {
            out += "\(partition.id): \(partition.segments.count) segment(s)"
            if let commit = partition.commit {
                if let offset = commit.offset {
                    out += ", committed offset \(offset)"
                    out += commit.metadata.isEmpty ? " (no metadata)" : " (\(commit.metadata))"
                } else {
                    out += ", no committed offset"
                }
            }
            out += "\n"
            if !partition.segments.isEmpty {
                var rows = [["SEGMENT", "OFFSETS", "RECORDS", "BYTES", "CRC", "FINISHED"]]
                for segment in partition.segments {
                    let last = segment.lastOffset.map(String.init) ?? "?"
                    let records: String = if let counted = segment.records {
                        String(counted)
                    } else if let lastOffset = segment.lastOffset {
                        "\(lastOffset - segment.firstOffset + 1)*"
                    } else {
                        "?"
                    }
                    let crc: String = switch segment.crcOK {
                    case true?: "ok"
                    case false?: "BAD"
                    case nil: "-"
                    }
                    let finished = switch (segment.sealed, segment.tags) {
                    case (true, .some): "sealed"
                    case (true, nil): "sealed, untagged"
                    case (false, .some): "tagged"
                    case (false, nil): "-"
                    }
                    rows.append([segment.key, "\(segment.firstOffset)..\(last)", records, String(segment.bytes), crc, finished])
                }
                out += Self.table(rows, rightAligned: [2, 3])
            }
            for problem in partition.problems {
                out += "  PROBLEM \(problem)\n"
            }
        }
        for note in notes {
            out += "note: \(note)\n"
        }
        for problem in globalProblems {
            out += "PROBLEM \(problem)\n"
        }
        out += summary + "\n"
        return out
    }

    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = " "
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += " " + (rightAligned.contains(i) ? pad + cell : cell + (i == row.count - 1 ? "" : pad))
            }
            out += line + "\n"
        }
        return out
    }
}
