import CZlib
import CZstd

/// Compresses one append's bytes into one complete gzip member or zstd frame, and decodes concatenated
/// members/frames (an object's tail) back into the rendered bytes.
public enum AppendCompression {
    /// Compresses `plain` into a self-contained unit: one gzip member (zlib, windowBits 31) or one zstd frame
    /// (with content size). `.none` returns `plain` unchanged.
    public static func compress(_ plain: [UInt8], _ compression: SinkSettings.Compression) -> [UInt8] {
        switch compression {
        case .none: return plain
        case .gzip(let level): return gzip(plain, level: level)
        case .zstd(let level): return zstd(plain, level: level)
        }
    }

    /// Decodes a concatenation of whole gzip members or zstd frames. `.none` returns `bytes` unchanged.
    /// - Throws: ``TailDecodingError`` naming the position where the input stopped being a valid stream.
    public static func decompress(_ bytes: [UInt8], _ compression: SinkSettings.Compression) throws(TailDecodingError) -> [UInt8] {
        switch compression {
        case .none: return bytes
        case .gzip: return try gunzip(bytes)
        case .zstd: return try unzstd(bytes)
        }
    }

    static func gzip(_ plain: [UInt8], level: Int32) -> [UInt8] {
        var stream = z_stream()
        let rc = deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                               Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib deflateInit2 failed (\(rc)): out of memory or a zlib ABI mismatch")
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(plain.count))) + 64)
        var produced = 0
        plain.withUnsafeBufferPointer { src in
            var consumed = 0
            while true {
                let chunk = min(src.count - consumed, Int(UInt32.max >> 1))
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress.map { $0 + consumed })
                stream.avail_in = UInt32(chunk)
                consumed += chunk
                let flush = consumed == src.count ? Z_FINISH : Z_NO_FLUSH
                var status: Int32 = Z_OK
                repeat {
                    if produced == out.count { out.append(contentsOf: repeatElement(0, count: max(out.count, 4096))) }
                    out.withUnsafeMutableBufferPointer { dst in
                        stream.next_out = dst.baseAddress! + produced
                        let room = min(dst.count - produced, Int(UInt32.max >> 1))
                        stream.avail_out = UInt32(room)
                        status = deflate(&stream, flush)
                        produced += room - Int(stream.avail_out)
                    }
                    precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR,
                                 "zlib deflate failed (\(status))")
                } while (flush == Z_FINISH && status != Z_STREAM_END) || (flush == Z_NO_FLUSH && stream.avail_in > 0)
                if flush == Z_FINISH { break }
            }
        }
        return rightSized(out, produced)
    }

    /// The first `count` bytes of `buffer` in an array of their own size, so that the compression bound allocated
    /// for the output is not held while the append is in flight.
    static func rightSized(_ buffer: [UInt8], _ count: Int) -> [UInt8] {
        buffer.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    static func zstd(_ plain: [UInt8], level: Int32) -> [UInt8] {
        let bound = ZSTD_compressBound(plain.count)
        var out = [UInt8](repeating: 0, count: bound)
        let written = out.withUnsafeMutableBytes { dst in
            plain.withUnsafeBytes { src in
                ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, level)
            }
        }
        precondition(ZSTD_isError(written) == 0,
                     "zstd compression failed: \(String(cString: ZSTD_getErrorName(written)))")
        return rightSized(out, written)
    }

    static func gunzip(_ bytes: [UInt8]) throws(TailDecodingError) -> [UInt8] {
        if bytes.isEmpty { return [] }
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TailDecodingError(decoded: [], offset: 0, reason: "zlib inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: max(bytes.count * 4, 4096))
        var produced = 0
        var failure: String?
        var failedAt = 0
        bytes.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress!)
            stream.avail_in = UInt32(src.count)
            var memberStart = 0
            while true {
                if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
                var status: Int32 = Z_OK
                out.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress! + produced
                    let room = min(dst.count - produced, Int(UInt32.max >> 1))
                    stream.avail_out = UInt32(room)
                    status = inflate(&stream, Z_NO_FLUSH)
                    produced += room - Int(stream.avail_out)
                }
                let consumed = src.count - Int(stream.avail_in)
                if status == Z_STREAM_END {
                    if stream.avail_in == 0 { return }
                    memberStart = consumed
                    inflateReset(&stream)
                    continue
                }
                if status == Z_OK { continue }
                if status == Z_BUF_ERROR && stream.avail_out == 0 { continue }
                failure = status == Z_BUF_ERROR
                    ? "truncated gzip member starting at byte \(memberStart)"
                    : "invalid gzip data in the member starting at byte \(memberStart) (zlib status \(status))"
                failedAt = memberStart
                return
            }
        }
        if let failure {
            throw TailDecodingError(decoded: Array(out[..<produced]), offset: failedAt, reason: failure)
        }
        out.removeSubrange(produced...)
        return out
    }

    static func unzstd(_ bytes: [UInt8]) throws(TailDecodingError) -> [UInt8] {
        if bytes.isEmpty { return [] }
        guard let dstream = ZSTD_createDStream() else {
            throw TailDecodingError(decoded: [], offset: 0, reason: "ZSTD_createDStream failed")
        }
        defer { ZSTD_freeDStream(dstream) }
        ZSTD_initDStream(dstream)
        var out = [UInt8](repeating: 0, count: max(bytes.count * 4, 4096))
        var produced = 0
        var failure: String?
        var lastHint = 0
        bytes.withUnsafeBytes { src in
            var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            while input.pos < input.size || lastHint != 0 {
                if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
                let before = (input.pos, produced)
                let hint = out.withUnsafeMutableBytes { dst in
                    var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: produced)
                    let r = ZSTD_decompressStream(dstream, &output, &input)
                    produced = output.pos
                    return r
                }
                if ZSTD_isError(hint) != 0 {
                    failure = "invalid zstd data near byte \(input.pos): \(String(cString: ZSTD_getErrorName(hint)))"
                    return
                }
                lastHint = hint
                if input.pos == input.size && hint != 0 && before == (input.pos, produced) && produced < out.count {
                    break  // no progress possible: the last frame is truncated
                }
            }
            if lastHint != 0 { failure = "truncated zstd frame at the end of \(src.count) bytes" }
        }
        if let failure {
            throw TailDecodingError(decoded: Array(out[..<produced]), offset: produced, reason: failure)
        }
        out.removeSubrange(produced...)
        return out
    }
}

/// The bytes could not be decoded as concatenated gzip members / zstd frames. `decoded` holds what was decoded
/// before the problem (recovery compares it and treats the rest as a mismatch).
public struct TailDecodingError: Error, Sendable, CustomStringConvertible {
    public var decoded: [UInt8]
    public var offset: Int
    public var reason: String
    public var description: String { reason }
}
