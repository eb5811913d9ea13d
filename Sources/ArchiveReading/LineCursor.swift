#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a stream of decoded pieces into records ended by a delimiter (`\n` for jsonl lines, `raw_delimiter` for
/// raw segments), joining a record that spans pieces.
///
/// Pull-based like ``StreamingDecoder``: call ``next(in:at:)`` with a piece until it returns `nil` (the rest of the
/// piece is carried over), then with the next piece. A returned record (without its delimiter) is valid until the
/// next call; it points into the piece or into the cursor's carry buffer, which grows to the longest record that
/// spans two pieces.
///
/// Not thread-safe. A class so that the carry buffer can be lent out.
public final class LineCursor {
    private var carry: UnsafeMutableRawBufferPointer
    private var carried = 0
    /// The carry buffer held the record returned last: empty it on the next call.
    private var carryLent = false
    public let delimiter: [UInt8]
    /// Decoded bytes of complete records handed out so far, delimiters included (the stream position of the next).
    public private(set) var position: UInt64 = 0
    /// Records handed out so far.
    public private(set) var lines: Int64 = 0

    /// - Parameter delimiter: at least one byte.
    public init(delimiter: [UInt8] = [0x0A]) {
        precondition(!delimiter.isEmpty, "records need a delimiter")
        self.delimiter = delimiter
        carry = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { carry.deallocate() }

    /// Bytes after the last delimiter so far (a record still waiting for its end).
    public var pendingBytes: Int { carryLent ? 0 : carried }

    /// The next complete record of `piece` from `index` on (advancing `index` past its delimiter), or `nil` when
    /// the rest of `piece` holds no delimiter: that rest is carried over to the next piece.
    public func next(in piece: UnsafeRawBufferPointer, at index: inout Int) -> UnsafeRawBufferPointer? {
        if carryLent {
            carried = 0
            carryLent = false
        }
        guard index < piece.count, piece.baseAddress != nil else { return nil }
        let d = delimiter.count
        if carried > 0 && d > 1 {
            // The delimiter may start in the carried bytes: look in their last d-1 bytes joined with the piece.
            let before = carried
            let take = min(piece.count - index, d - 1)
            keep(UnsafeRawBufferPointer(rebasing: piece[index..<(index + take)]))
            let from = max(0, before - (d - 1))
            if let hit = find(in: UnsafeRawBufferPointer(rebasing: carry[from..<carried])) {
                let end = from + hit
                // Bytes of the piece past the delimiter go back to the piece.
                index += end + d - before
                carried = end
                return lend()
            }
            carried = before
        }
        guard let hit = find(in: UnsafeRawBufferPointer(rebasing: piece[index...])) else {
            keep(UnsafeRawBufferPointer(rebasing: piece[index...]))
            index = piece.count
            return nil
        }
        let part = UnsafeRawBufferPointer(rebasing: piece[index..<(index + hit)])
        index += hit + d
        if carried == 0 {
            lines += 1
            position += UInt64(part.count + d)
            return part
        }
        keep(part)
        return lend()
    }

    /// The carried bytes as the next record.
    private func lend() -> UnsafeRawBufferPointer {
        lines += 1
        position += UInt64(carried + delimiter.count)
        carryLent = true
        return UnsafeRawBufferPointer(rebasing: carry[..<carried])
    }

    /// The offset of the first delimiter in `bytes`.
    private func find(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        if delimiter.count == 1 {
            guard let hit = memchr(base, Int32(delimiter[0]), bytes.count) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        let d = delimiter.count
        var from = 0
        while from + d <= bytes.count, let hit = memchr(base + from, Int32(delimiter[0]), bytes.count - from - d + 1) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            let matches = delimiter.withUnsafeBytes { memcmp(base + at, $0.baseAddress!, d) == 0 }
            if matches { return at }
            from = at + 1
        }
        return nil
    }

    private func keep(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if carried + bytes.count > carry.count {
            var capacity = carry.count
            while capacity < carried + bytes.count { capacity *= 2 }
            let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
            grown.baseAddress!.copyMemory(from: carry.baseAddress!, byteCount: carried)
            carry.deallocate()
            carry = grown
        }
        (carry.baseAddress! + carried).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        carried += bytes.count
    }
}
