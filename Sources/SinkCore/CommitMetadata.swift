/// The Kafka offset metadata committed with each offset: `v1 key=<K> pos=<P> crc=<C>`.
///
/// Encoding (unambiguous, single spaces between the four fields):
/// - `K` is the object key percent-encoded over its UTF-8 bytes: every byte except `A-Z a-z 0-9 - . _ ~ / + :` is
///   written `%XX` (upper-case hex), so spaces, `=` and `%` in a key never break the field structure.
/// - `P` (the object's length after the append) and `C` (its CRC-64/XZ, as OSS reports it) are unsigned decimals.
/// Anything else — another version, a missing or extra field, a bad escape, a non-number — parses as "no metadata".
public struct CommitMetadata: Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var position: Int
    public var crc64: UInt64

    public init(key: String, position: Int, crc64: UInt64) {
        self.key = key
        self.position = position
        self.crc64 = crc64
    }

    public var description: String { encoded }

    /// The metadata string to commit.
    public var encoded: String {
        var out = "v1 key="
        out.reserveCapacity(key.utf8.count + 48)
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for b in key.utf8 {
            if Self.isPlain(b) {
                bytes.append(b)
            } else {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            }
        }
        out += String(decoding: bytes, as: UTF8.self)
        out += " pos=\(position) crc=\(crc64)"
        return out
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
        guard fields.count == 4, fields[0] == "v1",
              fields[1].hasPrefix("key="), fields[2].hasPrefix("pos="), fields[3].hasPrefix("crc=") else {
            return nil
        }
        guard let key = percentDecode(fields[1].dropFirst(4)), !key.isEmpty,
              let pos = decimal(fields[2].dropFirst(4)), pos <= UInt64(Int.max),
              let crc = decimal(fields[3].dropFirst(4)) else {
            return nil
        }
        return CommitMetadata(key: key, position: Int(pos), crc64: crc)
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
