/// CRC-64/XZ (the `x-oss-hash-crc64ecma` checksum of OSS): reflected ECMA-182 polynomial, init and xorout all ones.
///
/// Because init == xorout, the CRC of `A‖B` is `CRC64.update(CRC64.checksum(A), B)`: an object's running CRC is
/// continued over each appended chunk, starting from 0 for an empty object.
public enum CRC64 {
    static let table: [UInt64] = {
        let poly: UInt64 = 0xC96C_5795_D787_0F42
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt64(i)
            for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
            t[i] = c
        }
        for k in 1..<8 {
            for i in 0..<256 {
                let prev = t[(k - 1) * 256 + i]
                t[k * 256 + i] = (prev >> 8) ^ t[Int(prev & 0xFF)]
            }
        }
        return t
    }()

    /// The CRC of `bytes` alone.
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt64 {
        update(0, bytes)
    }

    /// Continues `crc` (the CRC of everything before) over `bytes`.
    public static func update(_ crc: UInt64, _ bytes: some Sequence<UInt8>) -> UInt64 {
        if let r = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) {
            return r
        }
        let array = Array(bytes)
        return array.withUnsafeBytes { update(crc, $0) }
    }

    /// Continues `crc` over raw memory (slicing-by-8).
    public static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        table.withUnsafeBufferPointer { t in
            var c = ~crc
            var i = 0
            let n = bytes.count
            while i + 8 <= n {
                c ^= UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                c = t[7 * 256 + Int(c & 0xFF)] ^ t[6 * 256 + Int((c >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((c >> 16) & 0xFF)] ^ t[4 * 256 + Int((c >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((c >> 32) & 0xFF)] ^ t[2 * 256 + Int((c >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int((c >> 48) & 0xFF)] ^ t[Int(c >> 56)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt64(bytes[i])) & 0xFF)] ^ (c >> 8)
                i += 1
            }
            return ~c
        }
    }
}
