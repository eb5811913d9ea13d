import AsyncHTTPClient
public import NIOCore
import OSSSigning

/// The bytes of an upload.
///
/// A byte array is sent in chunks of ``chunkBytes``, each copied into a small buffer just before it is written,
/// instead of into one buffer as large as the body first: a 4 MiB append then costs no fresh 4 MiB allocation
/// (whose pages the kernel has to fault in and zero), and the array is read again for each retry.
public enum OSSBody: Sendable {
    case buffer(ByteBuffer)
    case bytes([UInt8])
    /// Pieces of byte arrays sent back to back, as one body (never joined into one array).
    case slices([ArraySlice<UInt8>])

    /// Size of the pieces a byte array is written in.
    public static let chunkBytes = 64 * 1024

    public var count: Int {
        switch self {
        case .buffer(let buffer): buffer.readableBytes
        case .bytes(let bytes): bytes.count
        case .slices(let slices): slices.reduce(0) { $0 + $1.count }
        }
    }

    /// `CRC64.update(previous, body)`.
    public func crc64(continuing previous: UInt64) -> UInt64 {
        switch self {
        case .buffer(let buffer): buffer.withUnsafeReadableBytes { CRC64.update(previous, $0) }
        case .bytes(let bytes): CRC64.update(previous, bytes)
        case .slices(let slices): slices.reduce(previous) { CRC64.update($0, $1) }
        }
    }

    var httpBody: HTTPClientRequest.Body {
        switch self {
        case .buffer(let buffer):
            return .bytes(buffer)
        case .bytes(let bytes):
            return .stream(ByteChunks(slices: [bytes[...]], chunkBytes: Self.chunkBytes), length: .known(Int64(bytes.count)))
        case .slices(let slices):
            return .stream(ByteChunks(slices: slices, chunkBytes: Self.chunkBytes), length: .known(Int64(count)))
        }
    }
}

/// Byte array slices, back to back, as a sequence of buffers of at most `chunkBytes` bytes, each copied when it
/// is asked for (a buffer never spans two slices).
struct ByteChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let slices: [ArraySlice<UInt8>]
    let chunkBytes: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let slices: [ArraySlice<UInt8>]
        let chunkBytes: Int
        var slice = 0
        var offset: Int

        init(slices: [ArraySlice<UInt8>], chunkBytes: Int) {
            self.slices = slices
            self.chunkBytes = chunkBytes
            offset = slices.first?.startIndex ?? 0
        }

        mutating func next() async -> ByteBuffer? {
            while slice < slices.count && offset >= slices[slice].endIndex {
                slice += 1
                if slice < slices.count { offset = slices[slice].startIndex }
            }
            guard slice < slices.count else { return nil }
            let current = slices[slice]
            let end = Swift.min(current.endIndex, offset + chunkBytes)
            let chunk = current.withUnsafeBufferPointer { p in
                ByteBuffer(bytes: UnsafeBufferPointer(rebasing: p[(offset - current.startIndex)..<(end - current.startIndex)]))
            }
            offset = end
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(slices: slices, chunkBytes: Swift.max(1, chunkBytes))
    }
}
