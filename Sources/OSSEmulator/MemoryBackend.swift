import Foundation
import NIOCore

/// Objects as lists of received buffers: an append stores the request body without copying it
/// (small bodies are coalesced into the previous chunk).
final class MemoryBackend: StorageBackend, @unchecked Sendable {
    private struct Chunks {
        var buffers: [ByteBuffer] = []
        /// `starts[i]` = object offset of `buffers[i]`.
        var starts: [UInt64] = []
        var length: UInt64 = 0

        mutating func append(_ body: ByteBuffer) {
            guard body.readableBytes > 0 else { return }
            if let last = buffers.indices.last, buffers[last].readableBytes + body.readableBytes <= 256 * 1024 {
                var body = body
                buffers[last].writeBuffer(&body)
            } else {
                buffers.append(body)
                starts.append(length)
            }
            length += UInt64(body.readableBytes)
        }

        func slices(_ range: Range<UInt64>) -> [ByteBuffer] {
            guard !range.isEmpty else { return [] }
            // Last chunk starting at or before range.lowerBound.
            var low = 0
            var high = starts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if starts[mid] <= range.lowerBound { low = mid } else { high = mid - 1 }
            }
            var result: [ByteBuffer] = []
            var index = low
            while index < buffers.count, starts[index] < range.upperBound {
                let chunkStart = starts[index]
                let chunk = buffers[index]
                let from = max(range.lowerBound, chunkStart) - chunkStart
                let to = min(range.upperBound, chunkStart + UInt64(chunk.readableBytes)) - chunkStart
                if to > from, let slice = chunk.getSlice(at: chunk.readerIndex + Int(from), length: Int(to - from)) {
                    result.append(slice)
                }
                index += 1
            }
            return result
        }
    }

    private let lock = NSLock()
    private var objects: [String: [String: Chunks]] = [:]

    func openBucket(_ bucket: String) throws -> [String: OSSObjectRecord] {
        lock.withLock { if objects[bucket] == nil { objects[bucket] = [:] } }
        return [:]
    }

    func append(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws {
        lock.withLock {
            if old == nil { objects[bucket, default: [:]][new.key] = Chunks() }
            objects[bucket, default: [:]][new.key, default: Chunks()].append(body)
        }
    }

    func replace(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws {
        var chunks = Chunks()
        chunks.append(body)
        lock.withLock { objects[bucket, default: [:]][new.key] = chunks }
    }

    func update(bucket: String, record: OSSObjectRecord) throws {}

    func corrupt(bucket: String, record: OSSObjectRecord, offset: UInt64) throws {
        try lock.withLock {
            guard var chunks = objects[bucket]?[record.key], offset < chunks.length else {
                throw OSSEmulatorStorageError("object \(record.key) has no byte at offset \(offset)")
            }
            let index = chunks.starts.lastIndex { $0 <= offset }!
            var buffer = chunks.buffers[index]
            let at = buffer.readerIndex + Int(offset - chunks.starts[index])
            buffer.setInteger(buffer.getInteger(at: at, as: UInt8.self)! ^ 0x20, at: at)
            chunks.buffers[index] = buffer
            objects[bucket]?[record.key] = chunks
        }
    }

    func delete(bucket: String, record: OSSObjectRecord) throws {
        _ = lock.withLock { objects[bucket]?.removeValue(forKey: record.key) }
    }

    func read(bucket: String, record: OSSObjectRecord, range: Range<UInt64>) throws -> [ByteBuffer] {
        try lock.withLock {
            guard let chunks = objects[bucket]?[record.key], chunks.length >= range.upperBound else {
                throw OSSEmulatorStorageError("object \(record.key) in bucket \(bucket) has fewer bytes than its record")
            }
            return chunks.slices(range)
        }
    }
}
