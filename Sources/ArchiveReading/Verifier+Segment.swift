import OSSChecksum
import SinkCore

extension ArchiveVerifier {
    /// HEAD, the optional full CRC read, and the last offset of one segment.
    func verifySegment(
        _ id: VerifyPartitionID, key: String, parsed: SegmentKeyPattern.Parsed, listedSize: UInt64, layout: TopicLayout
    ) async -> (VerifiedSegment, [VerifyProblem]) {
        let carriesOffsets = layout.carriesOffsets
        var segment = VerifiedSegment(
            key: key, firstOffset: parsed.firstOffset, suffix: parsed.suffix, lastOffset: nil, records: nil,
            bytes: listedSize, crc64: nil, crcOK: nil, appendable: true)
        var problems: [VerifyProblem] = []
        let head: ArchivedObjectHead
        do {
            head = try await archive.head(key: key)
        } catch {
            return (segment, [VerifyProblem(.unreadable, id, key: key, "HEAD failed: \(error)")])
        }
        segment.bytes = head.length
        segment.crc64 = head.crc64
        segment.appendable = head.appendable
        segment.sealed = head.sealed
        do {
            segment.tags = try await archive.segmentTags(key: key)
        } catch let error as SegmentTagsError {
            problems.append(VerifyProblem(.tagMismatch, id, key: key, "\(error)"))
        } catch {
            problems.append(VerifyProblem(.unreadable, id, key: key, "GetObjectTagging failed: \(error)"))
        }
        if head.needsRestore {
            problems.append(VerifyProblem(.needsRestore, id, key: key,
                "the object is in \(head.storageClass ?? "an archive") storage\(head.restore.map { " (restore: \($0))" } ?? ""); restore it (RestoreObject) and verify again once the restore finished"))
            return (segment, problems)
        }
        if !head.appendable {
            problems.append(VerifyProblem(.notAppendable, id, key: key,
                "the object is \(head.typeName), not Appendable: the sink only writes appendable objects, so it was replaced (for example by a PutObject)"))
        }
        if head.length == 0 {
            problems.append(VerifyProblem(.unreadable, id, key: key, "the object is empty"))
            return (segment, problems)
        }
        do {
            if options.checkCRC {
                problems += try await fullRead(id, &segment, layout.settings)
            }
            if carriesOffsets, segment.lastOffset == nil, !problems.contains(where: { $0.kind == .unreadable }) {
                problems += try await readLastOffset(id, &segment, layout.settings)
            }
        } catch {
            problems.append(VerifyProblem(.unreadable, id, key: key, "GET failed: \(error)"))
        }
        // When every record was read the scan already compared the first record with the key.
        if carriesOffsets, segment.records == nil, let last = segment.lastOffset, last < segment.firstOffset {
            problems.append(VerifyProblem(.keyOffsetMismatch, id, key: key,
                "the last record has offset \(last), before the first offset \(segment.firstOffset) the key names"))
        }
        if let tags = segment.tags {
            problems += tagProblems(id, segment, tags, layout.settings)
        }
        return (segment, problems)
    }

    /// The `segment.*` tags against what the object holds: each tag that disagrees is one problem.
    func tagProblems(_ id: VerifyPartitionID, _ segment: VerifiedSegment, _ tags: SegmentTags.Parsed,
                     _ settings: TopicSettings) -> [VerifyProblem] {
        var differences: [String] = []
        if let first = tags.firstOffset, first != segment.firstOffset {
            differences.append("\(SegmentTags.firstOffset) is \(first) but the key names \(segment.firstOffset)")
        }
        if let last = segment.lastOffset, tags.lastOffset != last {
            differences.append("\(SegmentTags.lastOffset) is \(tags.lastOffset) but the last record has offset \(last)")
        }
        if let counted = segment.records, let count = tags.recordCount, Int64(count) != counted {
            differences.append("\(SegmentTags.records) is \(count) but the object holds \(counted) records")
        }
        if let crc = segment.crc64, tags.crc64 != crc {
            differences.append("\(SegmentTags.crc64) is \(tags.crc64) but the object's CRC-64 is \(crc): the object is not the one the sink committed")
        }
        let format = SegmentTags.formatValue(settings)
        if tags.format != format {
            differences.append("\(SegmentTags.format) is \(tags.format) but the configuration renders \(format)")
        }
        if tags.sealed, !segment.sealed {
            differences.append("\(SegmentTags.sealed) is true but the object is not sealed")
        }
        return differences.map { VerifyProblem(.tagMismatch, id, key: segment.key, $0) }
    }

