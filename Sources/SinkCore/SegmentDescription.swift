/// What a finished segment holds, as the sink committed it: the object, its committed length and CRC-64, and
/// the records in it. It is what the sink seals (at ``length``) and writes as object tags (``SegmentTags``).
public struct SegmentDescription: Sendable, Hashable {
    public var key: String
    /// The object's committed length: every byte of it is covered by an acknowledged commit.
    public var length: Int
    /// CRC-64/XZ of those `length` bytes (`x-oss-hash-crc64ecma`).
    public var crc64: UInt64
    /// The first record's offset; `nil` only when the key does not name it and the segment was begun by a sink
    /// whose commits did not carry it.
    public var firstOffset: Int64?
    /// The last record's offset (the committed offset after the segment, minus one).
    public var lastOffset: Int64
    /// Records in the segment; `nil` only for a segment begun by a sink whose commits did not count them.
    public var recordCount: Int?

    public init(key: String, length: Int, crc64: UInt64, firstOffset: Int64?, lastOffset: Int64, recordCount: Int?) {
        self.key = key
        self.length = length
        self.crc64 = crc64
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.recordCount = recordCount
    }
}

/// One object tag (OSS allows 10 per object; keys of at most 128 and values of at most 256 characters from
/// ASCII letters, digits, spaces and `+ - = . _ : /`).
public struct SegmentTag: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }
}

/// The object tags that describe a finished segment, so that readers (`verify`, `replay`, lifecycle rules) can
/// select and trust a segment without reading it. Six tags; the configured `oss.tags` fill the rest of OSS's 10.
///
/// | key | value |
/// |---|---|
/// | `segment.first-offset` | offset of the first record |
/// | `segment.last-offset` | offset of the last record |
/// | `segment.records` | number of records |
/// | `segment.crc64` | CRC-64/XZ of the object, decimal (as `x-oss-hash-crc64ecma`) |
/// | `segment.format` | `jsonl`, `jsonl.json` (`json_value: json`) or `raw`, then `+gzip` or `+zstd` when compressed |
/// | `segment.sealed` | `true` when the sink sealed the object at its committed length first, else `false` |
///
/// A tag whose value the sink does not know (first offset or record count of a segment begun by a version
/// that did not commit them) is left out.
public enum SegmentTags {
    public static let prefix = "segment."
    public static let firstOffset = "segment.first-offset"
    public static let lastOffset = "segment.last-offset"
    public static let records = "segment.records"
    public static let crc64 = "segment.crc64"
    public static let format = "segment.format"
    public static let sealed = "segment.sealed"

    /// How many tags the sink writes at most.
    public static let count = 6
    /// OSS's limit per object.
    public static let ossLimit = 10

    /// The `segment.format` value for a topic's settings.
    public static func formatValue(_ settings: TopicSettings) -> String {
        var value = switch settings.format {
        case .jsonl(let valueAsJSON): valueAsJSON ? "jsonl.json" : "jsonl"
        case .raw: "raw"
        }
        switch settings.compression {
        case .none: break
        case .gzip: value += "+gzip"
        case .zstd: value += "+zstd"
        }
        return value
    }

    /// The tags for `segment`, in the order of the table above.
    public static func tags(for segment: SegmentDescription, sealed: Bool, format: String) -> [SegmentTag] {
        var tags: [SegmentTag] = []
        if let first = segment.firstOffset { tags.append(SegmentTag(firstOffset, String(first))) }
        tags.append(SegmentTag(lastOffset, String(segment.lastOffset)))
        if let count = segment.recordCount { tags.append(SegmentTag(records, String(count))) }
        tags.append(SegmentTag(crc64, String(segment.crc64)))
        tags.append(SegmentTag(Self.format, format))
        tags.append(SegmentTag(Self.sealed, sealed ? "true" : "false"))
        return tags
    }

    /// A segment's tags read back.
    public struct Parsed: Sendable, Hashable {
        public var firstOffset: Int64?
        public var lastOffset: Int64
        public var recordCount: Int?
        public var crc64: UInt64
        public var format: String
        public var sealed: Bool

        public init(firstOffset: Int64?, lastOffset: Int64, recordCount: Int?, crc64: UInt64, format: String, sealed: Bool) {
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.recordCount = recordCount
            self.crc64 = crc64
            self.format = format
            self.sealed = sealed
        }
    }

    /// Reads the sink's tags out of an object's tags (other tags are ignored).
    /// - Returns: `nil` when the object carries none of them (not finished yet, or not written by the sink).
    /// - Throws: ``SegmentTagsError`` naming the tag when some are present but missing or malformed.
    public static func parse(_ tags: [SegmentTag]) throws(SegmentTagsError) -> Parsed? {
        var values: [String: String] = [:]
        for tag in tags where tag.key.hasPrefix(prefix) { values[tag.key] = tag.value }
        if values.isEmpty { return nil }
        func required(_ name: String) throws(SegmentTagsError) -> String {
            guard let value = values[name] else { throw SegmentTagsError(tag: name, problem: "is missing") }
            return value
        }
        func number<T: FixedWidthInteger>(_ name: String, _ text: String?) throws(SegmentTagsError) -> T? {
            guard let text else { return nil }
            guard let value = T(text), value >= 0 else { throw SegmentTagsError(tag: name, problem: "'\(text)' is not a number") }
            return value
        }
        let sealedText = try required(sealed)
        guard sealedText == "true" || sealedText == "false" else {
            throw SegmentTagsError(tag: sealed, problem: "'\(sealedText)' is neither true nor false")
        }
        let parsed = Parsed(
            firstOffset: try number(firstOffset, values[firstOffset]),
            lastOffset: try number(lastOffset, try required(lastOffset))!,
            recordCount: try number(records, values[records]),
            crc64: try number(crc64, try required(crc64))!,
            format: try required(format),
            sealed: sealedText == "true")
        if let first = parsed.firstOffset, first > parsed.lastOffset {
            throw SegmentTagsError(tag: firstOffset, problem: "\(first) is after \(lastOffset) \(parsed.lastOffset)")
        }
        return parsed
    }
}

/// A segment tag that is missing or does not parse.
public struct SegmentTagsError: Error, Sendable, Hashable, CustomStringConvertible {
    public var tag: String
    public var problem: String
    public var description: String { "tag \(tag) \(problem)" }
}
