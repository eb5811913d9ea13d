import ArchiveReading
import OSSChecksum
import Foundation
import SinkCore
import Testing

/// `ArchiveVerifier` against fabricated archives and commits: no servers.
@Suite struct VerifyLogicTests {
    let p0 = VerifyPartitionID(topic: "events", partition: 0)

    func verifier(
        _ archive: FakeArchive, _ commits: FakeCommits?, settings: SinkSettings = SinkSettings(),
        options: VerifyOptions = VerifyOptions(topics: ["events"])
    ) -> ArchiveVerifier {
        ArchiveVerifier(settings: settings, archive: archive, commits: commits, options: options)
    }

    /// Three contiguous segments 0..9, 10..19, 20..24 of partition 0, committed after 24.
    func cleanArchive(_ factory: SegmentFactory = SegmentFactory()) -> (FakeArchive, FakeCommits, [String]) {
        let archive = FakeArchive()
        let commits = FakeCommits(topics: ["events": [0]])
        let a = factory.put(archive, partition: 0, offsets: 0...9)
        let b = factory.put(archive, partition: 0, offsets: 10...19)
        let c = factory.put(archive, partition: 0, offsets: 20...24)
        commits.set(p0, factory.commit(key: c.key, bytes: c.bytes, last: 24))
        return (archive, commits, [a.key, b.key, c.key])
    }

