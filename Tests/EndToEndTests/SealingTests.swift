import ArchiveReading
import Foundation
import KafkaBridge
import Logging
import OSSClient
import OSSEmulator
import OSSSigning
import SinkApp
import SinkConfig
import SinkCore
import SinkTesting
import Testing

/// `sink.rollover.seal: true` against the mock cluster and the emulator: every finished segment ends sealed at
/// its committed length with tags that describe it, the open one is not, and failures of the seal never lose,
/// duplicate or hold up records.
@Suite(.serialized) struct SealingTests {
    /// Each finished object (all but the last of a partition) HEADs sealed at its length with the tags of what
    /// it holds; the last one is open (not sealed, no segment tags). Returns the number of finished objects.
    @discardableResult
    func expectFinished(_ stack: TestStack, _ configuration: SinkConfiguration, _ expected: [Int32: [SinkRecord]],
                        sealed: Bool = true) async throws -> Int {
        let client = try OSSClient(configuration: try OSSClientConfiguration(configuration.oss))
        defer { Task { try? await client.shutdown() } }
        var finishedCount = 0
        for (partition, records) in expected.sorted(by: { $0.key < $1.key }) {
            let objects = try await stack.objects(partition: partition)
            #expect(objects.flatMap(\.bytes) == rendered(records))
            var next = 0
            for (index, object) in objects.enumerated() {
                let lines = object.bytes.filter { $0 == 0x0a }.count
                let first = records[next].offset
                let last = records[next + lines - 1].offset
                next += lines
                let key = object.record.key
                let head = try await client.headObject(key: key)
                let tags = try await client.getObjectTagging(key: key).map { SegmentTag($0.key, $0.value) }
                guard index < objects.count - 1 else {
                    #expect(head.sealedTime == nil, "the open segment \(key) is sealed")
                    #expect(try SegmentTags.parse(tags) == nil, "the open segment \(key) carries segment tags")
                    continue
                }
                finishedCount += 1
                #expect((head.sealedTime != nil) == sealed, "finished segment \(key): sealed \(head.sealedTime != nil)")
                #expect(head.contentLength == object.record.length && head.crc64 == CRC64.checksum(object.bytes))
                #expect(try SegmentTags.parse(tags) == SegmentTags.Parsed(
                    firstOffset: first, lastOffset: last, recordCount: lines, crc64: CRC64.checksum(object.bytes),
                    format: "jsonl", sealed: sealed), "tags of \(key): \(tags)")
            }
        }
        return finishedCount
    }

    /// The archive as `verify` sees it.
    func verify(_ stack: TestStack, _ configuration: SinkConfiguration) async throws -> VerifyReport {
        let client = try OSSClient(configuration: try OSSClientConfiguration(configuration.oss))
        defer { Task { try? await client.shutdown() } }
        return try await ArchiveVerifier(
            settings: try SinkSettings(configuration), archive: OSSArchiveReader(client: client),
            commits: KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration)),
            options: VerifyOptions(topics: [stack.topic])).run()
    }

    /// Every object of the topic but the last of each partition is sealed.
    func finishedAreSealed(_ stack: TestStack, partitions: Int) async -> Bool {
        for partition in 0..<Int32(partitions) {
            guard let objects = try? await stack.objects(partition: partition), objects.count >= 2,
                  objects.dropLast().allSatisfy({ $0.record.sealedTime != nil && $0.record.attributes.tagging != nil })
            else { return false }
        }
        return true
    }

    static let sealBySize = """
          rollover:
            max_object_bytes: 16KiB
            seal: true
        """

    @Test func rolloverBySizeSealsEveryFinishedSegmentAndAppendsGoOnInTheNext() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "seal-size")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: Self.sealBySize, batchMaxBytes: "4KiB")
        let wave1 = try await stack.produce(count: 600, partitions: partitions, seed: 1)
        let log = CapturedLogs(echo: .warning)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) {
            guard await stack.allCommitted(nextOffsets(wave1)) else { return false }
            return await finishedAreSealed(stack, partitions: partitions)
        }
        let finished1 = try await expectFinished(stack, configuration, wave1)
        #expect(finished1 >= 2 * partitions)
        #expect(log.lines("segment finished").count >= finished1)
        #expect(log.lines("segment finished").allSatisfy { $0.metadata["outcome"] == "sealed" })

        // A second run continues the open segments, rolls them over in turn, and seals them.
        let wave2 = try await stack.produce(count: 600, partitions: partitions, startOffsets: nextOffsets(wave1), seed: 2)
        let all = mergedWaves(wave1, wave2)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) {
            guard await stack.allCommitted(nextOffsets(all)) else { return false }
            return await finishedAreSealed(stack, partitions: partitions)
        }
        #expect(try await expectFinished(stack, configuration, all) > finished1)
        let report = try await verify(stack, configuration)
        #expect(report.problems.isEmpty, "\(report.text())")
        #expect(report.notes.isEmpty, "\(report.notes)")
        #expect(report.partitions.allSatisfy { $0.segments.dropLast().allSatisfy { $0.sealed && $0.tags?.sealed == true } })
    }

    @Test func rolloverByTimeBucketSealsTheHoursThatEnded() async throws {
        let stack = try await TestStack(partitions: 1, name: "seal-hour")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: """
              key_template: "{topic}/{partition}/{yyyy}{MM}{dd}{HH}/{offset:020}{ext}"
              rollover:
                seal: true
            """)
        // Twelve records 20 minutes apart: four hours (2025-11-23 12:13Z, 12:33, 12:53, 13:13 ...).
        let records = try await stack.produce(values: smallValues(12, wave: 1), partition: 0, timestampStepMs: 20 * 60 * 1000)
        try await stack.runSink(configuration) {
            guard await stack.allCommitted([0: 12]) else { return false }
            return await finishedAreSealed(stack, partitions: 1)
        }
        let objects = try await stack.objects(partition: 0)
        #expect(objects.map(\.record.key) == [12, 13, 14, 15].enumerated().map { index, hour in
            "\(stack.topic)/0/202511\(23)\(hour)/\(String(format: "%020d", index * 3))" + ".jsonl"
        })
        #expect(try await expectFinished(stack, configuration, [0: records]) == 3)
    }

    @Test func sealNotEnabledIsOneWarningAndSegmentsAreTaggedOnly() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "seal-off", sealEnabled: false)
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: Self.sealBySize, batchMaxBytes: "4KiB")
        let expected = try await stack.produce(count: 800, partitions: partitions, seed: 1)
        let log = CapturedLogs(echo: .error)
        let observed = ObservedSink()
        try await stack.runSink(configuration, logger: log.logger(label: "sink"), reporter: observed.reporter) {
            guard await stack.allCommitted(nextOffsets(expected)) else { return false }
            for partition in 0..<Int32(partitions) {
                guard let objects = try? await stack.objects(partition: partition), objects.count >= 3,
                      objects.dropLast().allSatisfy({ $0.record.attributes.tagging != nil }) else { return false }
            }
            return true
        }
        let warnings = log.lines(startingWith: "configuration: OSS does not allow SealAppendObject")
        #expect(warnings.count == 1)
        #expect(warnings.first?.metadata["reason"]?.contains("OperationNotSupported") == true)
        #expect(observed.value("kafka_oss_sink_sealing_enabled") == 0)
        #expect(try await expectFinished(stack, configuration, expected, sealed: false) >= 2 * partitions)
        #expect(log.lines("segment finished").allSatisfy { $0.metadata["outcome"] == "tagged" })
    }

    @Test func transientSealFailuresAreRetriedAcrossARestartWithoutHoldingUpAppends() async throws {
        let stack = try await TestStack(partitions: 1, name: "seal-503")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: Self.sealBySize, batchMaxBytes: "4KiB", shutdownTimeout: "5s")
        // Every seal fails with 503 until the faults are cleared.
        stack.emulator.faults.failNext(1_000_000, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST", query: "seal"))
        let expected = try await stack.produce(count: 400, partitions: 1, seed: 1)
        let log = CapturedLogs(echo: .error)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) {
            guard await stack.allCommitted(nextOffsets(expected)) else { return false }
            return log.lines("OSS request failed; retrying").contains { $0.metadata["reason"]?.contains("SealAppendObject") == true }
        }
        // Everything was archived and committed although no segment could be sealed.
        let objects = try await stack.objects(partition: 0)
        #expect(objects.count >= 3)
        #expect(objects.flatMap(\.bytes) == rendered(expected[0]!))
        #expect(objects.allSatisfy { $0.record.sealedTime == nil })
        // The commit lists the finished segments, so the next run seals them once OSS accepts seals again.
        let commit = try #require(try await stack.committed(partitions: 1)[0])
        let metadata = try #require(CommitMetadata.parse(commit.metadata))
        #expect(Set(metadata.finishing.map(\.key) + (metadata.closed ? [metadata.key] : []))
                == Set(objects.dropLast(metadata.closed ? 0 : 1).map(\.record.key)))
        stack.emulator.faults.reset()
        try await stack.runSink(configuration) { await finishedAreSealed(stack, partitions: 1) }
        #expect(try await expectFinished(stack, configuration, expected) == objects.count - 1)
    }

    @Test func aSegmentAnotherWriterAppendedToIsNotSealed() async throws {
        let stack = try await TestStack(partitions: 1, name: "seal-fence")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: Self.sealBySize, batchMaxBytes: "4KiB")
        stack.emulator.faults.failNext(1_000_000, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST", query: "seal"))
        let expected = try await stack.produce(count: 400, partitions: 1, seed: 1)
        let log = CapturedLogs(echo: .critical)
        let tampered = SharedBox<String?>(nil)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) {
            if tampered.current == nil {
                // The first segment finished but could not be sealed yet: a stale writer appends to it.
                guard let first = try? await stack.objects(partition: 0).first?.record.key,
                      log.lines("OSS request failed; retrying").contains(where: { $0.metadata["reason"]?.contains(first) == true })
                else { return false }
                _ = try? await stack.emulator.foreignAppend(bucket: stack.bucket, key: first, bytes: Array("zombie\n".utf8))
                tampered.set(first)
                stack.emulator.faults.reset()
                return false
            }
            guard await stack.allCommitted(nextOffsets(expected)) else { return false }
            return !log.lines(startingWith: "finished segment changed after its last commit").isEmpty
        }
        let key = try #require(tampered.current)
        let refused = log.lines(startingWith: "finished segment changed after its last commit")
        #expect(refused.count == 1 && refused.first?.metadata["key"] == key)
        #expect(refused.first?.metadata["outcome"] == "refused")
        let record = try #require(stack.emulator.store.head(bucket: stack.bucket, key: key))
        #expect(record.sealedTime == nil && record.attributes.tagging == nil)
        // Every record is still archived once, in order, after the zombie's bytes.
        let objects = try await stack.objects(partition: 0)
        let zombie = Array("zombie\n".utf8)
        #expect(objects.flatMap { $0.record.key == key ? Array($0.bytes.dropLast(zombie.count)) : $0.bytes } == rendered(expected[0]!))
    }
}

extension CapturedLogs {
    /// Lines whose message starts with `prefix`.
    func lines(startingWith prefix: String) -> [Line] { lines.filter { $0.message.hasPrefix(prefix) } }
}
