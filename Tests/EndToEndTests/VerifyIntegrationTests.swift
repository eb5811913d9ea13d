import ArchiveReading
import Foundation
import KafkaBridge
import OSSClient
import OSSEmulator
import OSSSigning
import SinkApp
import SinkConfig
import SinkCore
import SinkTesting
import Testing

/// `verify` on an archive the real sink wrote (mock cluster + emulator): clean, then after the store is
/// tampered with (a duplicated record appended, a segment removed, a byte flipped on read).
@Suite(.serialized) struct VerifyIntegrationTests {
    static let rollover = """
          rollover:
            max_object_bytes: 128KiB
        """

    @Test func cleanArchivePassesAndTamperingIsReported() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "e2e-verify")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration(sink: Self.rollover)
        let expected = try await stack.produce(count: 3000, partitions: partitions)
        let total = expected.values.reduce(0) { $0 + rendered($1).count }
        try await stack.runSink(configuration) {
            ((try? await stack.objects()) ?? []).reduce(0) { $0 + $1.bytes.count } >= total
        }
        // Wait until the last commit of each partition is visible.
        #expect(await stack.allCommitted(nextOffsets(expected)))

        let client = try OSSClient(configuration: try OSSClientConfiguration(configuration.oss))
        defer { Task { try? await client.shutdown() } }
        let archive = OSSArchiveReader(client: client)
        let commits = KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration))
        let settings = try SinkSettings(configuration)
        func verify(_ reader: any ArchiveReader = archive, checkCRC: Bool = true) async throws -> VerifyReport {
            try await ArchiveVerifier(
                settings: settings, archive: reader, commits: commits,
                options: VerifyOptions(topics: [stack.topic], checkCRC: checkCRC)).run()
        }

        // Clean: every partition, every object, no problem; offsets cover 0..<count per partition.
        let clean = try await verify()
        #expect(clean.problems.isEmpty, "\(clean.text())")
        let objects = try await stack.objects()
        #expect(clean.segmentCount == objects.count)
        #expect(clean.partitions.map(\.id.partition) == [0, 1])
        for partition in clean.partitions {
            let segments = partition.segments
            #expect(segments.count >= 2, "expected rollovers at 128KiB")
            #expect(segments.first?.firstOffset == 0)
            #expect(segments.last?.lastOffset == Int64(expected[partition.id.partition]!.count - 1))
            #expect(segments.reduce(0) { $0 + ($1.records ?? 0) } == Int64(expected[partition.id.partition]!.count))
            #expect(segments.allSatisfy { $0.crcOK == true })
        }
        let quick = try await verify(checkCRC: false)
        #expect(quick.problems.isEmpty, "\(quick.text())")

        // The CLI on the same archive: exit 0 and the summary line.
        let file = try stack.configurationFile(sink: Self.rollover)
        defer { try? FileManager.default.removeItem(atPath: file.path) }
        func cliVerify(_ extra: [String] = []) async throws -> (status: Int32, output: String) {
            let run = try await CLIProcess.run(
                ["verify", "--config", file.path] + extra, in: FileManager.default.temporaryDirectory, environment: file.environment)
            return (run.status, run.stdout + run.stderr)
        }
        let cleanRun = try await cliVerify()
        #expect(cleanRun.status == 0, "\(cleanRun.output)")
        #expect(cleanRun.output.contains("verify: 2 partitions, \(objects.count) segments, 0 problems"))

        // A byte flipped at rest (as GET returns it): CRC mismatch on that object only.
        let p0 = try #require(clean.partitions.first { $0.id.partition == 0 })
        let victim = p0.segments[0].key
        let corrupt = try await verify(ByteFlippingReader(inner: archive, key: victim, at: 100))
        #expect(corrupt.problems.map(\.kind).contains(.crcMismatch))
        #expect(corrupt.problems.filter { $0.kind == .crcMismatch }.map(\.key) == [victim])

        // A record duplicated at the end of partition 0's last segment by another writer.
        let lastKey = try #require(p0.segments.last?.key)
        let lastRecord = try #require(expected[0]?.last)
        _ = try await stack.emulator.foreignAppend(bucket: stack.bucket, key: lastKey, bytes: rendered([lastRecord]))
        // A middle segment of partition 1 removed.
        let p1 = try #require(clean.partitions.first { $0.id.partition == 1 })
        let removed = p1.segments[1]
        _ = try await stack.emulator.store.delete(bucket: stack.bucket, key: removed.key)

        let tampered = try await verify()
        let byPartition = Dictionary(grouping: tampered.problems) { $0.partition?.partition ?? -1 }
        let p0Kinds = Set(byPartition[0, default: []].map(\.kind))
        #expect(p0Kinds.contains(.recordOrder), "\(tampered.text())")
        #expect(p0Kinds.contains(.commitMetadataMismatch))
        #expect(byPartition[0, default: []].contains { $0.description.contains("offset \(lastRecord.offset) after offset \(lastRecord.offset)") })
        let gap = try #require(byPartition[1]?.first { $0.kind == .gap })
        let missing = "offsets \(removed.firstOffset)..\(removed.lastOffset!) are missing"
        #expect(gap.description.contains(missing), "\(gap)")

        let failedRun = try await cliVerify()
        #expect(failedRun.status == 1)
        #expect(failedRun.output.contains("PROBLEM gap \(stack.topic)[1]"))
        #expect(failedRun.output.contains(missing))
        #expect(!failedRun.output.contains(TestStack.credentials.accessKeySecret))
        let onlyP1 = try await cliVerify(["--partition", "1", "--no-crc"])
        #expect(onlyP1.status == 1)
        #expect(onlyP1.output.contains("verify: 1 partitions"))
    }

    @Test func configErrorsExitWithStatusTwo() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verify-bad-\(UUID().uuidString).yaml").path
        try "kafka: {}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLIProcess.run(["verify", "--config", path], in: FileManager.default.temporaryDirectory)
        #expect(run.status == 2)
        #expect(run.stderr.contains("bootstrap_servers"))
    }
}

/// Returns the object's bytes with one byte flipped, as bit rot at rest would; HEAD still reports the stored CRC.
struct ByteFlippingReader: ArchiveReader {
    let inner: any ArchiveReader
    let key: String
    let at: UInt64

    func list(prefix: String) async throws -> [ArchivedObject] { try await inner.list(prefix: prefix) }
    func head(key: String) async throws -> ArchivedObjectHead { try await inner.head(key: key) }
    func tags(key: String) async throws -> [SegmentTag] { try await inner.tags(key: key) }
    func read(key: String, offset: UInt64, count: UInt64) async throws -> [UInt8] {
        var bytes = try await inner.read(key: key, offset: offset, count: count)
        if key == self.key, at >= offset, at < offset + UInt64(bytes.count) {
            bytes[Int(at - offset)] ^= 0x20
        }
        return bytes
    }
}
