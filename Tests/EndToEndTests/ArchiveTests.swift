import Foundation
import KafkaBridge
import OSSEmulator
import OSSSigning
import SinkCore
import SinkTesting
import Testing

/// The sink against librdkafka's mock cluster and the OSS emulator: object bytes must equal the
/// rendered produced records, and committed offsets + metadata must describe the objects.
@Suite(.serialized) struct ArchiveTests {
    @Test func archivesEveryRecordExactlyOnceAndCommitsWithMetadata() async throws {
        let partitions = 3
        let stack = try await TestStack(partitions: partitions, name: "e2e-plain")
        defer { Task { await stack.shutdown() } }
        let expected = try await stack.produce(count: 3000, partitions: partitions)
        let expectedBytes = expected.mapValues { rendered($0) }
        let total = expectedBytes.values.reduce(0) { $0 + $1.count }

        try await stack.runSink(try stack.configuration()) {
            let objects = (try? await stack.objects()) ?? []
            return objects.reduce(0) { $0 + $1.bytes.count } >= total
        }

        let committed = try await stack.committed(partitions: partitions)
        for partition in 0..<Int32(partitions) {
            let objects = try await stack.objects(partition: partition)
            #expect(!objects.isEmpty)
            // Concatenated in key order (keys carry the zero-padded first offset), the objects hold every
            // record of the partition once, in offset order, byte for byte.
            let archived = objects.flatMap(\.bytes)
            #expect(archived.count == expectedBytes[partition]!.count)
            #expect(archived == expectedBytes[partition]!)
            for object in objects {
                #expect(object.record.type.rawValue == "Appendable")
                #expect(object.record.crc64 == OSSSigning.CRC64.checksum(object.bytes))
            }
            // The commit points after the last record and names the last segment's key, length and CRC.
            let commit = try #require(committed[partition])
            #expect(commit.offset == Int64(expected[partition]!.count))
            let metadata = try #require(CommitMetadata.parse(commit.metadata))
            let last = try #require(objects.last)
            #expect(metadata.key == last.record.key)
            #expect(metadata.position == Int(last.record.length))
            #expect(metadata.crc64 == last.record.crc64)
        }
    }

    @Test func restartAfterACleanStopContinuesInTheSameObjects() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "e2e-restart")
        defer { Task { await stack.shutdown() } }
        let configuration = try stack.configuration()

        let first = try await stack.produce(count: 400, partitions: partitions, seed: 1)
        let firstTotal = first.values.reduce(0) { $0 + rendered($1).count }
        try await stack.runSink(configuration) {
            ((try? await stack.objects()) ?? []).reduce(0) { $0 + $1.bytes.count } >= firstTotal
        }
        let keysAfterFirstRun = try await stack.objects().map(\.record.key)

        let second = try await stack.produce(
            count: 600, partitions: partitions, startOffsets: first.mapValues { Int64($0.count) }, seed: 2)
        let all = first.merging(second) { $0 + $1 }
        let total = all.values.reduce(0) { $0 + rendered($1).count }
        try await stack.runSink(configuration) {
            ((try? await stack.objects()) ?? []).reduce(0) { $0 + $1.bytes.count } >= total
        }

        // Same objects: the second run resumed at the committed position instead of opening new segments.
        #expect(try await stack.objects().map(\.record.key) == keysAfterFirstRun)
        let committed = try await stack.committed(partitions: partitions)
        for partition in 0..<Int32(partitions) {
            let archived = try await stack.objects(partition: partition).flatMap(\.bytes)
            #expect(archived == rendered(all[partition]!))
            #expect(committed[partition]?.offset == Int64(all[partition]!.count))
        }
    }
}
