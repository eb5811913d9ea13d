import Foundation
public import SinkCore

/// Walks the archived segments of each selected partition and checks them against what the sink writes (README, Guarantees),
/// each topic with its own settings (``SinkSettings/topicSettings(for:)``: key template, prefix, format, compression):
///
/// - segments, ordered by the first offset their key names, continue each other: the next segment's first
///   offset is the previous segment's last offset + 1 (no gap, no overlap);
/// - each object is appendable and, unless ``VerifyOptions/checkCRC`` is off, its CRC-64 computed over a full
///   streaming read equals the CRC the store reports; during that read every jsonl record's offset is checked to
///   follow the previous one and the first to equal the key's offset;
/// - the group's committed offset is the last segment's last offset + 1 and its metadata names the last
///   segment's key, length and CRC-64;
/// - a segment's `segment.*` tags (``SegmentTags``), when it carries them, agree with the object: first and last
///   offset, record count, CRC-64 (so a sealed segment holds exactly what was committed), format, and
///   `segment.sealed: true` only on a sealed object. Finished segments (all but the last of a partition, and
///   the last when its commit says `closed`) without tags are counted in a note: they were written before
///   segments were tagged, or their tagging is still pending.
///
/// What it reads: one listing per topic (``SegmentListing``), one HEAD and one GetObjectTagging per object, the last
/// record of each jsonl object from a tail range (64 KiB first, doubled while the last line does not fit; for
/// compressed objects until the last gzip member / zstd frame decodes), and with the CRC check each object in full,
/// in ``VerifyOptions/readChunk`` ranges decoded as they stream (``StreamingDecoder``), so memory stays bounded
/// whatever the object's size and every record's offset is checked. Raw objects carry no offsets: only key
/// order, CRC-64, appendability and the commit metadata are checked, which the report notes.
///
/// - Important: run it while the sink is stopped or idle. A running sink appends beyond its last commit, which
///   shows up as a commit that does not match the last segment.
public struct ArchiveVerifier: Sendable {
    public let settings: SinkSettings
    public let archive: any ArchiveReader
    /// `nil`: commits are not checked and partitions come from the archived keys only.
    public let commits: (any CommitReader)?
    public let options: VerifyOptions

    public init(settings: SinkSettings, archive: any ArchiveReader, commits: (any CommitReader)?, options: VerifyOptions) {
        self.settings = settings
        self.archive = archive
        self.commits = commits
        self.options = options
    }

    /// Verifies every selected partition.
    /// - Throws: when the archive cannot be listed (nothing can be verified then).
    public func run() async throws -> VerifyReport {
        var report = VerifyReport(partitions: [], globalProblems: [], notes: [])
        if !options.checkCRC {
            report.notes.append("--no-crc: objects were not read in full; CRC-64 and the offsets inside each object were not checked")
        }

        var cluster: [String: [Int32]]?
        var commits = self.commits
        if let reader = commits {
            do {
                cluster = try await reader.topicPartitions()
            } catch {
                // The same cluster would not answer for commits either: report once and skip them.
                report.globalProblems.append(VerifyProblem(.commitsUnavailable, nil,
                    "could not read the topics from Kafka (\(error)); partitions come from the archived keys only and commits were not checked (--no-commits skips Kafka)"))
                commits = nil
            }
        }

        let names = options.topics.filter { !$0.hasPrefix("^") }
        let regexes = options.topics.filter { $0.hasPrefix("^") }
        var topics = Set(names)
        let patterns = settings.segmentKeyPatterns
        if !regexes.isEmpty {
            var candidates = Set(cluster?.keys.map { $0 } ?? [])
            for pattern in patterns { if let topic = pattern.topic { candidates.insert(topic) } }
            candidates.formUnion(try await SegmentListing.topics(patterns: patterns, archive: archive))
            topics.formUnion(candidates.filter { topic in regexes.contains { TopicSelector.pattern($0).matches(topic) } })
        }

        var segmentsByPartition: [VerifyPartitionID: [ArchivedSegment]] = [:]
        var ignored: [String] = []
        var rawTopics: [String] = []
        for topic in topics.sorted() {
            let layout = settings.layout(forTopic: topic)
            if !layout.carriesOffsets { rawTopics.append(topic) }
            let listing = try await SegmentListing.list(
                topic: topic, partition: options.partition, pattern: layout.pattern, otherPatterns: patterns, archive: archive)
            ignored += listing.ignoredKeys
            for (partition, segments) in listing.partitions {
                segmentsByPartition[VerifyPartitionID(topic: topic, partition: partition)] = segments
            }
            for partition in cluster?[topic] ?? [] where options.partition == nil || partition == options.partition {
                segmentsByPartition[VerifyPartitionID(topic: topic, partition: partition), default: []] += []
            }
        }
        if !rawTopics.isEmpty {
            report.notes.append("format raw (\(rawTopics.joined(separator: ", "))): objects carry no offsets, so gaps and overlaps are checked from the first offsets in the keys only; CRC-64, appendability and the commit metadata are checked in full")
        }
        ignored = Array(Set(ignored)).sorted()
        if !ignored.isEmpty {
            let shown = ignored.prefix(5).joined(separator: ", ")
            report.notes.append("ignored \(ignored.count) object(s) whose keys no key template of the configuration produces: \(shown)\(ignored.count > 5 ? ", …" : "")")
        }

        var committed: [VerifyPartitionID: VerifyCommit]?
        if let commits, !segmentsByPartition.isEmpty {
            do {
                committed = try await commits.committed(segmentsByPartition.keys.sorted())
            } catch {
                report.globalProblems.append(VerifyProblem(.commitsUnavailable, nil,
                    "could not read the group's committed offsets (\(error)); commits were not checked"))
            }
        }

        // Partitions are verified concurrently (at most `options.concurrency` at a time), segments of one
        // partition in order; the report lists partitions sorted.
        let ids = segmentsByPartition.keys.sorted()
        var results: [VerifyPartitionID: PartitionVerification] = [:]
        await withTaskGroup(of: PartitionVerification.self) { group in
            var next = 0
            func startNext() {
                guard next < ids.count else { return }
                let id = ids[next]
                next += 1
                let segments = segmentsByPartition[id]!
                let commit = committed.map { $0[id] ?? VerifyCommit(offset: nil, metadata: "") }
                group.addTask { await self.verifyPartition(id, segments: segments, commit: commit) }
            }
            for _ in 0..<options.concurrency { startNext() }
            while let done = await group.next() {
                results[done.id] = done
                startNext()
            }
        }
        report.partitions = ids.compactMap { results[$0] }
        var untagged: [String] = []
        for partition in report.partitions {
            let closed = partition.commit.flatMap { CommitMetadata.parse($0.metadata) }?.closed ?? false
            let finished = closed ? partition.segments[...] : partition.segments.dropLast()
            untagged += finished.filter { $0.tags == nil }.map(\.key)
        }
        if !untagged.isEmpty {
            report.notes.append("\(untagged.count) finished segment(s) carry no segment.* tags (written before segments were tagged, tagging still pending, which a running sink finishes, or abandoned after a mismatch, which is never finished: see the problems above): \(untagged.prefix(5).joined(separator: ", "))\(untagged.count > 5 ? ", …" : "")")
        }
        return report
    }

