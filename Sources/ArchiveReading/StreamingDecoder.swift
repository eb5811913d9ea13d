import CZlib
import CZstd
public import SinkCore

/// The stored bytes of a segment are not a valid concatenation of gzip members or zstd frames.
public struct SegmentDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset in the object where the bad member/frame starts.
    public var unitStart: UInt64
    /// Byte offset in the object where decoding stopped (the end of the bytes read for a truncated unit).
    public var unitEnd: UInt64
    public var reason: String

    public init(unitStart: UInt64, unitEnd: UInt64, reason: String) {
        self.unitStart = unitStart
        self.unitEnd = unitEnd
        self.reason = reason
    }

    public var description: String { "\(reason) (bytes \(unitStart)..<\(unitEnd))" }
}

/// Decodes a segment's stored bytes as they stream in: concatenated gzip members (each member's CRC-32 checked by
/// zlib) or zstd frames, or plain bytes passed through. Pull-based, so the caller may wait between pieces: give it
/// the next stored bytes with ``setInput(_:)`` and take decoded pieces with ``next()`` until it returns `nil`.
/// Memory stays at the input chunk, one output buffer (``outputCapacity``) and the codec's window, whatever the
/// object's size.
///
/// Not thread-safe; one decoder per stream. A class because zlib's stream state must not move in memory.
public final class StreamingDecoder {
    public let compression: SinkSettings.Compression
    /// The most bytes one decoded piece holds.
    public let outputCapacity: Int

    private var zstream: UnsafeMutablePointer<z_stream>?
    private var dstream: OpaquePointer?
    private let output: UnsafeMutableRawBufferPointer
    private var input: [UInt8] = []
    private var inputUsed = 0
    /// After a full output buffer the codec may still hold decoded bytes, even with no input left.
    private var mayHaveMore = false
    /// Object offset of `input[0]`.
    private var inputStart: UInt64 = 0
    /// Where the member/frame being decoded started.
    public private(set) var unitStart: UInt64 = 0
    /// Whether the decoder is between members/frames (nothing of a unit is pending).
    public private(set) var atUnitBoundary = true
    /// Decoded bytes handed out so far.
    public private(set) var decodedBytes: UInt64 = 0

