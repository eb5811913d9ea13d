internal import CJSONEscape

/// Renders records into bytes, deterministically: the same record and settings always give the same bytes.
///
/// `jsonl` line layout (fields always in this order, no spaces, `\n` terminated):
/// `{"topic":"t","partition":0,"offset":42,"timestamp":1700000000000,"timestamp_type":"CreateTime","key":…,"headers":[{"key":"h","value":…}],"value":…}`
/// - `timestamp` is epoch milliseconds, or `null` when `timestamp_type` is `NotAvailable`.
/// - `key`, `value` and header values are `null` when absent, a JSON string when the bytes are valid UTF-8, and
///   otherwise the object `{"base64":"<standard base64 with padding>"}` (the explicit marker).
/// - With `valueAsJSON`, a value that is one valid JSON text (RFC 8259, UTF-8) is embedded as JSON; any CR or LF
///   in it (legal there only as insignificant whitespace) is written as a space so that each record stays one line.
/// Strings are escaped minimally: `"` `\` and control characters (`\b \f \n \r \t`, others `\u00XX`); everything
/// else, including non-ASCII UTF-8, is copied verbatim.
///
/// `raw`: the value bytes (nothing for a null value) followed by the delimiter.
public struct RecordRenderer: Sendable {
    public let format: SinkSettings.Format

    public init(format: SinkSettings.Format) {
        self.format = format
    }

    /// Appends the rendering of `record` to `out`.
    public func render(_ record: SinkRecord, into out: inout [UInt8]) {
        record.withView { render($0, into: &out) }
    }

    /// Appends the rendering of `record` to `out`.
    public func render(_ record: RecordView, into out: inout [UInt8]) {
        switch format {
        case .raw(let delimiter):
            if let value = record.value { out.append(contentsOf: value) }
            out.append(contentsOf: delimiter)
        case .jsonl(let valueAsJSON):
            renderJSONL(record, valueAsJSON: valueAsJSON, into: &out)
        }
    }

    /// Whether the rendering includes record headers (`jsonl`); `raw` leaves them out.
    public var rendersHeaders: Bool {
        if case .jsonl = format { true } else { false }
    }

    /// A capacity that holds the rendering of `records` records with `payloadBytes` of keys and values in all,
    /// without growing, for typical records (JSON escaping or base64 may need more).
    public func estimatedBytes(records: Int, payloadBytes: Int) -> Int {
        switch format {
        case .raw(let delimiter): payloadBytes + records * delimiter.count
        case .jsonl: payloadBytes + records * 160
        }
    }

    /// Renders one record into a new array (convenience for tests and tools).
    public func render(_ record: SinkRecord) -> [UInt8] {
        var out: [UInt8] = []
        render(record, into: &out)
        return out
    }

