import OSSChecksum

/// A segment to read and what proves its bytes.
public struct SegmentToRead: Sendable, Hashable {
    public var key: String
    /// The object's length from HEAD: bytes `[0, length)` are read (bytes appended later are not).
    public var length: UInt64
    /// At least the object's own CRC-64 at `length`; also the committed offset's, when its metadata names the key.
    public var checkpoints: [CRCCheckpoint]

    public init(key: String, length: UInt64, checkpoints: [CRCCheckpoint]) {
        self.key = key
        self.length = length
        self.checkpoints = checkpoints
    }
}

/// Why a segment could not be read to its end.
public enum SegmentReadFailure: Error, Sendable, CustomStringConvertible {
    /// The bytes do not match a checkpoint.
    case integrity(key: String, IntegrityFailure)
    /// The bytes changed between the two passes over a large object.
    case changedDuringRead(key: String, range: Range<UInt64>)
    /// The object must be restored from cold storage first.
    case needsRestore(ArchiveObjectNeedsRestore)
    /// A GET failed (after the client's retries) or the object was shorter than HEAD said.
    case unreadable(key: String, String)

    public var description: String {
        switch self {
        case .integrity(let key, let failure): "\(key): \(failure)"
        case .changedDuringRead(let key, let range):
            "\(key): bytes \(range.lowerBound)..<\(range.upperBound) read differently the second time (their CRC-64 changed): the object changed while it was read, or the network corrupted it"
        case .needsRestore(let restore): "\(restore)"
        case .unreadable(let key, let reason): "\(key) cannot be read: \(reason)"
        }
    }

    public var key: String {
        switch self {
        case .integrity(let key, _), .changedDuringRead(let key, _), .unreadable(let key, _): key
        case .needsRestore(let restore): restore.key
        }
    }
}

/// Hands out a segment's bytes only once they are proven against its checkpoints, with bounded memory.
///
/// Objects up to `inMemoryLimit` are read once, held, checked, then handed out. Larger objects are read twice:
/// the first pass checks the checkpoints and keeps a CRC-64 per chunk, the second hands out each chunk after its
/// CRC-64 matched the first pass's (memory: two chunks). Either way, when a checkpoint fails, the bytes before the
/// last checkpoint that matched are handed out and then the failure is thrown: nothing past the proven prefix is
/// ever handed out.
public struct VerifiedSegmentReader: Sendable {
    public let archive: any ArchiveReader
    public let segment: SegmentToRead
    public let chunkSize: Int
    public let inMemoryLimit: Int

    private var state: State = .start
    /// Bytes read from the store so far (both passes).
    public private(set) var bytesRead: UInt64 = 0

    enum State: Sendable {
        case start
        /// Chunks held in memory, handed out from `index`; then `failure`, if any.
        case held(chunks: [[UInt8]], index: Int, failure: SegmentReadFailure?)
        /// Second pass: a reader, the first pass's chunk CRCs, where the proven prefix ends, and the failure after it.
        case secondPass(reader: ObjectChunkReader, crcs: [UInt64], provenUpTo: UInt64, failure: SegmentReadFailure?)
        case done
    }

    public init(archive: any ArchiveReader, segment: SegmentToRead, chunkSize: Int = 8 << 20, inMemoryLimit: Int = 64 << 20) {
        self.archive = archive
        self.segment = segment
        self.chunkSize = max(1024, chunkSize)
        self.inMemoryLimit = inMemoryLimit
    }

    /// Whether the object is read twice (it is larger than `inMemoryLimit`).
    public var readsTwice: Bool { segment.length > UInt64(inMemoryLimit) }