    @Test func cleanArchivePasses() async throws {
        let (archive, commits, keys) = cleanArchive()
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.partitions.map(\.id) == [p0])
        let segments = report.partitions[0].segments
        #expect(segments.map(\.key) == keys)
        #expect(segments.map(\.firstOffset) == [0, 10, 20])
        #expect(segments.map(\.lastOffset) == [9, 19, 24])
        #expect(segments.map(\.records) == [10, 10, 5])
        #expect(segments.allSatisfy { $0.crcOK == true })
        let text = report.text()
        #expect(text.hasSuffix("verify: 1 partitions, 3 segments, 0 problems\n"))
        #expect(text.contains("events[0]: 3 segment(s), committed offset 25"))
        #expect(text.contains(keys[1]))
        #expect(text.contains("10..19"))
    }

    @Test func removedSegmentIsAGapNamingTheOffsets() async throws {
        let (archive, commits, keys) = cleanArchive()
        archive.remove(keys[1])
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.gap])
        let problem = try #require(report.problems.first)
        #expect(problem.partition == p0)
        #expect(problem.description.contains("offsets 10..19 are missing"))
        #expect(report.text().contains("verify: 1 partitions, 2 segments, 1 problems"))
    }

    @Test func overlappingSegmentsAreReported() async throws {
        let factory = SegmentFactory()
        let archive = FakeArchive()
        let commits = FakeCommits(topics: ["events": [0]])
        factory.put(archive, partition: 0, offsets: 0...9)
        let b = factory.put(archive, partition: 0, offsets: 5...14)
        commits.set(p0, factory.commit(key: b.key, bytes: b.bytes, last: 14))
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.overlap])
        #expect(report.problems[0].description.contains("offsets 5..9 are archived twice"))
    }

    @Test func duplicatedRecordInsideAnObjectIsReported() async throws {
        let factory = SegmentFactory()
        let (archive, commits, keys) = cleanArchive(factory)
        // Offset 13 appended twice in the middle segment: the segment still ends at 19.
        let bytes = factory.bytes(partition: 0, offsets: [10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19])
        archive.put(keys[1], FakeArchive.Object(bytes: bytes))
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.recordOrder])
        #expect(report.problems[0].description.contains("offset 13 after offset 13"))
        #expect(report.partitions[0].segments[1].records == 11)
        // Without full reads only the tail is read: the duplicate inside the object is not visible.
        let quick = try await verifier(archive, commits, options: VerifyOptions(topics: ["events"], checkCRC: false)).run()
        #expect(quick.problems.isEmpty)
    }

    @Test func crcMismatchIsReportedAndSkippedWithNoCRC() async throws {
        let (archive, commits, keys) = cleanArchive()
        archive.update(keys[0]) { $0.reportedCRC = 12345 }
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.crcMismatch])
        #expect(report.problems[0].key == keys[0])
        #expect(report.partitions[0].segments[0].crcOK == false)
        #expect(report.text().contains("BAD"))

        let before = archive.bytesRead
        let quick = try await verifier(archive, commits, options: VerifyOptions(topics: ["events"], checkCRC: false)).run()
        #expect(quick.problems.isEmpty)
        #expect(quick.partitions[0].segments.map(\.lastOffset) == [9, 19, 24])
        #expect(quick.partitions[0].segments.allSatisfy { $0.crcOK == nil })
        // Tails only: each object fits in the first 64 KiB window, so each is read once in full at most.
        let total = try await archive.list(prefix: "").reduce(0) { $0 + Int($1.size) }
        #expect(archive.bytesRead - before <= total)
    }

    @Test func tailWindowGrowsUntilTheLastLineFits() async throws {
        let (archive, commits, _) = cleanArchive()
        let before = archive.bytesRead
        let report = try await verifier(archive, commits, options: VerifyOptions(topics: ["events"], checkCRC: false, tailWindow: 16)).run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.partitions[0].segments.map(\.lastOffset) == [9, 19, 24])
        // A last line is about 150 bytes: windows of 16, 32, …, 256 bytes, far less than the objects.
        let total = try await archive.list(prefix: "").reduce(0) { $0 + Int($1.size) }
        #expect(archive.bytesRead - before < total)
    }

    @Test func commitOffsetDisagreementIsReported() async throws {
        let factory = SegmentFactory()
        let (archive, commits, keys) = cleanArchive(factory)
        let last = try #require(try await archive.list(prefix: keys[2]).first)
        let bytes = try await archive.read(key: keys[2], offset: 0, count: last.size)
        var commit = factory.commit(key: keys[2], bytes: bytes, last: 24)
        commit.offset = 23
        commits.set(p0, commit)
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.commitOffsetMismatch])
        #expect(report.problems[0].description.contains("committed offset 23, but the last segment ends at offset 24"))
    }

    @Test func commitMetadataDisagreementIsReported() async throws {
        let (archive, commits, keys) = cleanArchive()
        commits.set(p0, VerifyCommit(offset: 25, metadata: CommitMetadata(key: keys[1], position: 7, crc64: 1).encoded))
        let report = try await verifier(archive, commits).run()
        #expect(report.problems.map(\.kind) == [.commitMetadataMismatch])
        let text = report.problems[0].description
        #expect(text.contains("key \(keys[1])") && text.contains("pos 7") && text.contains("crc 1"))

        commits.set(p0, VerifyCommit(offset: 25, metadata: "hello"))
        let unparseable = try await verifier(archive, commits).run()
        #expect(unparseable.problems.map(\.kind) == [.commitMetadataUnparseable])

        commits.set(p0, VerifyCommit(offset: nil, metadata: ""))
        let missing = try await verifier(archive, commits).run()
        #expect(missing.problems.map(\.kind) == [.missingCommit])

        // Without a commit reader the commit is not checked at all.
        let skipped = try await verifier(archive, nil).run()
        #expect(skipped.problems.isEmpty)
    }

    @Test func appendedTailBeyondTheCommitIsReported() async throws {
        let factory = SegmentFactory()
        let (archive, commits, keys) = cleanArchive(factory)
        // A writer appended 25..26 without committing: offsets continue, but the commit no longer describes the object.
        archive.update(keys[2]) { $0.bytes += factory.bytes(partition: 0, offsets: [25, 26]) }
        let report = try await verifier(archive, commits).run()
        #expect(Set(report.problems.map(\.kind)) == [.commitOffsetMismatch, .commitMetadataMismatch])
    }

    @Test func nonAppendableAndForeignObjectsAreReported() async throws {
        let factory = SegmentFactory()
        let (archive, commits, keys) = cleanArchive(factory)
        archive.update(keys[0]) { $0.appendable = false }
        // A bogus object under a key the template produces, starting at offset 30.
        archive.put(factory.key(partition: 0, first: 30), FakeArchive.Object(bytes: Array("not a record\n".utf8)))
        // An object the template does not produce is ignored (listed in a note).
        archive.put("events/README.txt", FakeArchive.Object(bytes: Array("hello".utf8)))
        let report = try await verifier(archive, commits).run()
        let kinds = report.problems.map(\.kind)
        #expect(kinds.contains(.notAppendable))
        #expect(kinds.contains(.recordOrder))  // the bogus line is not a record
        #expect(report.notes.contains { $0.contains("events/README.txt") })
    }

    @Test func commitsAndClusterPartitionsWithoutSegments() async throws {
        let factory = SegmentFactory()
        let (archive, commits, _) = cleanArchive(factory)
        // Partition 1 committed but nothing archived: a problem. Partition 2 neither: fine, listed.
        let withOrphan = FakeCommits(topics: ["events": [0, 1, 2]])
        let committed = try await commits.committed([p0])
        withOrphan.set(p0, committed[p0]!)
        withOrphan.set(VerifyPartitionID(topic: "events", partition: 1), VerifyCommit(offset: 40, metadata: ""))
        let report = try await verifier(archive, withOrphan).run()
        #expect(report.partitions.map(\.id.partition) == [0, 1, 2])
        #expect(report.problems.map(\.kind) == [.commitOffsetMismatch])
        #expect(report.problems[0].partition?.partition == 1)
        #expect(report.summary == "verify: 3 partitions, 3 segments, 1 problems")
    }

    @Test func unreachableKafkaIsOneProblemAndTheArchiveIsStillChecked() async throws {
        let (archive, _, keys) = cleanArchive()
        archive.remove(keys[1])
        let report = try await verifier(archive, FakeCommits(topics: [:], unreachable: true)).run()
        #expect(report.problems.map(\.kind).sorted(by: { $0.rawValue < $1.rawValue }) == [.commitsUnavailable, .gap])
        #expect(report.globalProblems.count == 1)
        #expect(report.partitions.first?.commit == nil)
    }

    @Test func topicPatternsAndPartitionFilter() async throws {
        let factory = SegmentFactory()
        let (archive, commits, _) = cleanArchive(factory)
        let logs = SegmentFactory(topic: "logs-a")
        logs.put(archive, partition: 3, offsets: 0...4)
        let report = try await verifier(archive, nil, options: VerifyOptions(topics: ["^logs-.*"])).run()
        #expect(report.partitions.map(\.id) == [VerifyPartitionID(topic: "logs-a", partition: 3)])
        #expect(report.problems.isEmpty)

        let only = try await verifier(archive, commits, options: VerifyOptions(topics: ["events"], partition: 0)).run()
        #expect(only.partitions.map(\.id) == [p0])
        let none = try await verifier(archive, commits, options: VerifyOptions(topics: ["events"], partition: 5)).run()
        #expect(none.partitions.isEmpty)
    }

    @Test(arguments: [SinkSettings.Compression.gzip(level: 6), .zstd(level: 3)])
    func compressedSegments(_ compression: SinkSettings.Compression) async throws {
        let factory = SegmentFactory(settings: SinkSettings(compression: compression))
        let (archive, commits, keys) = cleanArchive(factory)
        #expect(keys[0].hasSuffix(compression == .gzip(level: 6) ? ".jsonl.gz" : ".jsonl.zst"))
        for checkCRC in [true, false] {
            let report = try await verifier(
                archive, commits, settings: factory.settings,
                options: VerifyOptions(topics: ["events"], checkCRC: checkCRC, tailWindow: 32)).run()
            #expect(report.problems.isEmpty, "\(report.problems)")
            #expect(report.partitions[0].segments.map(\.lastOffset) == [9, 19, 24])
            #expect(report.partitions[0].segments.map(\.records) == (checkCRC ? [10, 10, 5] : [nil, nil, nil]))
        }
        // Read in ranges far smaller than a gzip member / zstd frame: decoded as they stream, every record counted.
        let chunked = try await verifier(
            archive, commits, settings: factory.settings,
            options: VerifyOptions(topics: ["events"], readChunk: 16, concurrency: 1)).run()
        #expect(chunked.problems.isEmpty, "\(chunked.problems)")
        #expect(chunked.partitions[0].segments.map(\.lastOffset) == [9, 19, 24])
        #expect(chunked.partitions[0].segments.map(\.records) == [10, 10, 5])
        #expect(chunked.partitions[0].segments.allSatisfy { $0.crcOK == true })
        archive.remove(keys[1])
        let gap = try await verifier(archive, commits, settings: factory.settings,
                                     options: VerifyOptions(topics: ["events"], checkCRC: false)).run()
        #expect(gap.problems.map(\.kind) == [.gap])
        // A truncated last unit cannot be decoded.
        archive.update(keys[2]) { $0.bytes.removeLast(3) }
        let truncated = try await verifier(archive, nil, settings: factory.settings,
                                           options: VerifyOptions(topics: ["events"], checkCRC: false)).run()
        #expect(truncated.problems.contains { $0.kind == .unreadable && $0.key == keys[2] })
    }

    @Test func rawSegmentsCheckKeyOrderCRCAndCommits() async throws {
        let factory = SegmentFactory(settings: SinkSettings(format: .raw(delimiter: [0x0a])))
        let (archive, commits, _) = cleanArchive(factory)
        let report = try await verifier(archive, commits, settings: factory.settings).run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.notes.contains { $0.contains("raw") })
        #expect(report.partitions[0].segments.allSatisfy { $0.lastOffset == nil && $0.crcOK == true })
        // A second object starting at the same offset (a `~1` key) overlaps.
        factory.put(archive, partition: 0, offsets: 20...24, suffix: 1)
        let overlap = try await verifier(archive, nil, settings: factory.settings).run()
        #expect(overlap.problems.map(\.kind) == [.overlap])
        #expect(overlap.partitions[0].segments.map(\.key).last == factory.key(partition: 0, first: 20, suffix: 1))
    }
}

