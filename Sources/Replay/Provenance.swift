/// Where a replayed record came from: the header replay adds to every record it produces.
///
/// Header `kafka-oss-sink.source`, value `<topic>/<partition>/<offset>` in ASCII, for example
/// `events/3/1048576`: the source topic, partition and offset of the archived record. Kafka topic names cannot
/// contain `/`, so the value splits unambiguously; partition and offset are unsigned decimals without leading
/// zeros. A record that already carried the header (an archive of a replayed topic) keeps it, and the new one is
/// added last: the last header of that name is the record's own provenance.
public struct Provenance: Sendable, Hashable, CustomStringConvertible {
    /// The header name.
    public static let headerName = "kafka-oss-sink.source"
    static let headerNameBytes = Array(headerName.utf8)

    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    public var description: String { "\(topic)/\(partition)/\(offset)" }

    /// The header value.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        Self.encode(topic: Array(topic.utf8), partition: partition, offset: offset, into: &out)
        return out
    }

    /// Writes the header value for a record of `topic` (its UTF-8 bytes) into `out` (replacing its contents).
    static func encode(topic: [UInt8], partition: Int32, offset: Int64, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: topic)
        out.append(UInt8(ascii: "/"))
        appendDecimal(UInt64(partition), to: &out)
        out.append(UInt8(ascii: "/"))
        appendDecimal(UInt64(offset), to: &out)
    }

    private static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var v = value
            var i = buffer.count
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: 48 + v % 10)
                v /= 10
            } while v > 0
            out.append(contentsOf: buffer[i...])
        }
    }

    /// Parses a header value; `nil` unless it is `<topic>/<partition>/<offset>` exactly as written above.
    public init?(value: some Collection<UInt8>) {
        let bytes = Array(value)
        guard let second = bytes.lastIndex(of: UInt8(ascii: "/")),
              let first = bytes[..<second].lastIndex(of: UInt8(ascii: "/")), first > 0,
              let partition = Self.decimal(bytes[(first + 1)..<second]), let p = Int32(exactly: partition),
              let offset = Self.decimal(bytes[(second + 1)...]), let o = Int64(exactly: offset) else {
            return nil
        }
        let topic = bytes[..<first]
        guard topic.allSatisfy({ Self.isTopicByte($0) }) else { return nil }
        self.init(topic: String(decoding: topic, as: UTF8.self), partition: p, offset: o)
    }

    /// The provenance of a record with `headers` (the last header named ``headerName`` that parses); `nil` when
    /// it has none.
    public static func of<Headers: BidirectionalCollection>(
        headers: Headers, name: (Headers.Element) -> String, value: (Headers.Element) -> [UInt8]?
    ) -> Provenance? {
        for header in headers.reversed() where name(header) == headerName {
            return value(header).flatMap { Provenance(value: $0) }
        }
        return nil
    }

    static func isTopicByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard !digits.isEmpty, digits.count <= 19, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        if digits.count > 1, digits.first == 0x30 { return nil }
        return UInt64(String(decoding: digits, as: UTF8.self))
    }
}
