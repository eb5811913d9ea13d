import ArchiveReading
import Foundation
import OSSChecksum
import SinkCore
import Testing

/// The pieces both `verify` and `replay` read segments with: streaming decoding, record splitting, CRC-64
/// checkpoints, proven reads with bounded memory.
@Suite struct StreamingReadTests {
    /// Decodes `bytes` fed in `inputChunk` pieces, pulling `outputCapacity` at a time.
    func decode(_ bytes: [UInt8], _ compression: SinkSettings.Compression, inputChunk: Int, outputCapacity: Int) throws -> [UInt8] {
        let decoder = StreamingDecoder(compression, outputCapacity: outputCapacity)
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + inputChunk)
            decoder.setInput(Array(bytes[start..<end]))
            while let piece = try decoder.next() { out += piece }
            start = end
        }
        try decoder.finish()
        return out
    }

    /// Units as the sink appends them: one gzip member / zstd frame per append.
    func units(_ appends: [[UInt8]], _ compression: SinkSettings.Compression) -> [UInt8] {
        appends.flatMap { AppendCompression.compress($0, compression) }
    }

    static let appends: [[UInt8]] = (0..<12).map { index in
        Array((0..<(index * 700 + 1)).map { "line \($0) of append \(index) with some text to compress\n" }.joined().utf8)
    }

    @Test(arguments: [SinkSettings.Compression.none, .gzip(level: 6), .zstd(level: 3)])
    func decodesConcatenatedUnitsInAnyChunking(_ compression: SinkSettings.Compression) throws {
        let plain = Self.appends.flatMap { $0 }
        let stored = units(Self.appends, compression)
        for (inputChunk, outputCapacity) in [(1, 7), (13, 4096), (4096, 100), (stored.count, 1 << 20), (65_536, 65_536)] {
            #expect(try decode(stored, compression, inputChunk: inputChunk, outputCapacity: outputCapacity) == plain,
                    "input \(inputChunk), output \(outputCapacity)")
        }
    }

    @Test(arguments: [SinkSettings.Compression.gzip(level: 6), .zstd(level: 3)])
    func aTruncatedOrCorruptUnitNamesItsByteRange(_ compression: SinkSettings.Compression) throws {
        let first = AppendCompression.compress(Self.appends[3], compression)
        let second = AppendCompression.compress(Self.appends[5], compression)
        let stored = first + second
        // Truncated: the second unit lacks its last bytes.
        let truncated = Array(stored.dropLast(5))
        let cut = #expect(throws: SegmentDecodeError.self) { _ = try decode(truncated, compression, inputChunk: 1000, outputCapacity: 4096) }
        #expect(cut?.unitStart == UInt64(first.count))
        #expect(cut?.description.contains("truncated") == true)
        // Corrupt: a flipped byte in the middle of the second unit.
        var corrupt = stored
        corrupt[first.count + second.count / 2] ^= 0x5A
        corrupt[first.count + second.count / 2 + 1] ^= 0xA5
        let bad = #expect(throws: SegmentDecodeError.self) { _ = try decode(corrupt, compression, inputChunk: 1000, outputCapacity: 4096) }
        #expect(bad?.unitStart == UInt64(first.count))
    }

    @Test func gzipMemberCRCsCatchCorruption() throws {
        // A flipped literal byte can decode to wrong text without a structural error; the member's CRC-32 catches it.
        let original = Array("a few words, not all alike: 0123456789".utf8)
        let member = AppendCompression.compress(original, .gzip(level: 1))
        var caught = 0
        for index in 10..<(member.count - 8) {
            var corrupt = member
            corrupt[index] ^= 0x01
            let decoded = try? decode(corrupt, .gzip(level: 1), inputChunk: 7, outputCapacity: 16)
            if decoded == nil { caught += 1 }
            // Never other bytes without an error (a flipped padding bit may change nothing).
            #expect(decoded == nil || decoded == original, "byte \(index)")
        }
        #expect(caught > 0)
    }

    @Test func recordsSplitAcrossPieces() {
        let text = Array("alpha\nbeta\n\ngamma-is-longer\ndelta".utf8)
        for size in 1...text.count {
            let cursor = LineCursor()
            var lines: [String] = []
            for start in stride(from: 0, to: text.count, by: size) {
                let piece = Array(text[start..<min(text.count, start + size)])
                piece.withUnsafeBytes { bytes in
                    var index = 0
                    while let line = cursor.next(in: bytes, at: &index) { lines.append(String(decoding: line, as: UTF8.self)) }
                }
            }
            #expect(lines == ["alpha", "beta", "", "gamma-is-longer"], "pieces of \(size)")
            #expect(cursor.pendingBytes == 5)
            #expect(cursor.lines == 4)
            #expect(cursor.position == 28)
        }
    }

    @Test func multiByteDelimitersSpanningPieces() {
        let text = Array("one<|>two<<|>three<|><|>four<|".utf8)
        for size in 1...text.count {
            let cursor = LineCursor(delimiter: Array("<|>".utf8))
            var records: [String] = []
            for start in stride(from: 0, to: text.count, by: size) {
                let piece = Array(text[start..<min(text.count, start + size)])
                piece.withUnsafeBytes { bytes in
                    var index = 0
                    while let record = cursor.next(in: bytes, at: &index) { records.append(String(decoding: record, as: UTF8.self)) }
                }
            }
            #expect(records == ["one", "two<", "three", ""], "pieces of \(size)")
            #expect(cursor.pendingBytes == 6)
        }
    }

    @Test func checkpointsProvePrefixesAndNameTheFirstBadRange() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let at400 = CRC64.checksum(bytes[..<400])
        let whole = CRC64.checksum(bytes)
        var clean = IntegrityTracker(checkpoints: [
            CRCCheckpoint(position: 1000, crc64: whole, source: .object),
            CRCCheckpoint(position: 400, crc64: at400, source: .commit(offset: 9)),
        ])
        for start in stride(from: 0, to: 1000, by: 333) {
            #expect(clean.feed(Array(bytes[start..<min(1000, start + 333)])) == nil)
        }
        #expect(clean.isComplete && clean.provenUpTo == 1000)

        var corrupt = bytes
        corrupt[700] ^= 1
        var tracker = IntegrityTracker(checkpoints: [
            CRCCheckpoint(position: 1000, crc64: whole, source: .object),
            CRCCheckpoint(position: 400, crc64: at400, source: .commit(offset: 9)),
        ])
        let failure = tracker.feed(corrupt)
        #expect(failure?.badRange == 400..<1000)
        #expect(failure?.checkpoint.source == .object)
        #expect(failure?.description.contains("bytes 400..<1000") == true)

        // Same position, two different CRCs (a commit that disagrees with the object): the second fails.
        var disagreeing = IntegrityTracker(checkpoints: [
            CRCCheckpoint(position: 1000, crc64: whole, source: .object),
            CRCCheckpoint(position: 1000, crc64: whole ^ 1, source: .commit(offset: 3)),
        ])
        #expect(disagreeing.feed(bytes)?.badRange == 0..<1000)
    }

    /// Reads through `VerifiedSegmentReader` and returns what it handed out and how it ended.
    func readAll(_ reader: inout VerifiedSegmentReader) async -> (bytes: [UInt8], failure: SegmentReadFailure?) {
        var out: [UInt8] = []
        do {
            while let chunk = try await reader.next() {
                #expect(chunk.offset == UInt64(out.count))
                out += chunk.bytes
            }
            return (out, nil)
        } catch {
            return (out, error)
        }
    }

    @Test(arguments: [1 << 20, 100])
    func provenReadsHandOutOnlyProvenBytes(inMemoryLimit: Int) async throws {
        let archive = FakeArchive()
        let bytes = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        archive.put("k", FakeArchive.Object(bytes: bytes))
        let segment = SegmentToRead(key: "k", length: 5000, checkpoints: [
            CRCCheckpoint(position: 5000, crc64: CRC64.checksum(bytes), source: .object),
            CRCCheckpoint(position: 2100, crc64: CRC64.checksum(bytes[..<2100]), source: .commit(offset: 1)),
        ])
        var reader = VerifiedSegmentReader(archive: archive, segment: segment, chunkSize: 1024, inMemoryLimit: inMemoryLimit)
        let clean = await readAll(&reader)
        #expect(clean.bytes == bytes)
        #expect(clean.failure == nil)
        #expect(reader.readsTwice == (inMemoryLimit < 5000))
        #expect(reader.bytesRead == (reader.readsTwice ? 10_000 : 5000))

        // Corrupt after the commit's checkpoint: the proven prefix (up to 2100) comes out, then the failure.
        archive.update("k") { $0.bytes[3000] ^= 0x10 }
        var damaged = VerifiedSegmentReader(archive: archive, segment: segment, chunkSize: 1024, inMemoryLimit: inMemoryLimit)
        let result = await readAll(&damaged)
        #expect(result.bytes == Array(bytes[..<2100]))
        guard case .integrity(let key, let failure)? = result.failure else {
            Issue.record("expected an integrity failure, got \(String(describing: result.failure))")
            return
        }
        #expect(key == "k")
        #expect(failure.badRange == 2100..<5000)

        // Corrupt before every checkpoint: nothing comes out.
        archive.update("k") { $0.bytes[10] ^= 0x01 }
        var early = VerifiedSegmentReader(archive: archive, segment: segment, chunkSize: 1024, inMemoryLimit: inMemoryLimit)
        let none = await readAll(&early)
        #expect(none.bytes.isEmpty)
        #expect(none.failure != nil)
    }

    @Test func aChangeBetweenTheTwoPassesIsCaught() async throws {
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0) }
        let archive = ChangingArchive(bytes: bytes, changeAfterReads: 4)
        let segment = SegmentToRead(key: "k", length: 4096, checkpoints: [
            CRCCheckpoint(position: 4096, crc64: CRC64.checksum(bytes), source: .object),
        ])
        var reader = VerifiedSegmentReader(archive: archive, segment: segment, chunkSize: 1024, inMemoryLimit: 10)
        let result = await readAll(&reader)
        guard case .changedDuringRead(_, let range)? = result.failure else {
            Issue.record("expected changedDuringRead, got \(String(describing: result.failure))")
            return
        }
        #expect(range == 0..<1024)
        #expect(result.bytes.isEmpty)
    }

    @Test(arguments: [SinkSettings.Compression.none, .gzip(level: 6), .zstd(level: 3)])
    func firstAndLastRecordsFromTheEnds(_ compression: SinkSettings.Compression) async throws {
        let archive = FakeArchive()
        let stored = units(Self.appends, compression)
        archive.put("k", FakeArchive.Object(bytes: stored))
        let first = try await SegmentEnds.firstRecord(archive: archive, key: "k", length: UInt64(stored.count), compression: compression, window: 16)
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "line 0 of append 0 with some text to compress")
        let last = try await SegmentEnds.lastRecord(archive: archive, key: "k", length: UInt64(stored.count), compression: compression, window: 16)
        #expect(String(decoding: last, as: UTF8.self) == "line 7700 of append 11 with some text to compress")
    }

    @Test func listingOrdersByFirstOffsetThenSuffix() async throws {
        let archive = FakeArchive()
        let factory = SegmentFactory()
        for (first, suffix) in [(20, 0), (0, 0), (20, 1), (10, 0)] {
            archive.put(factory.key(partition: 3, first: Int64(first), suffix: suffix), FakeArchive.Object(bytes: [1]))
        }
        archive.put("events/3/garbage.txt", FakeArchive.Object(bytes: [1]))
        archive.put(factory.key(partition: 4, first: 5), FakeArchive.Object(bytes: [1, 2]))
        let pattern = SegmentKeyPattern(template: .default, prefix: "", ext: ".jsonl")
        let listing = try await SegmentListing.list(topic: "events", pattern: pattern, archive: archive)
        #expect(listing.partitions[3]?.map { "\($0.firstOffset)~\($0.suffix)" } == ["0~0", "10~0", "20~0", "20~1"])
        #expect(listing.partitions[4]?.first?.size == 2)
        #expect(listing.ignoredKeys == ["events/3/garbage.txt"])
        let only = try await SegmentListing.list(topic: "events", partition: 4, pattern: pattern, archive: archive)
        #expect(Array(only.partitions.keys) == [4])
    }
}

/// An object whose bytes change after a number of reads (another writer replaced it between two passes).
final class ChangingArchive: ArchiveReader, @unchecked Sendable {
    let lock = NSLock()
    var bytes: [UInt8]
    var reads = 0
    let changeAfterReads: Int

    init(bytes: [UInt8], changeAfterReads: Int) {
        self.bytes = bytes
        self.changeAfterReads = changeAfterReads
    }

    func list(prefix: String) async throws -> [ArchivedObject] { [ArchivedObject(key: "k", size: UInt64(bytes.count))] }
    func head(key: String) async throws -> ArchivedObjectHead {
        ArchivedObjectHead(length: UInt64(bytes.count), appendable: true, crc64: CRC64.checksum(bytes))
    }
    func tags(key: String) async throws -> [SegmentTag] { [] }
    func read(key: String, offset: UInt64, count: UInt64) async throws -> [UInt8] {
        lock.withLock {
            reads += 1
            if reads == changeAfterReads + 1 { bytes[5] ^= 0xFF }
            let end = Int(min(UInt64(bytes.count), offset + count))
            return Array(bytes[Int(offset)..<end])
        }
    }
}
