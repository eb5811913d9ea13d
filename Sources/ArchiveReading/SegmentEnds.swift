public import SinkCore

/// Reading the first or the last record of a segment without reading it whole.
public enum SegmentEnds {
    /// Why a segment's end could not be read as a record.
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        case undecodable(unit: String)
        case truncated
        case empty

        public var description: String {
            switch self {
            case .undecodable(let unit): "none of the \(unit) decodes at the end of the object: it is truncated or corrupt"
            case .truncated: "the object does not end with a newline: its last record is truncated"
            case .empty: "the object holds no complete record"
            }
        }
    }

    /// The last record (without its newline) of a jsonl segment of `length` bytes, read from a tail range of
    /// `window` bytes that doubles while the last record (or, compressed, the last gzip member / zstd frame) does
    /// not fit in it. Each append is one whole member/frame of whole records, so the last one decodes on its own.
    /// - Throws: the read's error, or ``Problem``.
    public static func lastRecord(
        archive: any ArchiveReader, key: String, length: UInt64, compression: SinkSettings.Compression, window: Int = 64 * 1024
    ) async throws -> [UInt8] {
        guard length > 0 else { throw Problem.empty }
        var window = UInt64(max(16, window))
        while true {
            window = min(window, length)
            let tail = try await archive.read(key: key, offset: length - window, count: window)
            let decoded: [UInt8]?
            if compression == .none {
                decoded = tail
            } else {
                decoded = CompressedTail.lastUnit(tail, compression)
                if decoded == nil, window < length {
                    window *= 2
                    continue
                }
            }
            guard let decoded else {
                if case .gzip = compression { throw Problem.undecodable(unit: "gzip members") }
                throw Problem.undecodable(unit: "zstd frames")
            }
            guard let (line, whole) = JSONLOffsets.lastLine(decoded[...]) else { throw Problem.truncated }
            if !whole, compression == .none, window < length {
                window *= 2
                continue
            }
            return Array(line)
        }
    }

    /// The first record (without its delimiter) of a segment, read from ranges of `window` bytes from its start
    /// (doubling up to `limit`) and decoded as they stream; `nil` when none ends within `limit` bytes.
    public static func firstRecord(
        archive: any ArchiveReader, key: String, length: UInt64, compression: SinkSettings.Compression,
        delimiter: [UInt8] = [0x0A], window: Int = 64 * 1024, limit: Int = 8 << 20
    ) async throws -> [UInt8]? {
        let decoder = StreamingDecoder(compression)
        let cursor = LineCursor(delimiter: delimiter)
        var offset: UInt64 = 0
        var size = UInt64(max(16, window))
        while offset < length && offset < UInt64(limit) {
            let count = min(size, length - offset)
            let bytes = try await archive.read(key: key, offset: offset, count: count)
            if bytes.isEmpty { return nil }
            offset += UInt64(bytes.count)
            size *= 2
            decoder.setInput(bytes)
            while let piece = try decoder.next() {
                var index = 0
                if let record = cursor.next(in: piece, at: &index) { return Array(record) }
            }
        }
        return nil
    }
}