/// The `segment.*` tags of finished segments against what the objects hold.
@Suite struct VerifyTagsTests {
    let p0 = VerifyPartitionID(topic: "events", partition: 0)

    /// Segments 0..9 and 10..19 finished (sealed, tagged as the sink tags them), 20..24 open.
    func finishedArchive() -> (FakeArchive, FakeCommits, [String]) {
        let factory = SegmentFactory()
        let archive = FakeArchive()
        let commits = FakeCommits(topics: ["events": [0]])
        var keys: [String] = []
        for (offsets, finished) in [(Int64(0)...9, true), (10...19, true), (20...24, false)] {
            let (key, bytes) = factory.put(archive, partition: 0, offsets: offsets)
            keys.append(key)
            guard finished else {
                commits.set(p0, factory.commit(key: key, bytes: bytes, last: offsets.upperBound))
                continue
            }
            let segment = SegmentDescription(key: key, length: bytes.count, crc64: CRC64.checksum(bytes),
                                             firstOffset: offsets.lowerBound, lastOffset: offsets.upperBound, recordCount: offsets.count)
            archive.update(key) {
                $0.sealed = true
                $0.tags = [SegmentTag("team", "data")] + SegmentTags.tags(for: segment, sealed: true, format: "jsonl")
            }
        }
        return (archive, commits, keys)
    }

