/// A strict RFC 8259 validator over bytes: exactly one JSON value, optional surrounding whitespace, valid UTF-8
/// inside strings, nesting at most 256 deep (deeper input is reported invalid and rendered as a string instead).
enum JSONValidator {
    static let maxDepth = 256

    static func isValidJSON(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = Parser(p: p)
        parser.skipWhitespace()
        guard parser.value(depth: 0) else { return false }
        parser.skipWhitespace()
        return parser.i == p.count
    }

    struct Parser {
        let p: UnsafeBufferPointer<UInt8>
        var i = 0

        init(p: UnsafeBufferPointer<UInt8>) { self.p = p }

        var atEnd: Bool { i >= p.count }
        var peek: UInt8 { p[i] }

        mutating func skipWhitespace() {
            while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
        }

        mutating func literal(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard i + n <= p.count else { return false }
            let lit = UnsafeBufferPointer(start: s.utf8Start, count: n)
            for k in 0..<n where p[i + k] != lit[k] { return false }
            i += n
            return true
        }

        mutating func value(depth: Int) -> Bool {
            guard !atEnd, depth < JSONValidator.maxDepth else { return false }
            switch peek {
            case UInt8(ascii: "{"):
                i += 1
                skipWhitespace()
                if !atEnd, peek == UInt8(ascii: "}") { i += 1; return true }
                while true {
                    skipWhitespace()
                    guard !atEnd, peek == UInt8(ascii: "\""), string() else { return false }
                    skipWhitespace()
                    guard !atEnd, peek == UInt8(ascii: ":") else { return false }
                    i += 1
                    skipWhitespace()
                    guard value(depth: depth + 1) else { return false }
                    skipWhitespace()
                    guard !atEnd else { return false }
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    if peek == UInt8(ascii: "}") { i += 1; return true }
                    return false
                }
            case UInt8(ascii: "["):
                i += 1
                skipWhitespace()
                if !atEnd, peek == UInt8(ascii: "]") { i += 1; return true }
                while true {
                    skipWhitespace()
                    guard value(depth: depth + 1) else { return false }
                    skipWhitespace()
                    guard !atEnd else { return false }
                    if peek == UInt8(ascii: ",") { i += 1; continue }
                    if peek == UInt8(ascii: "]") { i += 1; return true }
                    return false
                }
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        mutating func digits() -> Int {
            let start = i
            while i < p.count, (0x30...0x39).contains(p[i]) { i += 1 }
            return i - start
        }

        mutating func number() -> Bool {
            if !atEnd, peek == UInt8(ascii: "-") { i += 1 }
            guard !atEnd else { return false }
            if peek == UInt8(ascii: "0") {
                i += 1
            } else if digits() == 0 {
                return false
            }
            if !atEnd, peek == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { return false }
            }
            if !atEnd, peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
                i += 1
                if !atEnd, peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { return false }
            }
            return true
        }

        /// True when one of the 8 bytes in `w` is < 0x20, `"`, `\\` or ≥ 0x80 (the string scan must look at it).
        @inline(__always)
        static func wordNeedsAttention(_ w: UInt64) -> Bool {
            JSONWord.specialBytes(w) | (w & JSONWord.highs) != 0
        }

        static func isHex(_ b: UInt8) -> Bool {
            (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b)
        }

        mutating func string() -> Bool {
            i += 1  // opening quote
            let raw = UnsafeRawBufferPointer(p)
            while i < p.count {
                if i + 8 <= p.count, !Self.wordNeedsAttention(
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) {
                    i += 8
                    continue
                }
                let b = p[i]
                if b == 0x22 { i += 1; return true }
                if b < 0x20 { return false }
                if b == 0x5C {
                    i += 1
                    guard !atEnd else { return false }
                    switch peek {
                    case 0x22, 0x5C, 0x2F, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                         UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 1
                    case UInt8(ascii: "u"):
                        guard i + 4 < p.count else { return false }
                        for k in 1...4 where !Self.isHex(p[i + k]) { return false }
                        i += 5
                    default:
                        return false
                    }
                    continue
                }
                if b < 0x80 { i += 1; continue }
                let len = UTF8Validation.sequenceLength(p, at: i)
                if len == 0 { return false }
                i += len
            }
            return false
        }
    }
}
