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

    /// Size of the pieces a byte array is written in.
    public static let chunkBytes = 64 * 1024

    public var count: Int {
        switch self {
        case .buffer(let buffer): buffer.readableBytes
        case .bytes(let bytes): bytes.count
        }
    }

    /// `CRC64.update(previous, body)`.
    public func crc64(continuing previous: UInt64) -> UInt64 {
        switch self {
        case .buffer(let buffer): buffer.withUnsafeReadableBytes { CRC64.update(previous, $0) }
        case .bytes(let bytes): CRC64.update(previous, bytes)
        }
    }

    var httpBody: HTTPClientRequest.Body {
        switch self {
        case .buffer(let buffer):
            return .bytes(buffer)
        case .bytes(let bytes):
            return .stream(ByteChunks(bytes: bytes, chunkBytes: Self.chunkBytes), length: .known(Int64(bytes.count)))
        }
    }
}

/// A byte array as a sequence of buffers of at most `chunkBytes` bytes, each copied when it is asked for.
struct ByteChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let bytes: [UInt8]
    let chunkBytes: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let chunkBytes: Int
        var offset = 0

        mutating func next() async -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(bytes.count, offset + chunkBytes)
            let chunk = bytes.withUnsafeBufferPointer { ByteBuffer(bytes: UnsafeBufferPointer(rebasing: $0[offset..<end])) }
            offset = end
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(bytes: bytes, chunkBytes: Swift.max(1, chunkBytes))
    }
}