    @Test func tagsThatDescribeTheObjectsPass() async throws {
        let (archive, commits, keys) = finishedArchive()
        let report = try await ArchiveVerifier(settings: SinkSettings(), archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events"])).run()
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.notes.isEmpty, "\(report.notes)")
        #expect(report.partitions[0].segments.map(\.sealed) == [true, true, false])
        #expect(report.partitions[0].segments[0].tags?.recordCount == 10)
        #expect(report.text().contains("FINISHED"))
        #expect(report.text().split(separator: "\n").contains { $0.contains(keys[0]) && $0.hasSuffix("sealed") })
        // What replay reads without reading the object.
        #expect(try await archive.segmentTags(key: keys[1]) == SegmentTags.Parsed(
            firstOffset: 10, lastOffset: 19, recordCount: 10, crc64: try #require(report.partitions[0].segments[1].crc64),
            format: "jsonl", sealed: true))
        #expect(try await archive.segmentTags(key: keys[2]) == nil)
    }

    @Test func tagsThatDisagreeAreProblems() async throws {
        let (archive, commits, keys) = finishedArchive()
        archive.update(keys[0]) { object in
            object.tags = object.tags.map { tag in
                switch tag.key {
                case SegmentTags.records: SegmentTag(tag.key, "11")
                case SegmentTags.crc64: SegmentTag(tag.key, "12345")
                default: tag
                }
            }
        }
        archive.update(keys[1]) { $0.sealed = false }
        let report = try await ArchiveVerifier(settings: SinkSettings(), archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events"])).run()
        #expect(report.problems.map(\.kind) == [.tagMismatch, .tagMismatch, .tagMismatch])
        #expect(report.problems[0].description.contains("segment.records is 11 but the object holds 10 records"))
        #expect(report.problems[1].description.contains("segment.crc64 is 12345"))
        #expect(report.problems[2].description.contains("segment.sealed is true but the object is not sealed"))
        // A format the configuration does not render.
        let json = try await ArchiveVerifier(settings: SinkSettings(format: .jsonl(valueAsJSON: true)), archive: archive, commits: nil,
                                             options: VerifyOptions(topics: ["events"], checkCRC: false)).run()
        #expect(json.problems.contains { $0.kind == .tagMismatch && $0.message.contains("segment.format is jsonl but the configuration renders jsonl.json") })
    }

    @Test func untaggedFinishedSegmentsAreANote() async throws {
        let (archive, commits, keys) = finishedArchive()
        archive.update(keys[0]) { $0.tags = [] }
        let report = try await ArchiveVerifier(settings: SinkSettings(), archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events"])).run()
        #expect(report.problems.isEmpty)
        #expect(report.notes.contains { $0.hasPrefix("1 finished segment(s) carry no segment.* tags") && $0.contains(keys[0]) })
    }

    @Test func segmentsInColdArchiveNeedARestore() async throws {
        let (archive, commits, keys) = finishedArchive()
        archive.update(keys[0]) { $0.storageClass = "ColdArchive" }
        archive.update(keys[1]) { $0.storageClass = "ColdArchive"; $0.restore = "ongoing-request=\"false\", expiry-date=\"Sun, 16 Apr 2017 08:12:33 GMT\"" }
        let before = archive.bytesRead
        let report = try await ArchiveVerifier(settings: SinkSettings(), archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events"])).run()
        #expect(report.problems.map(\.kind) == [.needsRestore])
        #expect(report.problems[0].key == keys[0])
        #expect(report.problems[0].message.contains("ColdArchive storage; restore it (RestoreObject)"))
        // Only the restored and the open segment were read.
        let sizes = try await archive.list(prefix: "").reduce(into: [String: UInt64]()) { $0[$1.key] = $1.size }
        #expect(UInt64(archive.bytesRead - before) == sizes[keys[1]]! + sizes[keys[2]]!)
    }
}

/// Reading keys back through the configured template.
@Suite struct SegmentKeyPatternTests {
    @Test func defaultTemplateRoundTrips() throws {
        let pattern = SegmentKeyPattern(template: .default, prefix: "archive/", ext: ".jsonl")
        let time = LocalTime(year: 2026, month: 1, day: 2, hour: 3, minute: 4)
        for (topic, partition, offset, suffix) in [("events", Int32(0), Int64(0), 0), ("a.b-c_d", 12, 123_456_789, 1), ("x", 7, 5, 23)] {
            let key = KeyTemplate.default.render(
                prefix: "archive/", topic: topic, partition: partition, offset: offset, time: time, ext: ".jsonl", suffix: suffix)
            let parsed = try #require(pattern.parse(key), "\(key)")
            #expect(parsed == SegmentKeyPattern.Parsed(topic: topic, partition: partition, firstOffset: offset, suffix: suffix))
        }
        #expect(pattern.listingPrefix(topic: "events") == "archive/events/")
        #expect(pattern.listingPrefix(topic: "events", partition: 3) == "archive/events/3/")
        #expect(pattern.listingPrefix(topic: nil) == "archive/")
    }

    @Test func rejectsKeysTheTemplateDoesNotProduce() {
        let pattern = SegmentKeyPattern(template: .default, prefix: "", ext: ".jsonl")
        #expect(pattern.parse("events/0/2026/01/02/events+0+00000000000000000005.jsonl") != nil)
        #expect(pattern.parse("events/0/2026/01/02/events+0+5.jsonl") == nil)            // not 20 digits
        #expect(pattern.parse("events/0/2026/01/02/events+1+00000000000000000005.jsonl") == nil)  // partitions differ
        #expect(pattern.parse("events/0/2026/01/02/other+0+00000000000000000005.jsonl") == nil)   // topics differ
        #expect(pattern.parse("events/0/2026/01/02/events+0+00000000000000000005.jsonl.gz") == nil)
        #expect(pattern.parse("events/README.txt") == nil)
    }

    @Test func customTemplateWithoutExtension() throws {
        let template = try KeyTemplate("{topic}-{partition:3}/{yyyy}{MM}{dd}{HH}/{offset}")
        let pattern = SegmentKeyPattern(template: template, prefix: "", ext: ".jsonl")
        let key = template.render(prefix: "", topic: "logs-x", partition: 4, offset: 77,
                                  time: LocalTime(year: 2026, month: 3, day: 4, hour: 5, minute: 0), ext: ".jsonl", suffix: 2)
        #expect(key == "logs-x-004/2026030405/77~2")
        #expect(pattern.parse(key) == SegmentKeyPattern.Parsed(topic: "logs-x", partition: 4, firstOffset: 77, suffix: 2))
        #expect(pattern.listingPrefix(topic: "logs-x", partition: 4) == "logs-x-004/")
        #expect(pattern.parse("logs-x-4/2026030405/77") == nil)
    }
}
