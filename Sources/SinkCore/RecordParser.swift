internal import CJSONEscape

/// One record read back from a `jsonl` line, with its key, value, topic and headers as ranges of ``bytes``.
///
/// Reused from line to line (``JSONLRecordParser/parse(_:into:)`` clears it), so reading a segment does not
/// allocate per record once the buffers have grown.
public struct ParsedRecord: Sendable {
    /// The unescaped (and base64-decoded) bytes the ranges below point into.
    public private(set) var bytes: [UInt8] = []
    public var topic: Range<Int> = 0..<0
    public var partition: Int32 = 0
    public var offset: Int64 = 0
    /// `nil` when the line says `"timestamp":null` (`timestamp_type` `NotAvailable`).
    public var timestampMs: Int64?
    public var timestampType: TimestampType = .notAvailable
    /// `nil` for a null key.
    public var key: Range<Int>?
    /// `nil` for a null value (a tombstone).
    public var value: Range<Int>?
    /// In order, duplicates kept; a `nil` value is a null header value.
    public var headers: [(name: Range<Int>, value: Range<Int>?)] = []

    public init() {}

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        headers.removeAll(keepingCapacity: true)
        topic = 0..<0
        timestampMs = nil
        timestampType = .notAvailable
        key = nil
        value = nil
    }

    mutating func append(_ part: UnsafeRawBufferPointer) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: part)
        return start..<bytes.count
    }

    mutating func appendByte(_ byte: UInt8) { bytes.append(byte) }
    mutating func truncate(to count: Int) { bytes.removeSubrange(count...) }
    var count: Int { bytes.count }

    /// The topic as a string.
    public var topicName: String { String(decoding: bytes[topic], as: UTF8.self) }

    /// Whether the topic is `name` (compares bytes; no string is made).
    public func hasTopic(_ name: String) -> Bool {
        bytes[topic].elementsEqual(name.utf8)
    }

    /// The record as a ``SinkRecord`` (copies; for tests and tools).
    public var record: SinkRecord {
        SinkRecord(
            topic: topicName, partition: partition, offset: offset, timestampMs: timestampMs ?? 0,
            timestampType: timestampMs == nil ? .notAvailable : timestampType,
            key: key.map { Array(bytes[$0]) }, value: value.map { Array(bytes[$0]) },
            headers: headers.map { SinkRecord.Header(key: String(decoding: bytes[$0.name], as: UTF8.self), value: $0.value.map { Array(bytes[$0]) }) })
    }
}

/// A `jsonl` line that is not a record as ``RecordRenderer`` writes it.
public struct RecordParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte index in the line where reading stopped.
    public var index: Int
    public var reason: String

    public init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }

    public var description: String { "\(reason) (at byte \(index) of the line)" }
}

/// Reads `jsonl` lines back into records: the inverse of ``RecordRenderer`` (its header documents the format).
///
/// - Key, value and header values: `null` is null, a JSON string is its UTF-8 text, `{"base64":"…"}` is the
///   decoded bytes. Empty strings are empty (not null).
/// - With `valueAsJSON` (`json_value: json`) a value the renderer embedded as JSON is taken verbatim, surrounding
///   whitespace included, up to the line's closing brace. Three renderings are ambiguous there, and read the way
///   a non-JSON value renders: a JSON string whose text is not itself valid JSON is read as that text (the value
///   may have been the JSON string, quotes included), `null` as a tombstone (it may have been the four bytes
///   `null`), and `{"base64":"…"}` holding bytes that are not UTF-8 as those bytes (it may have been that JSON
///   object). A string whose text is valid JSON, or a `{"base64":…}` holding UTF-8, can only have been embedded
///   and is taken verbatim. CR and LF inside an embedded value were written as spaces and stay spaces.
/// - Fields may come in any order (the renderer's is fixed); unknown or repeated fields are errors.
public struct JSONLRecordParser: Sendable {
    public var valueAsJSON: Bool

    public init(valueAsJSON: Bool) {
        self.valueAsJSON = valueAsJSON
    }