    /// Fixed fragments of a `jsonl` line, as bytes (appending a `[UInt8]` is a plain copy).
    struct Fragments: Sendable {
        let topic = Array(#"{"topic":"#.utf8)
        let partition = Array(#","partition":"#.utf8)
        let offset = Array(#","offset":"#.utf8)
        let timestamp = Array(#","timestamp":"#.utf8)
        let null = Array("null".utf8)
        let types: [[UInt8]] = [TimestampType.createTime, .logAppendTime, .notAvailable].map {
            Array((#","timestamp_type":""# + $0.name + #"","key":"#).utf8)
        }
        let headersOpen = Array(#","headers":["#.utf8)
        let headerKey = Array(#"{"key":"#.utf8)
        let headerValue = Array(#","value":"#.utf8)
        let value = Array(#"],"value":"#.utf8)
        let end = Array("}\n".utf8)
    }

    let fragments = Fragments()

    func renderJSONL(_ r: RecordView, valueAsJSON: Bool, into out: inout [UInt8]) {
        let f = fragments
        out.append(contentsOf: f.topic)
        JSONWriter.writeString(r.topic, into: &out)
        out.append(contentsOf: f.partition)
        JSONWriter.writeInteger(Int64(r.partition), into: &out)
        out.append(contentsOf: f.offset)
        JSONWriter.writeInteger(r.offset, into: &out)
        out.append(contentsOf: f.timestamp)
        switch r.timestampType {
        case .createTime:
            JSONWriter.writeInteger(r.timestampMs, into: &out)
            out.append(contentsOf: f.types[0])
        case .logAppendTime:
            JSONWriter.writeInteger(r.timestampMs, into: &out)
            out.append(contentsOf: f.types[1])
        case .notAvailable:
            out.append(contentsOf: f.null)
            out.append(contentsOf: f.types[2])
        }
        JSONWriter.writeBytes(r.key, into: &out)
        out.append(contentsOf: f.headersOpen)
        var first = true
        for header in r.headers {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: f.headerKey)
            JSONWriter.writeString(header.key, into: &out)
            out.append(contentsOf: f.headerValue)
            JSONWriter.writeBytes(header.value, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: f.value)
        if valueAsJSON, let value = r.value, JSONValidator.isValidJSON(value) {
            let start = out.count
            out.append(contentsOf: value)
            if value.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                for i in start..<out.count where out[i] == 0x0A || out[i] == 0x0D { out[i] = 0x20 }
            }
        } else {
            JSONWriter.writeBytes(r.value, into: &out)
        }
        out.append(contentsOf: f.end)
    }
}

/// Hand-written JSON output primitives over byte buffers (no Foundation).
enum JSONWriter {
    /// Decimal digits of `value`, built right to left in a stack buffer and appended with one copy.
    static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: "-" and 19 digits fit
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var v = value.magnitude
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
            } while v > 0
            if value < 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[i...]))
        }
    }

    /// Writes a Swift string (always valid UTF-8) as a JSON string.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { p in
            _ = writeUTF8String(p, into: &out)
        }
    }

    /// `null`, a JSON string, or `{"base64":"…"}` for bytes that are not valid UTF-8.
    static func writeBytes(_ bytes: [UInt8]?, into out: inout [UInt8]) {
        writeBytes(bytes?[...], into: &out)
    }

    /// `null`, a JSON string, or `{"base64":"…"}` for bytes that are not valid UTF-8.
    static func writeBytes(_ bytes: ArraySlice<UInt8>?, into out: inout [UInt8]) {
        guard let bytes else {
            out.append(contentsOf: "null".utf8)
            return
        }
        bytes.withUnsafeBufferPointer { writeBytes($0, into: &out) }
    }

    /// `null`, a JSON string, or `{"base64":"…"}` for bytes that are not valid UTF-8.
    static func writeBytes(_ bytes: UnsafeBufferPointer<UInt8>?, into out: inout [UInt8]) {
        guard let p = bytes else {
            out.append(contentsOf: "null".utf8)
            return
        }
        if !writeUTF8String(p, into: &out) {
            out.append(contentsOf: #"{"base64":""#.utf8)
            Base64.encode(p, into: &out)
            out.append(contentsOf: #""}"#.utf8)
        }
    }

    /// Writes `p` as an escaped JSON string. Returns false (writing nothing) when `p` is not valid UTF-8.
    ///
    /// Two passes in C (`CJSONEscape`, 16 bytes at a time over plain ASCII): the first validates and measures, the
    /// second writes the escaped bytes in place (one copy when nothing needs escaping).
    static func writeUTF8String(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        let n = p.count
        guard let source = p.baseAddress, n > 0 else {
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "\"")])
            return true
        }
        let extra = kos_json_escape_measure(source, n)
        guard extra >= 0 else { return false }
        out.append(UInt8(ascii: "\""))
        if extra == 0 {
            out.append(contentsOf: p)
        } else {
            let base = out.count
            out.append(contentsOf: repeatElement(0, count: n + extra))
            out.withUnsafeMutableBufferPointer { dst in
                kos_json_escape_write(source, n, dst.baseAddress! + base)
            }
        }
        out.append(UInt8(ascii: "\""))
        return true
    }
}

enum UTF8Validation {
    /// Length of the valid UTF-8 sequence starting with a non-ASCII byte at `i`, or 0 when it is invalid.
    @inline(__always)
    static func sequenceLength(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
        let n = p.count
        let b0 = p[i]
        @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && p[i + k] & 0xC0 == 0x80 }
        switch b0 {
        case 0xC2...0xDF:
            return cont(1) ? 2 : 0
        case 0xE0:
            return i + 2 < n && (0xA0...0xBF).contains(p[i + 1]) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return cont(1) && cont(2) ? 3 : 0
        case 0xED:
            return i + 2 < n && (0x80...0x9F).contains(p[i + 1]) && cont(2) ? 3 : 0
        case 0xF0:
            return i + 3 < n && (0x90...0xBF).contains(p[i + 1]) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3:
            return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4:
            return i + 3 < n && (0x80...0x8F).contains(p[i + 1]) && cont(2) && cont(3) ? 4 : 0
        default:
            return 0
        }
    }
}