    /// Reads the whole object in ranges: CRC-64, and for jsonl the offset of every record.
    private func fullRead(_ id: VerifyPartitionID, _ segment: inout VerifiedSegment,
                          _ settings: TopicSettings) async throws -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        let carriesOffsets = if case .jsonl = settings.format { true } else { false }
        var crc: UInt64 = 0
        var position: UInt64 = 0
        var scan = carriesOffsets ? JSONLScan(id: id, key: segment.key) : nil
        let compressed = settings.compression != .none
        let wholeDecode = compressed && carriesOffsets && segment.bytes <= UInt64(options.decompressWholeLimit)
        var whole: [UInt8] = []
        while position < segment.bytes {
            let count = min(UInt64(options.readChunk), segment.bytes - position)
            let chunk = try await archive.read(key: segment.key, offset: position, count: count)
            if chunk.isEmpty { break }
            crc = CRC64.update(crc, chunk)
            position += UInt64(chunk.count)
            if compressed {
                if wholeDecode { whole += chunk }
            } else {
                scan?.feed(chunk[...])
            }
        }
        if position != segment.bytes {
            problems.append(VerifyProblem(.unreadable, id, key: segment.key,
                "read \(position) bytes but HEAD reports \(segment.bytes)"))
        }
        if let expected = segment.crc64 {
            segment.crcOK = crc == expected
            if crc != expected {
                problems.append(VerifyProblem(.crcMismatch, id, key: segment.key,
                    "the content's CRC-64 is \(crc) but the store reports \(expected): the bytes changed after they were written"))
            }
        } else {
            segment.crc64 = crc
            problems.append(VerifyProblem(.unreadable, id, key: segment.key, "the store reports no x-oss-hash-crc64ecma for the object"))
        }
        if wholeDecode {
            do {
                scan?.feed(try AppendCompression.decompress(whole, settings.compression)[...])
            } catch {
                problems.append(VerifyProblem(.unreadable, id, key: segment.key,
                    "the object is not a valid sequence of \(Self.unitName(settings)): \(error)"))
                return problems
            }
        }
        if var scan, !compressed || wholeDecode {
            scan.finish()
            problems += scan.problems
            segment.records = scan.records
            segment.lastOffset = scan.last
            if let first = scan.first, first != segment.firstOffset {
                problems.append(VerifyProblem(.keyOffsetMismatch, id, key: segment.key,
                    "the first record has offset \(first) but the key names offset \(segment.firstOffset)"))
            }
        }
        return problems
    }

    static func unitName(_ settings: TopicSettings) -> String {
        switch settings.compression {
        case .none: "records"
        case .gzip: "gzip members"
        case .zstd: "zstd frames"
        }
    }

    /// Reads the last record's offset from a tail range, doubling the range until the last record is in it.
    private func readLastOffset(_ id: VerifyPartitionID, _ segment: inout VerifiedSegment,
                                _ settings: TopicSettings) async throws -> [VerifyProblem] {
        var window = UInt64(options.tailWindow)
        while true {
            window = min(window, segment.bytes)
            let tail = try await archive.read(key: segment.key, offset: segment.bytes - window, count: window)
            let decoded: [UInt8]?
            if settings.compression == .none {
                decoded = tail
            } else {
                decoded = CompressedTail.lastUnit(tail, settings.compression)
                if decoded == nil, window < segment.bytes {
                    window *= 2
                    continue
                }
            }
            guard let decoded else {
                return [VerifyProblem(.unreadable, id, key: segment.key,
                    "none of \(Self.unitName(settings)) decodes at the end of the object: it is truncated or corrupt")]
            }
            guard let (line, whole) = JSONLOffsets.lastLine(decoded[...]) else {
                return [VerifyProblem(.unreadable, id, key: segment.key,
                    "the object does not end with a newline: its last record is truncated")]
            }
            if !whole, settings.compression == .none, window < segment.bytes {
                window *= 2
                continue
            }
            guard let (partition, offset) = JSONLOffsets.partitionAndOffset(line) else {
                return [VerifyProblem(.unreadable, id, key: segment.key,
                    "the last line is not a jsonl record rendered by the sink (no topic/partition/offset fields)")]
            }
            segment.lastOffset = offset
            if partition != id.partition {
                return [VerifyProblem(.recordOrder, id, key: segment.key, "the last record belongs to partition \(partition)")]
            }
            return []
        }
    }
}
