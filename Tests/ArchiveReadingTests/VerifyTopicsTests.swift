import ArchiveReading
import Foundation
import OSSChecksum
import SinkCore
import Testing

/// `verify` with per-topic settings: each topic's segments are found under its own key template and prefix and
/// decoded with its own format and compression.
@Suite struct VerifyTopicsTests {
    static let audit = TopicSettings(
        keyTemplate: try! KeyTemplate("audit/{partition}-{offset:020}{ext}", requiresTopic: false),
        format: .jsonl(valueAsJSON: true), compression: .gzip(level: 6))
    static let logs = TopicSettings(
        keyTemplate: try! KeyTemplate("{prefix}{topic}/{partition}/{offset:020}{ext}"), keyPrefix: "raw/",
        format: .raw(delimiter: [0x0a]), compression: .zstd(level: 3))

    static var settings: SinkSettings {
        SinkSettings(topicRules: [TopicRule(.name("events"), SinkSettings().defaultTopic), TopicRule(.name("audit"), audit),
                                  TopicRule(.pattern("^logs-.*"), logs)])
    }

    /// Segments the way the sink writes them for `topic`'s settings.
    static func factory(_ topic: String, _ settings: TopicSettings) -> SegmentFactory {
        var whole = SinkSettings()
        whole.defaultTopic = settings
        return SegmentFactory(topic: topic, settings: whole)
    }

    /// Two segments per topic, committed after the last.
    static func archive(topics: [(String, TopicSettings)], commits: FakeCommits?) -> FakeArchive {
        let archive = FakeArchive()
        for (topic, settings) in topics {
            let factory = Self.factory(topic, settings)
            factory.put(archive, partition: 0, offsets: 0...9)
            let last = factory.put(archive, partition: 0, offsets: 10...14)
            commits?.set(VerifyPartitionID(topic: topic, partition: 0), factory.commit(key: last.key, bytes: last.bytes, last: 14))
        }
        return archive
    }

    static let topics: [(String, TopicSettings)] = [("events", SinkSettings().defaultTopic), ("audit", audit),
                                                     ("logs-a", logs), ("logs-b", logs)]

    @Test func eachTopicIsVerifiedWithItsOwnLayoutFormatAndCompression() async throws {
        let commits = FakeCommits(topics: ["events": [0], "audit": [0], "logs-a": [0], "logs-b": [0], "other": [0]])
        let archive = Self.archive(topics: Self.topics, commits: commits)
        let report = try await ArchiveVerifier(settings: Self.settings, archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events", "audit", "^logs-.*"])).run()
        #expect(report.problems.isEmpty, "\(report.text())")
        #expect(report.partitions.map(\.id.topic) == ["audit", "events", "logs-a", "logs-b"])
        for partition in report.partitions {
            #expect(partition.segments.map(\.firstOffset) == [0, 10])
            #expect(partition.segments.allSatisfy { $0.crcOK == true })
        }
        // jsonl topics (gzip or not) are read record by record; raw ones by their keys only.
        let audit = try #require(report.partitions.first { $0.id.topic == "audit" })
        #expect(audit.segments.map(\.key) == ["audit/0-00000000000000000000.jsonl.gz", "audit/0-00000000000000000010.jsonl.gz"])
        #expect(audit.segments.map(\.records) == [10, 5] && audit.segments.map(\.lastOffset) == [9, 14])
        let logs = try #require(report.partitions.first { $0.id.topic == "logs-a" })
        #expect(logs.segments.first?.key == "raw/logs-a/0/00000000000000000000.bin.zst")
        #expect(logs.segments.allSatisfy { $0.lastOffset == nil })
        #expect(report.notes.first == "format raw (logs-a, logs-b): objects carry no offsets, so gaps and overlaps are checked from the first offsets in the keys only; CRC-64, appendability and the commit metadata are checked in full")
    }

    @Test func patternTopicsAreFoundInTheArchiveWithoutKafka() async throws {
        let archive = Self.archive(topics: Self.topics, commits: nil)
        let report = try await ArchiveVerifier(settings: Self.settings, archive: archive, commits: nil,
                                               options: VerifyOptions(topics: ["^logs-.*"])).run()
        #expect(report.problems.isEmpty, "\(report.text())")
        #expect(report.partitions.map(\.id.topic) == ["logs-a", "logs-b"])
    }

    @Test func onlyKeysNoTemplateProducesAreIgnored() async throws {
        let commits = FakeCommits(topics: ["events": [0], "audit": [0]])
        let archive = Self.archive(topics: Array(Self.topics.prefix(2)), commits: commits)
        // "events" lists everything under "events"; "events-v2/…" is the default template's for another topic.
        Self.factory("events-v2", SinkSettings().defaultTopic).put(archive, partition: 0, offsets: 0...3)
        archive.put("audit/notes.txt", FakeArchive.Object(bytes: Array("by hand".utf8)))
        archive.put("events/0/readme", FakeArchive.Object(bytes: Array("by hand".utf8)))
        let report = try await ArchiveVerifier(settings: Self.settings, archive: archive, commits: commits,
                                               options: VerifyOptions(topics: ["events", "audit"])).run()
        #expect(report.problems.isEmpty, "\(report.text())")
        #expect(report.notes.first == "ignored 2 object(s) whose keys no key template of the configuration produces: audit/notes.txt, events/0/readme")

        // The audit segments read with the default topic's settings (as a configuration without the audit entry
        // would): not found under the default template, so the commit names a segment that is not there.
        let withoutEntry = try await ArchiveVerifier(settings: SinkSettings(), archive: archive, commits: commits,
                                                     options: VerifyOptions(topics: ["audit"])).run()
        #expect(withoutEntry.problems.map(\.kind) == [.commitOffsetMismatch])
    }
}