    func verifyPartition(_ id: VerifyPartitionID, segments: [ArchivedSegment], commit: VerifyCommit?) async -> PartitionVerification {
        let layout = settings.layout(forTopic: id.topic)
        var result = PartitionVerification(id: id, segments: [], commit: commit, problems: [])
        for listed in segments {
            let (segment, problems) = await verifySegment(id, listed, layout: layout)
            result.segments.append(segment)
            result.problems += problems
        }
        result.problems += continuityProblems(id, result.segments)
        if let commit {
            result.problems += commitProblems(id, result.segments, commit, carriesOffsets: layout.carriesOffsets)
        }
        return result
    }

    func continuityProblems(_ id: VerifyPartitionID, _ segments: [VerifiedSegment]) -> [VerifyProblem] {
        var problems: [VerifyProblem] = []
        for (previous, next) in zip(segments, segments.dropFirst()) {
            guard let last = previous.lastOffset else {
                if next.firstOffset <= previous.firstOffset {
                    problems.append(VerifyProblem(.overlap, id, key: next.key,
                        "starts at offset \(next.firstOffset) like \(previous.key): both hold offset \(next.firstOffset)"))
                }
                continue
            }
            if next.firstOffset > last + 1 {
                problems.append(VerifyProblem(.gap, id, key: next.key,
                    "offsets \(last + 1)..\(next.firstOffset - 1) are missing: \(previous.key) ends at \(last) and \(next.key) starts at \(next.firstOffset)"))
            } else if next.firstOffset <= last {
                let end = min(last, next.lastOffset ?? last)
                problems.append(VerifyProblem(.overlap, id, key: next.key,
                    "offsets \(next.firstOffset)..\(end) are archived twice: \(previous.key) ends at \(last) and \(next.key) starts at \(next.firstOffset)"))
            }
        }
        return problems
    }

    func commitProblems(_ id: VerifyPartitionID, _ segments: [VerifiedSegment], _ commit: VerifyCommit,
                        carriesOffsets: Bool) -> [VerifyProblem] {
        guard let offset = commit.offset else {
            if let last = segments.last {
                return [VerifyProblem(.missingCommit, id,
                    "the group has no committed offset but \(segments.count) segment(s) are archived, the last \(last.key)")]
            }
            return []
        }
        guard let last = segments.last else {
            return [VerifyProblem(.commitOffsetMismatch, id,
                "the group committed offset \(offset) (metadata \"\(commit.metadata)\") but no segment is archived for the partition")]
        }
        var problems: [VerifyProblem] = []
        if let lastOffset = last.lastOffset {
            if offset != lastOffset + 1 {
                problems.append(VerifyProblem(.commitOffsetMismatch, id, key: last.key,
                    "committed offset \(offset), but the last segment ends at offset \(lastOffset) (expected commit \(lastOffset + 1))"))
            }
        } else if !carriesOffsets, offset <= last.firstOffset {
            problems.append(VerifyProblem(.commitOffsetMismatch, id, key: last.key,
                "committed offset \(offset) is not past the last segment's first offset \(last.firstOffset)"))
        }
        guard let metadata = CommitMetadata.parse(commit.metadata) else {
            problems.append(VerifyProblem(.commitMetadataUnparseable, id,
                "the committed metadata \"\(commit.metadata)\" is not the sink's (\"v2 key=<key> pos=<length> crc=<crc64> …\" or \"v1 key=<key> pos=<length> crc=<crc64>\")"))
            return problems
        }
        var differences: [String] = []
        if metadata.key != last.key { differences.append("key \(metadata.key) (last segment: \(last.key))") }
        if UInt64(metadata.position) != last.bytes { differences.append("pos \(metadata.position) (object length: \(last.bytes))") }
        if let crc = last.crc64, metadata.crc64 != crc { differences.append("crc \(metadata.crc64) (object CRC-64: \(crc))") }
        if !differences.isEmpty {
            problems.append(VerifyProblem(.commitMetadataMismatch, id, key: last.key,
                "the committed metadata names " + differences.joined(separator: ", ")))
        }
        return problems
    }
}
