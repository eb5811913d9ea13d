import SinkCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading offsets out of rendered jsonl records, for `verify`.
enum JSONLOffsets {
    private static let topicField = Array(#"{"topic":""#.utf8)
    private static let partitionField = Array(#","partition":"#.utf8)
    private static let offsetField = Array(#","offset":"#.utf8)

    /// The partition and offset of one rendered line (without its newline). The renderer writes `topic`,
    /// `partition` and `offset` first, so the first `,"partition":` and `,"offset":` after the topic string are
    /// the record's own even when an embedded JSON value holds fields of the same name.
    static func partitionAndOffset(_ line: ArraySlice<UInt8>) -> (partition: Int32, offset: Int64)? {
        line.withUnsafeBytes { partitionAndOffset($0) }
    }

    static func partitionAndOffset(_ line: UnsafeRawBufferPointer) -> (partition: Int32, offset: Int64)? {
        guard line.starts(with: topicField) else { return nil }
        var i = topicField.count
        // Kafka topic names need no escaping: the topic string ends at the next quote.
        guard let quote = line[i...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        i = quote + 1
        guard line[i...].starts(with: partitionField) else { return nil }
        i += partitionField.count
        guard let (partition, afterPartition) = integer(line, from: i), let p = Int32(exactly: partition) else { return nil }
        i = afterPartition
        guard line[i...].starts(with: offsetField) else { return nil }
        i += offsetField.count
        guard let (offset, _) = integer(line, from: i) else { return nil }
        return (p, offset)
    }

    private static func integer(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (Int64, Int)? {
        var i = start
        var negative = false
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: Int64 = 0
        let digitsStart = i
        while i < bytes.count, (0x30...0x39).contains(bytes[i]), i - digitsStart < 19 {
            value = value * 10 + Int64(bytes[i] - 0x30)
            i += 1
        }
        guard i > digitsStart else { return nil }
        return (negative ? -value : value, i)
    }

    /// The last complete line of `bytes` (which must end with a newline), and whether a newline precedes it in
    /// `bytes` (`false`: the line may start before `bytes` does). `nil` when `bytes` does not end with a newline.
    static func lastLine(_ bytes: ArraySlice<UInt8>) -> (line: ArraySlice<UInt8>, whole: Bool)? {
        guard bytes.last == UInt8(ascii: "\n") else { return nil }
        let body = bytes.dropLast()
        if let newline = body.lastIndex(of: UInt8(ascii: "\n")) {
            return (body[(newline + 1)...], true)
        }
        return (body, false)
    }
}

/// Checks the offsets of every jsonl record of one object as its lines stream by: each line's offset must be the
/// previous one plus 1, and its partition the segment's.
struct JSONLScan {
    let id: VerifyPartitionID
    let key: String
    private(set) var first: Int64?
    private(set) var last: Int64?
    private(set) var records: Int64 = 0
    private(set) var problems: [VerifyProblem] = []
    private var orderProblems = 0

    init(id: VerifyPartitionID, key: String) {
        self.id = id
        self.key = key
    }

    /// Ends the object; bytes after the last newline are a truncated record.
    mutating func finish(pendingBytes: Int) {
        if pendingBytes > 0 {
            problems.append(VerifyProblem(.unreadable, id, key: key,
                "the object ends in the middle of a record (\(pendingBytes) bytes after the last newline)"))
        }
    }

    mutating func line(_ bytes: UnsafeRawBufferPointer) {
        guard let (partition, offset) = JSONLOffsets.partitionAndOffset(bytes) else {
            report("record \(records + 1) is not a jsonl record rendered by the sink (no topic/partition/offset fields)")
            records += 1
            return
        }
        if partition != id.partition {
            report("record \(records + 1) (offset \(offset)) belongs to partition \(partition)")
        }
        if let last, offset != last + 1 {
            if offset <= last {
                report("record \(records + 1) has offset \(offset) after offset \(last): offsets \(offset)..\(last) are duplicated or out of order inside the object")
            } else {
                report("record \(records + 1) has offset \(offset) right after offset \(last): offsets \(last + 1)..\(offset - 1) are missing inside the object")
            }
        }
        if first == nil { first = offset }
        last = offset
        records += 1
    }

    private mutating func report(_ message: String) {
        orderProblems += 1
        if orderProblems <= 3 {
            problems.append(VerifyProblem(.recordOrder, id, key: key, message))
        } else if orderProblems == 4 {
            problems.append(VerifyProblem(.recordOrder, id, key: key, "more record problems in this object are not listed"))
        }
    }
}

/// Finding the last gzip member / zstd frame in the tail of an object.
enum CompressedTail {
    /// The decoded content from the last member/frame start found in `tail` to its end, or `nil` when no
    /// candidate start decodes cleanly to the end of `tail` (the member began before `tail`, or the data is bad).
    ///
    /// Candidates are the magic bytes (gzip `1f 8b 08`, zstd `28 b5 2f fd`), tried from the end backwards; the
    /// first one that decodes to the end of `tail` wins. A false start inside compressed data would have to
    /// decode as a complete, checksummed stream ending exactly at the end, which does not happen in practice.
    static func lastUnit(_ tail: [UInt8], _ compression: SinkSettings.Compression) -> [UInt8]? {
        let magic: [UInt8]
        switch compression {
        case .none: return tail
        case .gzip: magic = [0x1f, 0x8b, 0x08]
        case .zstd: magic = [0x28, 0xb5, 0x2f, 0xfd]
        }
        guard tail.count >= magic.count else { return nil }
        var i = tail.count - magic.count
        while i >= 0 {
            if tail[i] == magic[0], tail[i + 1] == magic[1], tail[i + 2] == magic[2],
               magic.count < 4 || tail[i + 3] == magic[3] {
                if let decoded = try? AppendCompression.decompress(Array(tail[i...]), compression), !decoded.isEmpty {
                    return decoded
                }
            }
            i -= 1
        }
        return nil
    }
}