    /// The next proven chunk and its offset in the object, or `nil` at the end.
    /// - Throws: ``SegmentReadFailure`` after the proven prefix was handed out.
    public mutating func next() async throws(SegmentReadFailure) -> (offset: UInt64, bytes: [UInt8])? {
        while true {
            switch state {
            case .start:
                state = readsTwice ? try await firstPass() : try await readHeld()
            case .held(var chunks, let index, let failure):
                guard index < chunks.count else {
                    state = .done
                    if let failure { throw failure }
                    return nil
                }
                let bytes = chunks[index]
                chunks[index] = []
                state = .held(chunks: chunks, index: index + 1, failure: failure)
                return (UInt64(index) * UInt64(chunkSize), bytes)
            case .secondPass(var reader, let crcs, let provenUpTo, let failure):
                let chunk: (offset: UInt64, bytes: [UInt8])?
                do {
                    chunk = try await reader.next()
                } catch {
                    state = .done
                    throw mapReadError(error)
                }
                guard let chunk, chunk.offset < provenUpTo else {
                    reader.cancel()
                    state = .done
                    if let failure { throw failure }
                    return nil
                }
                bytesRead += UInt64(chunk.bytes.count)
                let index = Int(chunk.offset / UInt64(chunkSize))
                let crc = CRC64.checksum(chunk.bytes)
                guard index < crcs.count, crc == crcs[index] else {
                    reader.cancel()
                    state = .done
                    throw .changedDuringRead(key: segment.key, range: chunk.offset..<(chunk.offset + UInt64(chunk.bytes.count)))
                }
                state = .secondPass(reader: reader, crcs: crcs, provenUpTo: provenUpTo, failure: failure)
                let end = chunk.offset + UInt64(chunk.bytes.count)
                if end > provenUpTo {
                    return (chunk.offset, Array(chunk.bytes[..<Int(provenUpTo - chunk.offset)]))
                }
                return chunk
            case .done:
                return nil
            }
        }
    }

    /// The reader's next chunk, counted in `bytesRead`; a read error becomes the segment's failure.
    private mutating func nextChunk(_ reader: inout ObjectChunkReader) async throws(SegmentReadFailure) -> (offset: UInt64, bytes: [UInt8])? {
        let chunk: (offset: UInt64, bytes: [UInt8])?
        do {
            chunk = try await reader.next()
        } catch {
            throw mapReadError(error)
        }
        if let chunk { bytesRead += UInt64(chunk.bytes.count) }
        return chunk
    }

    private func mapReadError(_ error: any Error) -> SegmentReadFailure {
        if let restore = error as? ArchiveObjectNeedsRestore { return .needsRestore(restore) }
        return .unreadable(key: segment.key, "\(error)")
    }

    /// Reads the whole object into memory and checks it.
    private mutating func readHeld() async throws(SegmentReadFailure) -> State {
        var reader = ObjectChunkReader(archive: archive, key: segment.key, length: segment.length, chunkSize: chunkSize)
        var tracker = IntegrityTracker(checkpoints: segment.checkpoints)
        var chunks: [[UInt8]] = []
        while let chunk = try await nextChunk(&reader) {
            if let failure = tracker.feed(chunk.bytes) {
                reader.cancel()
                chunks.append(chunk.bytes)
                return .held(chunks: Self.prefix(chunks, upTo: failure.badRange.lowerBound), index: 0,
                             failure: .integrity(key: segment.key, failure))
            }
            chunks.append(chunk.bytes)
        }
        return .held(chunks: chunks, index: 0, failure: nil)
    }

    /// The first of two passes: checks the checkpoints and keeps a CRC-64 per chunk.
    private mutating func firstPass() async throws(SegmentReadFailure) -> State {
        var reader = ObjectChunkReader(archive: archive, key: segment.key, length: segment.length, chunkSize: chunkSize)
        var tracker = IntegrityTracker(checkpoints: segment.checkpoints)
        var crcs: [UInt64] = []
        var failure: SegmentReadFailure?
        var provenUpTo = segment.length
        while let chunk = try await nextChunk(&reader) {
            crcs.append(CRC64.checksum(chunk.bytes))
            if let failed = tracker.feed(chunk.bytes) {
                reader.cancel()
                failure = .integrity(key: segment.key, failed)
                provenUpTo = failed.badRange.lowerBound
                break
            }
        }
        if provenUpTo == 0, let failure { throw failure }
        // The same chunk boundaries as the first pass (so the CRCs compare), cut at the proven prefix when handed out.
        let size = UInt64(chunkSize)
        let secondLength = min(segment.length, (provenUpTo + size - 1) / size * size)
        let second = ObjectChunkReader(archive: archive, key: segment.key, length: secondLength, chunkSize: chunkSize)
        return .secondPass(reader: second, crcs: crcs, provenUpTo: provenUpTo, failure: failure)
    }

    /// The chunks cut to the first `count` bytes.
    static func prefix(_ chunks: [[UInt8]], upTo count: UInt64) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var left = count
        for chunk in chunks where left > 0 {
            if UInt64(chunk.count) <= left {
                result.append(chunk)
                left -= UInt64(chunk.count)
            } else {
                result.append(Array(chunk[..<Int(left)]))
                left = 0
            }
        }
        return result
    }
}