/// Standard base64 (RFC 4648, `+/`, `=` padding).
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        alphabet.withUnsafeBufferPointer { a in
            var i = 0
            let n = p.count
            out.reserveCapacity(out.count + (n + 2) / 3 * 4)
            while i + 3 <= n {
                let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2])
                out.append(a[Int(v >> 18)])
                out.append(a[Int(v >> 12 & 63)])
                out.append(a[Int(v >> 6 & 63)])
                out.append(a[Int(v & 63)])
                i += 3
            }
            if n - i == 1 {
                let v = UInt32(p[i]) << 16
                out.append(a[Int(v >> 18)])
                out.append(a[Int(v >> 12 & 63)])
                out.append(contentsOf: "==".utf8)
            } else if n - i == 2 {
                let v = UInt32(p[i]) << 16 | UInt32(p[i + 1]) << 8
                out.append(a[Int(v >> 18)])
                out.append(a[Int(v >> 12 & 63)])
                out.append(a[Int(v >> 6 & 63)])
                out.append(UInt8(ascii: "="))
            }
        }
    }

    /// Base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { encode($0, into: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The fields of one record, with key and value borrowed from memory the caller owns (for example librdkafka's
/// message buffers): valid only while the caller keeps that memory alive, so never stored.
public struct RecordView {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the Unix epoch; ignored when `timestampType == .notAvailable`.
    public var timestampMs: Int64
    public var timestampType: TimestampType
    /// `nil` when the record has no key.
    public var key: UnsafeBufferPointer<UInt8>?
    /// `nil` for a null value (a tombstone).
    public var value: UnsafeBufferPointer<UInt8>?
    public var headers: [SinkRecord.Header]

    public init(topic: String, partition: Int32, offset: Int64, timestampMs: Int64, timestampType: TimestampType,
                key: UnsafeBufferPointer<UInt8>?, value: UnsafeBufferPointer<UInt8>?, headers: [SinkRecord.Header]) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestampMs = timestampMs
        self.timestampType = timestampType
        self.key = key
        self.value = value
        self.headers = headers
    }
}

extension SinkRecord {
    /// Calls `body` with a view of this record (valid only inside `body`).
    @inline(__always)
    func withView<R>(_ body: (RecordView) -> R) -> R {
        @inline(__always)
        func withBytes(_ slice: ArraySlice<UInt8>?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
            guard let slice else { return body(nil) }
            return slice.withUnsafeBufferPointer { body($0) }
        }
        return withBytes(key) { key in
            withBytes(value) { value in
                body(RecordView(topic: topic, partition: partition, offset: offset, timestampMs: timestampMs,
                                timestampType: timestampType, key: key, value: value, headers: headers))
            }
        }
    }
}
