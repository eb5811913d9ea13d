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
        switch format {
        case .raw(let delimiter):
            if let value = record.value { out.append(contentsOf: value) }
            out.append(contentsOf: delimiter)
        case .jsonl(let valueAsJSON):
            renderJSONL(record, valueAsJSON: valueAsJSON, into: &out)
        }
    }

    /// Renders one record into a new array (convenience for tests and tools).
    public func render(_ record: SinkRecord) -> [UInt8] {
        var out: [UInt8] = []
        render(record, into: &out)
        return out
    }

    func renderJSONL(_ r: SinkRecord, valueAsJSON: Bool, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"topic":"#.utf8)
        JSONWriter.writeString(r.topic, into: &out)
        out.append(contentsOf: #","partition":"#.utf8)
        JSONWriter.writeInteger(Int64(r.partition), into: &out)
        out.append(contentsOf: #","offset":"#.utf8)
        JSONWriter.writeInteger(r.offset, into: &out)
        out.append(contentsOf: #","timestamp":"#.utf8)
        if r.timestampType == .notAvailable {
            out.append(contentsOf: "null".utf8)
        } else {
            JSONWriter.writeInteger(r.timestampMs, into: &out)
        }
        out.append(contentsOf: #","timestamp_type":""#.utf8)
        out.append(contentsOf: r.timestampType.name.utf8)
        out.append(contentsOf: #"","key":"#.utf8)
        JSONWriter.writeBytes(r.key, into: &out)
        out.append(contentsOf: #","headers":["#.utf8)
        var first = true
        for header in r.headers {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: #"{"key":"#.utf8)
            JSONWriter.writeString(header.key, into: &out)
            out.append(contentsOf: #","value":"#.utf8)
            JSONWriter.writeBytes(header.value, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"value":"#.utf8)
        if valueAsJSON, let value = r.value, JSONValidator.isValidJSON(value) {
            for byte in value {
                out.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte)
            }
        } else {
            JSONWriter.writeBytes(r.value, into: &out)
        }
        out.append(contentsOf: "}\n".utf8)
    }
}

/// Hand-written JSON output primitives over byte buffers (no Foundation).
enum JSONWriter {
    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var v = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(truncatingIfNeeded: 48 + v % 10))
            v /= 10
        } while v > 0
        out[start...].reverse()
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
        guard let bytes else {
            out.append(contentsOf: "null".utf8)
            return
        }
        bytes.withUnsafeBufferPointer { p in
            let mark = out.count
            if !writeUTF8String(p, into: &out) {
                out.removeSubrange(mark...)
                out.append(contentsOf: #"{"base64":""#.utf8)
                Base64.encode(p, into: &out)
                out.append(contentsOf: #""}"#.utf8)
            }
        }
    }

    /// Writes `p` as an escaped JSON string while validating UTF-8. Returns false (leaving partial output for the
    /// caller to remove) when `p` is not valid UTF-8.
    static func writeUTF8String(_ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "\""))
        let n = p.count
        var i = 0
        var runStart = 0
        @inline(__always) func flush(_ end: Int) {
            if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: p[runStart..<end])) }
        }
        while i < n {
            let b = p[i]
            if b < 0x80 {
                if b >= 0x20 && b != 0x22 && b != 0x5C {
                    i += 1
                    continue
                }
                flush(i)
                out.append(UInt8(ascii: "\\"))
                switch b {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hex[Int(b >> 4)])
                    out.append(hex[Int(b & 0xF)])
                }
                i += 1
                runStart = i
                continue
            }
            let len = UTF8Validation.sequenceLength(p, at: i)
            if len == 0 { return false }
            i += len
        }
        flush(n)
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

    static func isValid(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while i < p.count {
            if p[i] < 0x80 { i += 1; continue }
            let len = sequenceLength(p, at: i)
            if len == 0 { return false }
            i += len
        }
        return true
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
