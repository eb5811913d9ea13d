import ArchiveReading
import Foundation
import OSSChecksum
import SinkCore
import Synchronization

/// An in-memory ``ArchiveReader``: objects with their bytes, type and the CRC the "store" reports,
/// counting the bytes read so tests can assert what verify reads.
final class FakeArchive: ArchiveReader {
    struct Object {
        var bytes: [UInt8]
        var appendable = true
        /// Reported CRC; `nil` reports the CRC of `bytes`.
        var reportedCRC: UInt64?
        var sealed = false
        var tags: [SegmentTag] = []
        var storageClass: String?
        var restore: String?
    }

    private let state = Mutex<(objects: [String: Object], bytesRead: Int)>(([:], 0))

    var bytesRead: Int { state.withLock { $0.bytesRead } }

    func put(_ key: String, _ object: Object) { state.withLock { $0.objects[key] = object } }
    func remove(_ key: String) { state.withLock { $0.objects[key] = nil } }
    func update(_ key: String, _ body: (inout Object) -> Void) {
        state.withLock { body(&$0.objects[key]!) }
    }

    func list(prefix: String) async throws -> [ArchivedObject] {
        state.withLock { state in
            state.objects.filter { $0.key.hasPrefix(prefix) }.map { ArchivedObject(key: $0.key, size: UInt64($0.value.bytes.count)) }
        }
    }

    func head(key: String) async throws -> ArchivedObjectHead {
        guard let object = state.withLock({ $0.objects[key] }) else { throw FakeError(message: "NoSuchKey \(key)") }
        return ArchivedObjectHead(
            length: UInt64(object.bytes.count), appendable: object.appendable,
            crc64: object.reportedCRC ?? CRC64.checksum(object.bytes), typeName: object.appendable ? "Appendable" : "Normal",
            sealed: object.sealed, storageClass: object.storageClass, restore: object.restore)
    }

    func tags(key: String) async throws -> [SegmentTag] {
        guard let object = state.withLock({ $0.objects[key] }) else { throw FakeError(message: "NoSuchKey \(key)") }
        return object.tags
    }

    func read(key: String, offset: UInt64, count: UInt64) async throws -> [UInt8] {
        try state.withLock { state in
            guard let object = state.objects[key] else { throw FakeError(message: "NoSuchKey \(key)") }
            let start = Int(min(offset, UInt64(object.bytes.count)))
            let end = Int(min(offset + count, UInt64(object.bytes.count)))
            state.bytesRead += end - start
            return Array(object.bytes[start..<end])
        }
    }
}

struct FakeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// An in-memory ``CommitReader``.
final class FakeCommits: CommitReader {
    private let state = Mutex<(topics: [String: [Int32]], commits: [VerifyPartitionID: VerifyCommit])>(([:], [:]))

    convenience init(topics: [String: [Int32]]) { self.init(topics: topics, unreachable: false) }

    func set(_ id: VerifyPartitionID, _ commit: VerifyCommit) { state.withLock { $0.commits[id] = commit } }

    /// Answers every question with an error, like an unreachable cluster.
    let unreachable: Bool

    init(topics: [String: [Int32]], unreachable: Bool) {
        self.unreachable = unreachable
        state.withLock { $0.topics = topics }
    }

    func topicPartitions() async throws -> [String: [Int32]] {
        if unreachable { throw FakeError(message: "Broker transport failure") }
        return state.withLock { $0.topics }
    }

    func committed(_ partitions: [VerifyPartitionID]) async throws -> [VerifyPartitionID: VerifyCommit] {
        if unreachable { throw FakeError(message: "Timed out") }
        return state.withLock { state in state.commits.filter { partitions.contains($0.key) } }
    }
}

/// Builds segments the way the sink writes them: rendered records, one compressed unit per append.
struct SegmentFactory {
    var settings: SinkSettings
    var topic: String

    init(topic: String = "events", settings: SinkSettings = SinkSettings()) {
        self.topic = topic
        self.settings = settings
    }

    func key(partition: Int32, first: Int64, suffix: Int = 0) -> String {
        settings.keyTemplate.render(
            prefix: settings.keyPrefix, topic: topic, partition: partition, offset: first,
            time: LocalTime(year: 2026, month: 11, day: 24, hour: 10, minute: 0), ext: settings.fileExtension,
            suffix: suffix)
    }

    func record(partition: Int32, offset: Int64) -> SinkRecord {
        SinkRecord(
            topic: topic, partition: partition, offset: offset, timestampMs: 1_763_900_000_000 + offset,
            key: Array("k\(offset)".utf8), value: Array("{\"n\":\(offset),\"offset\":999}".utf8))
    }

    /// The object bytes for `offsets`, appended in batches of `batch` records.
    func bytes(partition: Int32, offsets: [Int64], batch: Int = 4) -> [UInt8] {
        let renderer = RecordRenderer(format: settings.format)
        var out: [UInt8] = []
        for start in stride(from: 0, to: offsets.count, by: batch) {
            var plain: [UInt8] = []
            for offset in offsets[start..<min(start + batch, offsets.count)] {
                renderer.render(record(partition: partition, offset: offset), into: &plain)
            }
            out += AppendCompression.compress(plain, settings.compression)
        }
        return out
    }

    /// Puts a segment holding `offsets` and returns its key and bytes.
    @discardableResult
    func put(_ archive: FakeArchive, partition: Int32, offsets: ClosedRange<Int64>, suffix: Int = 0) -> (key: String, bytes: [UInt8]) {
        let key = key(partition: partition, first: offsets.lowerBound, suffix: suffix)
        let bytes = bytes(partition: partition, offsets: Array(offsets))
        archive.put(key, FakeArchive.Object(bytes: bytes))
        return (key, bytes)
    }

    /// The commit the sink makes after the append that wrote `bytes` ending at `last`.
    func commit(key: String, bytes: [UInt8], last: Int64) -> VerifyCommit {
        VerifyCommit(offset: last + 1, metadata: CommitMetadata(key: key, position: bytes.count, crc64: CRC64.checksum(bytes)).encoded)
    }
}
