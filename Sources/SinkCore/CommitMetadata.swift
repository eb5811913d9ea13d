/// The Kafka offset metadata committed with each offset.
///
/// Version 2, written by this sink (fields separated by single spaces, in this order):
///
///     v2 key=<K> pos=<P> crc=<C> [first=<F>] [n=<N>] [t=<T>] [closed] [fin=<K>,<P>,<C>,<F>,<L>,<N>]…
///
/// - `key`, `pos`, `crc`: the segment that holds the record before the committed offset — its key, its length
///   and CRC-64/XZ after that record (as OSS reports them).
/// - `first`, `n`, `t`: that segment's first offset, its record count and when it was opened (wall clock, epoch
///   ms), so a restarted sink can describe the segment when it finishes and keeps its age.
/// - `closed`: the segment is finished (it rolled over): the next record opens a new segment, and the segment
///   is sealed and tagged.
/// - `fin=…`: an earlier finished segment whose seal and tags are not confirmed yet (key, length, CRC-64, first
///   offset, last offset, record count; an unknown first offset or count is empty). Every commit lists them
///   until they are done, so whichever process owns the partition next finishes them.
///
/// Version 1, written by earlier versions and still read: `v1 key=<K> pos=<P> crc=<C>`.
///
/// Keys are percent-encoded over their UTF-8 bytes: every byte except `A-Z a-z 0-9 - . _ ~ / + :` is written
/// `%XX` (upper-case hex), so spaces, `=`, `,` and `%` in a key never break the structure. Numbers are unsigned
/// decimals. Anything else — another version, a missing, repeated or unknown field, a bad escape, a non-number —
/// parses as "no metadata".
public struct CommitMetadata: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var position: Int
    public var crc64: UInt64
    /// The segment's first offset (v2).
    public var firstOffset: Int64?
    /// Records in the segment up to the committed offset (v2).
    public var recordCount: Int?
    /// When the segment was opened, wall clock in epoch milliseconds (v2).
    public var openedAtMs: Int64?
    /// The segment is finished: a new segment starts at the committed offset (v2).
    public var closed: Bool
    /// Earlier finished segments still to be sealed or tagged (v2).
    public var finishing: [SegmentDescription]

    public init(key: String, position: Int, crc64: UInt64, firstOffset: Int64? = nil, recordCount: Int? = nil,
                openedAtMs: Int64? = nil, closed: Bool = false, finishing: [SegmentDescription] = []) {
        self.key = key
        self.position = position
        self.crc64 = crc64
        self.firstOffset = firstOffset
        self.recordCount = recordCount
        self.openedAtMs = openedAtMs
        self.closed = closed
        self.finishing = finishing
    }

    /// Kafka brokers reject commits whose metadata is longer than `offset.metadata.max.bytes` (4096 by default):
    /// ``encoded`` leaves out `fin` entries that would pass this many bytes.
    public static let maxEncodedBytes = 3900

    public var description: String { encoded }

    /// Whether only version-1 fields are set (then ``encoded`` writes version 1).
    var isVersion1: Bool {
        firstOffset == nil && recordCount == nil && openedAtMs == nil && !closed && finishing.isEmpty
    }

    /// The metadata string to commit.
    public var encoded: String { encode().text }

    /// The metadata string, and how many `finishing` entries fit in ``maxEncodedBytes``.
    public func encode() -> (text: String, finishingIncluded: Int) {
        if isVersion1 { return ("v1 key=\(Self.escape(key)) pos=\(position) crc=\(crc64)", 0) }
        var out = "v2 key=\(Self.escape(key)) pos=\(position) crc=\(crc64)"
        if let firstOffset { out += " first=\(firstOffset)" }
        if let recordCount { out += " n=\(recordCount)" }
        if let openedAtMs { out += " t=\(openedAtMs)" }
        if closed { out += " closed" }
        var included = 0
        for segment in finishing {
            let entry = " fin=\(Self.escape(segment.key)),\(segment.length),\(segment.crc64),"
                + "\(segment.firstOffset.map(String.init) ?? ""),\(segment.lastOffset),\(segment.recordCount.map(String.init) ?? "")"
            guard out.utf8.count + entry.utf8.count <= Self.maxEncodedBytes else { break }
            out += entry
            included += 1
        }
        return (out, included)
    }

    static func escape(_ key: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count)
        for b in key.utf8 {
            if isPlain(b) {
                bytes.append(b)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func isPlain(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"),
             UInt8(ascii: "+"), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }

    /// Parses committed metadata; `nil` for absent, foreign or malformed metadata.
    public static func parse(_ text: String?) -> CommitMetadata? {
        guard let text else { return nil }
        let fields = text.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0] == "v1" || fields[0] == "v2",
              fields[1].hasPrefix("key="), fields[2].hasPrefix("pos="), fields[3].hasPrefix("crc=") else {
            return nil
        }
        guard let key = percentDecode(fields[1].dropFirst(4)), !key.isEmpty,
              let pos = decimal(fields[2].dropFirst(4)), pos <= UInt64(Int.max),
              let crc = decimal(fields[3].dropFirst(4)) else {
            return nil
        }
        var metadata = CommitMetadata(key: key, position: Int(pos), crc64: crc)
        if fields[0] == "v1" { return fields.count == 4 ? metadata : nil }
        // v2: the optional fields in their order, each at most once.
        var rest = fields.dropFirst(4)
        func take(_ name: String) -> Substring? {
            guard let first = rest.first, first.hasPrefix(name + "=") else { return nil }
            rest = rest.dropFirst()
            return first.dropFirst(name.count + 1)
        }
        if let text = take("first") {
            guard let value = decimal(text), value <= UInt64(Int64.max) else { return nil }
            metadata.firstOffset = Int64(value)
        }
        if let text = take("n") {
            guard let value = decimal(text), value <= UInt64(Int.max) else { return nil }
            metadata.recordCount = Int(value)
        }
        if let text = take("t") {
            guard let value = decimal(text), value <= UInt64(Int64.max) else { return nil }
            metadata.openedAtMs = Int64(value)
        }
        if rest.first == "closed" {
            metadata.closed = true
            rest = rest.dropFirst()
        }
        while let text = take("fin") {
            guard let segment = finishingEntry(text) else { return nil }
            metadata.finishing.append(segment)
        }
        return rest.isEmpty ? metadata : nil
    }

    static func finishingEntry(_ text: Substring) -> SegmentDescription? {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 6, let key = percentDecode(parts[0]), !key.isEmpty,
              let length = decimal(parts[1]), length <= UInt64(Int.max), let crc = decimal(parts[2]),
              let last = decimal(parts[4]), last <= UInt64(Int64.max) else {
            return nil
        }
        var first: Int64?
        if !parts[3].isEmpty {
            guard let value = decimal(parts[3]), value <= UInt64(Int64.max) else { return nil }
            first = Int64(value)
        }
        var count: Int?
        if !parts[5].isEmpty {
            guard let value = decimal(parts[5]), value <= UInt64(Int.max) else { return nil }
            count = Int(value)
        }
        return SegmentDescription(key: key, length: Int(length), crc64: crc, firstOffset: first, lastOffset: Int64(last),
                                  recordCount: count)
    }

    static func decimal(_ s: Substring) -> UInt64? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(s)
    }

    static func percentDecode(_ s: Substring) -> String? {
        var out: [UInt8] = []
        var it = Array(s.utf8)[...]
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard let h = it.popFirst(), let l = it.popFirst(), let hv = hexValue(h), let lv = hexValue(l) else {
                    return nil
                }
                out.append(hv << 4 | lv)
            } else if isPlain(b) {
                out.append(b)
            } else {
                return nil
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