    public init(_ compression: SinkSettings.Compression, outputCapacity: Int = 256 * 1024) {
        self.compression = compression
        self.outputCapacity = outputCapacity
        output = .allocate(byteCount: outputCapacity, alignment: 16)
        switch compression {
        case .none:
            break
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            let rc = inflateInit2_(stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            precondition(rc == Z_OK, "zlib inflateInit2 failed (\(rc)): out of memory or a zlib ABI mismatch")
            zstream = stream
        case .zstd:
            guard let stream = ZSTD_createDStream() else { preconditionFailure("ZSTD_createDStream failed: out of memory") }
            ZSTD_initDStream(stream)
            dstream = stream
        }
    }

    deinit {
        if let zstream {
            inflateEnd(zstream)
            zstream.deinitialize(count: 1)
            zstream.deallocate()
        }
        if let dstream { ZSTD_freeDStream(dstream) }
        output.deallocate()
    }

    /// Object bytes consumed so far.
    public var position: UInt64 { inputStart + UInt64(inputUsed) }

    /// The next stored bytes (the previous input must be used up: ``next()`` returned `nil`).
    public func setInput(_ bytes: [UInt8]) {
        precondition(inputUsed == input.count, "setInput before the previous input was decoded")
        inputStart += UInt64(input.count)
        input = bytes
        inputUsed = 0
    }

    /// The next decoded piece (valid until the next call), or `nil` when the input is used up.
    /// - Throws: ``SegmentDecodeError`` naming the member/frame that does not decode.
    public func next() throws(SegmentDecodeError) -> UnsafeRawBufferPointer? {
        switch compression {
        case .none:
            guard inputUsed < input.count else { return nil }
            let count = min(outputCapacity, input.count - inputUsed)
            input.withUnsafeBytes { source in
                output.baseAddress!.copyMemory(from: source.baseAddress! + inputUsed, byteCount: count)
            }
            inputUsed += count
            decodedBytes += UInt64(count)
            return UnsafeRawBufferPointer(rebasing: output[..<count])
        case .gzip:
            return try inflateNext()
        case .zstd:
            return try zstdNext()
        }
    }

    /// Ends the stream: throws when it stops inside a member/frame.
    public func finish() throws(SegmentDecodeError) {
        guard atUnitBoundary else {
            throw SegmentDecodeError(unitStart: unitStart, unitEnd: position, reason: "the object ends inside a \(unitName) (truncated)")
        }
    }

    var unitName: String {
        switch compression {
        case .none: "record"
        case .gzip: "gzip member"
        case .zstd: "zstd frame"
        }
    }

    private func inflateNext() throws(SegmentDecodeError) -> UnsafeRawBufferPointer? {
        guard let stream = zstream else { return nil }
        while inputUsed < input.count || mayHaveMore {
            let available = input.count - inputUsed
            if atUnitBoundary && available > 0 {
                unitStart = position
                atUnitBoundary = false
            }
            let chunk = min(available, Int(UInt32.max >> 1))
            let (status, consumed, produced): (Int32, Int, Int) = input.withUnsafeBytes { source in
                stream.pointee.next_in = UnsafeMutablePointer(
                    mutating: (source.baseAddress ?? UnsafeRawPointer(output.baseAddress!)).assumingMemoryBound(to: UInt8.self) + inputUsed)
                stream.pointee.avail_in = UInt32(chunk)
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_out = UInt32(outputCapacity)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                let result = (status, chunk - Int(stream.pointee.avail_in), outputCapacity - Int(stream.pointee.avail_out))
                stream.pointee.next_in = nil
                return result
            }
            inputUsed += consumed
            mayHaveMore = produced == outputCapacity
            switch status {
            case Z_STREAM_END:
                inflateReset(stream)
                atUnitBoundary = true
                mayHaveMore = false
            case Z_OK:
                break
            case Z_BUF_ERROR:
                // No progress: the member needs more input (or the buffer more room, handled by `mayHaveMore`).
                if produced == 0 && consumed == 0 && available > 0 {
                    throw SegmentDecodeError(unitStart: unitStart, unitEnd: position, reason: "the gzip member does not decode")
                }
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw SegmentDecodeError(unitStart: unitStart, unitEnd: position, reason: "invalid gzip member: \(message)")
            }
            if produced > 0 {
                decodedBytes += UInt64(produced)
                return UnsafeRawBufferPointer(rebasing: output[..<produced])
            }
            if consumed == 0 {
                if inputUsed < input.count {
                    throw SegmentDecodeError(unitStart: unitStart, unitEnd: position, reason: "the \(unitName) does not decode (no progress)")
                }
                mayHaveMore = false
            }
        }
        return nil
    }

    private func zstdNext() throws(SegmentDecodeError) -> UnsafeRawBufferPointer? {
        guard let stream = dstream else { return nil }
        while inputUsed < input.count || mayHaveMore {
            if atUnitBoundary && inputUsed < input.count {
                unitStart = position
                atUnitBoundary = false
            }
            let (hint, consumed, produced): (Int, Int, Int) = input.withUnsafeBytes { source in
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress.map { $0 + inputUsed }, size: input.count - inputUsed, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: outputCapacity, pos: 0)
                let hint = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                return (hint, inBuffer.pos, outBuffer.pos)
            }
            if ZSTD_isError(hint) != 0 {
                throw SegmentDecodeError(
                    unitStart: unitStart, unitEnd: position + UInt64(consumed),
                    reason: "invalid zstd frame: \(String(cString: ZSTD_getErrorName(hint)))")
            }
            inputUsed += consumed
            mayHaveMore = produced == outputCapacity
            if hint == 0 {
                atUnitBoundary = true
            }
            if produced > 0 {
                decodedBytes += UInt64(produced)
                return UnsafeRawBufferPointer(rebasing: output[..<produced])
            }
            if consumed == 0 {
                if inputUsed < input.count {
                    throw SegmentDecodeError(unitStart: unitStart, unitEnd: position, reason: "the \(unitName) does not decode (no progress)")
                }
                mayHaveMore = false
            }
        }
        return nil
    }
}
