/// RFC 3986 percent-encoding over UTF-8 bytes, exactly as OSS signing needs it.
///
/// Unlike Foundation's `addingPercentEncoding` (absent from FoundationEssentials on Linux), the byte set is fixed:
/// only the unreserved characters `A–Z a–z 0–9 - . _ ~` pass through (plus `/` when asked), and no Unicode
/// normalisation is applied — the bytes of the string are the bytes that get encoded.
public enum OSSPercentEncoding {
    /// RFC 3986 over UTF-8 bytes: unreserved A-Z a-z 0-9 - . _ ~ kept; `/` kept when keepSlash; every other byte
    /// %XX upper-case.
    public static func encode(_ string: String, keepSlash: Bool) -> String {
        let utf8 = string.utf8
        if utf8.allSatisfy({ isUnreserved($0) || (keepSlash && $0 == 0x2F) }) { return string }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count * 3)
        for byte in utf8 {
            if isUnreserved(byte) || (keepSlash && byte == 0x2F) {
                out.append(byte)
            } else {
                out.append(0x25)
                out.append(upperHexDigits[Int(byte >> 4)])
                out.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes %XX sequences (and `+` as space only when plusAsSpace). nil on malformed input.
    ///
    /// Malformed means: a `%` not followed by two hex digits (either case), or decoded bytes that are not valid
    /// UTF-8. Every other character passes through unchanged.
    public static func decode(_ string: String, plusAsSpace: Bool = false) -> String? {
        let utf8 = Array(string.utf8)
        if !utf8.contains(0x25) && !(plusAsSpace && utf8.contains(0x2B)) { return string }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == 0x25 {
                guard index + 2 < utf8.count,
                      let high = hexValue(utf8[index + 1]),
                      let low = hexValue(utf8[index + 2])
                else { return nil }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(plusAsSpace && byte == 0x2B ? 0x20 : byte)
                index += 1
            }
        }
        let decoded = String(decoding: out, as: UTF8.self)
        // Invalid UTF-8 turns into U+FFFD, which changes the bytes: reject instead of repairing.
        return decoded.utf8.elementsEqual(out) ? decoded : nil
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: true
        default: false
        }
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