    public init(format: SinkSettings.Format) {
        if case .jsonl(let valueAsJSON) = format { self.valueAsJSON = valueAsJSON } else { self.valueAsJSON = false }
    }

    /// Parses one line (without its newline) into `record`.
    public func parse(_ line: UnsafeRawBufferPointer, into record: inout ParsedRecord) throws(RecordParseError) {
        record.reset()
        var reader = LineReader(p: line, valueAsJSON: valueAsJSON)
        try reader.object(into: &record)
    }

    /// Parses one line; convenience for tests and tools.
    public func parse(_ line: [UInt8]) throws(RecordParseError) -> ParsedRecord {
        var record = ParsedRecord()
        let result: Result<Void, RecordParseError> = line.withUnsafeBytes { p in
            do throws(RecordParseError) {
                try parse(p, into: &record)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return record
    }
}

private struct LineReader {
    let p: UnsafeRawBufferPointer
    let valueAsJSON: Bool
    var i = 0

    init(p: UnsafeRawBufferPointer, valueAsJSON: Bool) {
        self.p = p
        self.valueAsJSON = valueAsJSON
    }

    func fail(_ reason: String) -> RecordParseError { RecordParseError(index: i, reason: reason) }

    var atEnd: Bool { i >= p.count }

    mutating func skipWhitespace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x09 || p[i] == 0x0D || p[i] == 0x0A { i += 1 }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(RecordParseError) {
        skipWhitespace()
        guard !atEnd, p[i] == byte else { throw fail("expected \(what)") }
        i += 1
    }

    mutating func literal(_ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard i + n <= p.count else { return false }
        for k in 0..<n where p[i + k] != text.utf8Start[k] { return false }
        i += n
        return true
    }

    enum Field: Int, CaseIterable {
        case topic, partition, offset, timestamp, timestampType, key, headers, value
    }

    mutating func fieldName() throws(RecordParseError) -> Field {
        skipWhitespace()
        guard !atEnd, p[i] == UInt8(ascii: "\"") else { throw fail("expected a field name") }
        let start = i + 1
        guard let end = memchrQuote(from: start) else { throw fail("unterminated field name") }
        let name = UnsafeRawBufferPointer(rebasing: p[start..<end])
        i = end + 1
        func equals(_ s: StaticString) -> Bool {
            name.count == s.utf8CodeUnitCount && name.elementsEqual(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
        }
        if equals("topic") { return .topic }
        if equals("partition") { return .partition }
        if equals("offset") { return .offset }
        if equals("timestamp") { return .timestamp }
        if equals("timestamp_type") { return .timestampType }
        if equals("key") { return .key }
        if equals("headers") { return .headers }
        if equals("value") { return .value }
        i = start
        throw fail("unknown field \"\(String(decoding: name, as: UTF8.self))\"")
    }

    func memchrQuote(from start: Int) -> Int? {
        var k = start
        while k < p.count {
            if p[k] == UInt8(ascii: "\"") { return k }
            if p[k] == UInt8(ascii: "\\") { return nil }
            k += 1
        }
        return nil
    }

    mutating func object(into record: inout ParsedRecord) throws(RecordParseError) {
        try expect(UInt8(ascii: "{"), "'{' at the start of the record")
        var seen: UInt16 = 0
        var first = true
        while true {
            skipWhitespace()
            if !atEnd, p[i] == UInt8(ascii: "}"), first { break }
            let field = try fieldName()
            let bit: UInt16 = 1 << field.rawValue
            guard seen & bit == 0 else { throw fail("the field is repeated") }
            seen |= bit
            try expect(UInt8(ascii: ":"), "':' after a field name")
            let afterColon = i
            skipWhitespace()
            switch field {
            case .topic:
                guard let range = try string(into: &record) else { throw fail("topic must be a string") }
                record.topic = range
            case .partition:
                guard let n = try integer(), let partition = Int32(exactly: n), partition >= 0 else {
                    throw fail("partition must be a non-negative 32-bit integer")
                }
                record.partition = partition
            case .offset:
                guard let n = try integer(), n >= 0 else { throw fail("offset must be a non-negative integer") }
                record.offset = n
            case .timestamp:
                if literal("null") {
                    record.timestampMs = nil
                } else if let n = try integer() {
                    record.timestampMs = n
                } else {
                    throw fail("timestamp must be an integer or null")
                }
            case .timestampType:
                if literal("\"CreateTime\"") {
                    record.timestampType = .createTime
                } else if literal("\"LogAppendTime\"") {
                    record.timestampType = .logAppendTime
                } else if literal("\"NotAvailable\"") {
                    record.timestampType = .notAvailable
                } else {
                    throw fail("timestamp_type must be CreateTime, LogAppendTime or NotAvailable")
                }
            case .key:
                record.key = try bytesValue(into: &record)
            case .headers:
                try headers(into: &record)
            case .value:
                if valueAsJSON {
                    // An embedded value keeps its surrounding whitespace.
                    i = afterColon
                    record.value = try embeddedValue(into: &record)
                } else {
                    record.value = try bytesValue(into: &record)
                }
            }
            first = false
            skipWhitespace()
            guard !atEnd else { throw fail("the record ends without '}'") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { break }
            throw fail("expected ',' or '}' after a field")
        }
        i += 1
        skipWhitespace()
        guard atEnd else { throw fail("bytes after the record's closing '}'") }
        let missing = Field.allCases.filter { seen & (1 << $0.rawValue) == 0 }.map { "\($0)" }
        guard missing.isEmpty else {
            throw RecordParseError(index: p.count, reason: "missing field(s): \(missing.joined(separator: ", "))")
        }
        if record.timestampMs == nil, record.timestampType != .notAvailable {
            throw RecordParseError(index: p.count, reason: "timestamp is null but timestamp_type is not NotAvailable")
        }
    }

    mutating func integer() throws(RecordParseError) -> Int64? {
        var negative = false
        var k = i
        if k < p.count, p[k] == UInt8(ascii: "-") { negative = true; k += 1 }
        let digitsStart = k
        var value: Int64 = 0
        while k < p.count, (0x30...0x39).contains(p[k]) {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(p[k] - 0x30))
            guard !o1, !o2 else { throw fail("integer out of range") }
            value = sum
            k += 1
        }
        guard k > digitsStart else { return nil }
        if k - digitsStart > 1, p[digitsStart] == 0x30 { throw fail("integer with a leading zero") }
        if k < p.count, p[k] == UInt8(ascii: ".") || p[k] == UInt8(ascii: "e") || p[k] == UInt8(ascii: "E") {
            throw fail("expected an integer")
        }
        i = k
        return negative ? -value : value
    }

    /// `null`, a string, or `{"base64":"…"}`.
    mutating func bytesValue(into record: inout ParsedRecord) throws(RecordParseError) -> Range<Int>? {
        if literal("null") { return nil }
        if !atEnd, p[i] == UInt8(ascii: "\"") {
            return try string(into: &record)
        }
        if !atEnd, p[i] == UInt8(ascii: "{") {
            return try base64Object(into: &record)
        }
        throw fail("expected null, a string or {\"base64\":…}")
    }

    /// `{"base64":"…"}` at `i`, decoded into `record`.
    mutating func base64Object(into record: inout ParsedRecord) throws(RecordParseError) -> Range<Int> {
        try expect(UInt8(ascii: "{"), "'{'")
        skipWhitespace()
        guard literal("\"base64\"") else { throw fail("expected {\"base64\":\"…\"}") }
        try expect(UInt8(ascii: ":"), "':'")
        skipWhitespace()
        guard !atEnd, p[i] == UInt8(ascii: "\"") else { throw fail("base64 must be a string") }
        let start = i + 1
        guard let end = memchrQuote(from: start) else { throw fail("unterminated base64 string") }
        let before = record.count
        guard Base64.decode(UnsafeRawBufferPointer(rebasing: p[start..<end]), into: &record) else {
            i = start
            throw fail("invalid base64")
        }
        i = end + 1
        try expect(UInt8(ascii: "}"), "'}' after the base64 string")
        return before..<record.count
    }

    /// A JSON string at `i`, unescaped into `record`.
    mutating func string(into record: inout ParsedRecord) throws(RecordParseError) -> Range<Int>? {
        guard !atEnd, p[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        let start = record.count
        var run = i
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let b = p[i]
            if b == UInt8(ascii: "\"") {
                if i > run { _ = record.append(UnsafeRawBufferPointer(rebasing: p[run..<i])) }
                i += 1
                return start..<record.count
            }
            if b == UInt8(ascii: "\\") {
                if i > run { _ = record.append(UnsafeRawBufferPointer(rebasing: p[run..<i])) }
                i += 1
                guard i < p.count else { throw fail("unterminated escape") }
                switch p[i] {
                case UInt8(ascii: "\""): record.appendByte(0x22)
                case UInt8(ascii: "\\"): record.appendByte(0x5C)
                case UInt8(ascii: "/"): record.appendByte(0x2F)
                case UInt8(ascii: "b"): record.appendByte(0x08)
                case UInt8(ascii: "f"): record.appendByte(0x0C)
                case UInt8(ascii: "n"): record.appendByte(0x0A)
                case UInt8(ascii: "r"): record.appendByte(0x0D)
                case UInt8(ascii: "t"): record.appendByte(0x09)
                case UInt8(ascii: "u"):
                    try unicodeEscape(into: &record)
                    run = i
                    continue
                default: throw fail("invalid escape")
                }
                i += 1
                run = i
                continue
            }
            if b < 0x20 { throw fail("unescaped control character in a string") }
            i += 1
            // Eight bytes at a time while none is a quote, a backslash or a control character.
            while i + 8 <= p.count, !Self.wordHasSpecial(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))) {
                i += 8
            }
        }
    }

    /// Whether one of the 8 bytes of `w` is `"`, `\\` or below 0x20 (bytes of 0x80 and up never match).
    @inline(__always)
    static func wordHasSpecial(_ w: UInt64) -> Bool {
        JSONWord.specialBytes(w) != 0
    }

    /// `\uXXXX` (with `i` at `u`), a surrogate pair included, appended as UTF-8.
    mutating func unicodeEscape(into record: inout ParsedRecord) throws(RecordParseError) {
        guard let high = hex4(at: i + 1) else { throw fail("invalid \\u escape") }
        i += 5
        var scalar = high
        if (0xD800...0xDBFF).contains(high) {
            guard i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u"),
                  let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low) else {
                throw fail("unpaired surrogate in a \\u escape")
            }
            i += 6
            scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(high) {
            throw fail("unpaired surrogate in a \\u escape")
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
        for unit in UTF8.encode(unicode)! { record.appendByte(unit) }
    }

    func hex4(at k: Int) -> UInt32? {
        guard k + 4 <= p.count else { return nil }
        var value: UInt32 = 0
        for j in k..<(k + 4) {
            let c = p[j]
            let digit: UInt32
            switch c {
            case 0x30...0x39: digit = UInt32(c - 0x30)
            case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
            default: return nil
            }
            value = value << 4 | digit
        }
        return value
    }

    mutating func headers(into record: inout ParsedRecord) throws(RecordParseError) {
        try expect(UInt8(ascii: "["), "'[' (headers is a list)")
        skipWhitespace()
        if !atEnd, p[i] == UInt8(ascii: "]") { i += 1; return }
        while true {
            try expect(UInt8(ascii: "{"), "'{' (a header is {\"key\":…,\"value\":…})")
            var name: Range<Int>?
            var value: Range<Int>??
            for field in 0..<2 {
                if field == 1 { try expect(UInt8(ascii: ","), "',' between a header's key and value") }
                skipWhitespace()
                if literal("\"key\"") {
                    guard name == nil else { throw fail("a header's key is repeated") }
                    try expect(UInt8(ascii: ":"), "':'")
                    skipWhitespace()
                    guard let range = try string(into: &record) else { throw fail("a header's key must be a string") }
                    name = range
                } else if literal("\"value\"") {
                    guard value == nil else { throw fail("a header's value is repeated") }
                    try expect(UInt8(ascii: ":"), "':'")
                    skipWhitespace()
                    value = .some(try bytesValue(into: &record))
                } else {
                    throw fail("a header has only the fields key and value")
                }
            }
            guard let name, let value else { throw fail("a header needs key and value") }
            try expect(UInt8(ascii: "}"), "'}' after a header")
            record.headers.append((name, value))
            skipWhitespace()
            guard !atEnd else { throw fail("the headers list is not closed") }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return }
            throw fail("expected ',' or ']' in the headers list")
        }
    }

    /// The value under `json_value: json` (see ``JSONLRecordParser``).
    mutating func embeddedValue(into record: inout ParsedRecord) throws(RecordParseError) -> Range<Int>? {
        let start = i
        // The renderer writes the value last: it reaches up to the line's closing brace.
        var end = p.count
        while end > start, p[end - 1] == 0x20 || p[end - 1] == 0x09 { end -= 1 }
        guard end > start, p[end - 1] == UInt8(ascii: "}") else { throw fail("the record does not end with '}'") }
        end -= 1
        let raw = UnsafeRawBufferPointer(rebasing: p[start..<end])
        let before = record.count
        var probe = self
        if probe.literal("null"), probe.i == end {
            i = end
            return nil
        }
        probe = self
        if !atEnd, p[i] == UInt8(ascii: "\""), let text = try? probe.string(into: &record), probe.i == end {
            // Valid JSON text can only have been embedded as is; anything else was rendered as a string.
            let isJSON = record.bytes.withUnsafeBufferPointer { JSONValidator.isValidJSON(UnsafeBufferPointer(rebasing: $0[text])) }
            i = end
            if !isJSON { return text }
            record.truncate(to: before)
            return record.append(raw)
        }
        record.truncate(to: before)
        probe = self
        if !atEnd, p[i] == UInt8(ascii: "{"), let decoded = try? probe.base64Object(into: &record), probe.i == end {
            let isUTF8 = record.bytes.withUnsafeBufferPointer { buffer in
                let slice = UnsafeBufferPointer(rebasing: buffer[decoded])
                return slice.isEmpty || kos_json_escape_measure(slice.baseAddress!, slice.count) >= 0
            }
            i = end
            if !isUTF8 { return decoded }
            record.truncate(to: before)
            return record.append(raw)
        }
        record.truncate(to: before)
        i = end
        return record.append(raw)
    }
}

extension Base64 {
    static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// Decodes standard padded base64 into `record`; `false` (appending nothing) when `text` is not valid.
    static func decode(_ text: UnsafeRawBufferPointer, into record: inout ParsedRecord) -> Bool {
        guard text.count % 4 == 0 else { return false }
        let start = record.count
        var k = 0
        let table = decodeTable
        while k < text.count {
            let a = table[Int(text[k])], b = table[Int(text[k + 1])]
            let c3 = text[k + 2], c4 = text[k + 3]
            let last = k + 4 == text.count
            guard a != 0xFF, b != 0xFF else { record.truncate(to: start); return false }
            if last, c3 == UInt8(ascii: "="), c4 == UInt8(ascii: "=") {
                guard b & 0x0F == 0 else { record.truncate(to: start); return false }
                record.appendByte(a << 2 | b >> 4)
                return true
            }
            let c = table[Int(c3)]
            guard c != 0xFF else { record.truncate(to: start); return false }
            if last, c4 == UInt8(ascii: "=") {
                guard c & 0x03 == 0 else { record.truncate(to: start); return false }
                record.appendByte(a << 2 | b >> 4)
                record.appendByte(b << 4 | c >> 2)
                return true
            }
            let d = table[Int(c4)]
            guard d != 0xFF else { record.truncate(to: start); return false }
            record.appendByte(a << 2 | b >> 4)
            record.appendByte(b << 4 | c >> 2)
            record.appendByte(c << 6 | d)
            k += 4
        }
        return true
    }

    /// Decodes standard padded base64; `nil` when `text` is not valid.
    public static func decode(_ text: String) -> [UInt8]? {
        var record = ParsedRecord()
        let ok = Array(text.utf8).withUnsafeBytes { decode($0, into: &record) }
        return ok ? record.bytes : nil
    }
}
