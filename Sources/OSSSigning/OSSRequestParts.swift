/// One query parameter of a request, decoded.
public struct OSSQueryItem: Sendable, Hashable {
    /// The decoded parameter name.
    public var name: String
    /// The decoded value; nil for a valueless flag such as `append`. Signers treat nil and "" alike (bare name).
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

/// What a signer sees of an HTTP request.
///
/// Header names should be lower-cased; the signers nevertheless look names up case-insensitively and, when they
/// add a header, replace any existing spelling of the same name.
public struct OSSRequestParts: Sendable {
    /// The HTTP method, e.g. `"GET"` or `"POST"`; used verbatim.
    public var method: String
    /// The bucket name; nil for service-level requests.
    public var bucket: String?
    /// The decoded UTF-8 object key; nil for bucket-level requests.
    public var key: String?
    /// Decoded query parameters in wire order.
    public var query: [OSSQueryItem]
    /// Header names (lower-cased) to values.
    public var headers: [String: String]

    public init(
        method: String,
        bucket: String?,
        key: String?,
        query: [OSSQueryItem] = [],
        headers: [String: String] = [:]
    ) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
    }
}

extension OSSRequestParts {
    /// The value of header `name` (lower-case), matched case-insensitively; nil when absent.
    func header(_ name: String) -> String? {
        if let value = headers[name] { return value }
        for (key, value) in headers where ASCII.lowercased(key) == name { return value }
        return nil
    }

    /// Sets header `name` (lower-case), removing every other spelling of it first.
    mutating func setHeader(_ name: String, _ value: String) {
        for key in headers.keys where key != name && ASCII.lowercased(key) == name {
            headers.removeValue(forKey: key)
        }
        headers[name] = value
    }

    /// Headers grouped by lower-cased name with trimmed values, sorted by name. Several spellings of one name
    /// are joined with `,` in the byte order of their original spellings.
    func canonicalHeaderPairs(where include: (String) -> Bool) -> [(name: String, value: String)] {
        var grouped: [String: [(original: String, value: String)]] = [:]
        for (key, value) in headers {
            let name = ASCII.lowercased(key)
            guard include(name) else { continue }
            grouped[name, default: []].append((key, ASCII.trimmed(value)))
        }
        return grouped
            .map { name, values in
                let ordered = values.sorted { ASCII.less($0.original, $1.original) }
                return (name: name, value: ordered.map(\.value).joined(separator: ","))
            }
            .sorted { ASCII.less($0.name, $1.name) }
    }
}

/// Byte-level string helpers; HTTP names and canonical strings are compared and cased by bytes, not by Unicode rules.
enum ASCII {
    static func lowercased(_ string: String) -> String {
        guard string.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return string }
        let bytes = string.utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes leading and trailing spaces and horizontal tabs (HTTP optional whitespace).
    static func trimmed(_ string: String) -> String {
        let bytes = Array(string.utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        if start == 0 && end == bytes.count { return string }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Lexicographic comparison of UTF-8 bytes (Unicode code point order), unlike `String.<`.
    static func less(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    static let lowerHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func lowerHex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(lowerHexDigits[Int(byte >> 4)])
            out.append(lowerHexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
