import OSSChecksum
import SinkCore

extension ArchiveVerifier {
    /// HEAD, the optional full CRC read, and the last offset of one segment.
    func verifySegment(_ id: VerifyPartitionID, _ listed: ArchivedSegment, layout: TopicLayout) async -> (VerifiedSegment, [VerifyProblem]) {
        let key = listed.key
        let carriesOffsets = layout.carriesOffsets
        var segment = VerifiedSegment(
            key: key, firstOffset: listed.firstOffset, suffix: listed.suffix, lastOffset: nil, records: nil,
            bytes: listed.size, crc64: nil, crcOK: nil, appendable: true)
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

    /// Reads the whole object in ranges, decoding as it streams: CRC-64, and for jsonl the offset of every record.
    private func fullRead(_ id: VerifyPartitionID, _ segment: inout VerifiedSegment,
                          _ settings: TopicSettings) async throws -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        let carriesOffsets = if case .jsonl = settings.format { true } else { false }
        var crc: UInt64 = 0
        var scan = carriesOffsets ? JSONLScan(id: id, key: segment.key) : nil
        let decoder = StreamingDecoder(settings.compression)
        let lines = LineCursor()
        var decodeFailure: SegmentDecodeError?
        var reader = ObjectChunkReader(archive: archive, key: segment.key, length: segment.bytes, chunkSize: options.readChunk)
        while true {
            let next: (offset: UInt64, bytes: [UInt8])?
            do {
                next = try await reader.next()
            } catch {
                reader.cancel()
                guard let short = error as? ObjectShorterThanExpected else { throw error }
                problems.append(VerifyProblem(.unreadable, id, key: segment.key, "read \(short.got) bytes but HEAD reports \(segment.bytes)"))
                break
            }
            guard let chunk = next else { break }
            crc = CRC64.update(crc, chunk.bytes)
            guard scan != nil, decodeFailure == nil else { continue }
            decoder.setInput(chunk.bytes)
            do {
                while let piece = try decoder.next() {
                    var index = 0
                    while let line = lines.next(in: piece, at: &index) { scan?.line(line) }
                }
            } catch {
                decodeFailure = error
            }
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
        guard var scan else { return problems }
        if decodeFailure == nil {
            do {
                try decoder.finish()
            } catch {
                decodeFailure = error
            }
        }
        if let decodeFailure {
            problems.append(VerifyProblem(.unreadable, id, key: segment.key,
                "the object is not a valid sequence of \(Self.unitName(settings)): \(decodeFailure)"))
            return problems
        }
        scan.finish(pendingBytes: lines.pendingBytes)
        problems += scan.problems
        segment.records = scan.records
        segment.lastOffset = scan.last
        if let first = scan.first, first != segment.firstOffset {
            problems.append(VerifyProblem(.keyOffsetMismatch, id, key: segment.key,
                "the first record has offset \(first) but the key names offset \(segment.firstOffset)"))
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
        let line: [UInt8]
        do {
            line = try await SegmentEnds.lastRecord(
                archive: archive, key: segment.key, length: segment.bytes, compression: settings.compression,
                window: options.tailWindow)
        } catch let problem as SegmentEnds.Problem {
            return [VerifyProblem(.unreadable, id, key: segment.key, problem.description)]
        }
        guard let (partition, offset) = JSONLOffsets.partitionAndOffset(line[...]) else {
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
