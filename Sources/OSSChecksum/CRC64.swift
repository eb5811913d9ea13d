import CCRC64

/// CRC-64/XZ as used by OSS `x-oss-hash-crc64ecma`.
///
/// Reflected polynomial 0xC96C5795D7870F42, init and xorout all ones; the CRC of nothing is 0. Because init equals
/// xorout, `update(checksum(a), b) == checksum(a + b)`: a running CRC is continued by passing it back in, which
/// is how the CRC of an appendable object follows each append.
///
/// Contiguous bytes go to the C kernel of `CCRC64`: PCLMULQDQ folding on x86_64 CPUs that have it (see
/// ``isHardwareAccelerated``), slicing-by-8 tables otherwise. ``updateTable(_:_:)`` is the pure Swift
/// slicing-by-8 implementation, kept as the reference the kernel is tested against.
public enum CRC64 {
    /// Reflected ECMA-182 polynomial.
    public static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    /// Whether ``update(_:_:)-(_,UnsafeRawBufferPointer)`` uses carry-less multiplication (PCLMULQDQ) on this CPU;
    /// `false` means the table kernel. Results are identical either way.
    public static var isHardwareAccelerated: Bool {
        kos_crc64_xz_is_accelerated() != 0
    }

    /// Continues `crc` (the CRC-64/XZ of the bytes before) over `bytes`. `update(0, bytes)` is the CRC of `bytes`.
    ///
    /// Thread-safe, any alignment; inputs of 64 bytes and more run the PCLMULQDQ folding kernel where available.
    public static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return kos_crc64_xz_update(crc, base, bytes.count)
    }

    /// Continues `crc` over `bytes` in pure Swift, slicing-by-8 (about 1.2 GB/s): same result as
    /// ``update(_:_:)-(_,UnsafeRawBufferPointer)``, kept as the portable reference it is tested against.
    public static func updateTable(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return table.withUnsafeBufferPointer { tablePointer in
            let t = tablePointer.baseAddress!
            var value = ~crc
            var pointer = base
            var remaining = bytes.count
            while remaining >= 8 {
                let word = UInt64(littleEndian: pointer.loadUnaligned(as: UInt64.self)) ^ value
                value = t[7 * 256 + Int(truncatingIfNeeded: word & 0xFF)]
                    ^ t[6 * 256 + Int(truncatingIfNeeded: (word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int(truncatingIfNeeded: (word >> 16) & 0xFF)]
                    ^ t[4 * 256 + Int(truncatingIfNeeded: (word >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int(truncatingIfNeeded: (word >> 32) & 0xFF)]
                    ^ t[2 * 256 + Int(truncatingIfNeeded: (word >> 40) & 0xFF)]
                    ^ t[1 * 256 + Int(truncatingIfNeeded: (word >> 48) & 0xFF)]
                    ^ t[Int(truncatingIfNeeded: word >> 56)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                let byte = pointer.load(as: UInt8.self)
                value = t[Int(truncatingIfNeeded: (value ^ UInt64(byte)) & 0xFF)] ^ (value >> 8)
                pointer += 1
                remaining -= 1
            }
            return ~value
        }
    }

    /// Continues `crc` over `bytes`; contiguous collections (`[UInt8]`, `Data`, `ByteBuffer` views, ...) are passed
    /// to the kernel in one piece, other sequences in 4 KiB chunks.
    public static func update<Bytes: Sequence>(_ crc: UInt64, bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        var value = crc
        var chunk: [UInt8] = []
        chunk.reserveCapacity(4096)
        for byte in bytes {
            chunk.append(byte)
            if chunk.count == 4096 {
                value = chunk.withUnsafeBytes { update(value, $0) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        return chunk.withUnsafeBytes { update(value, $0) }
    }

    /// `update(crc, bytes: bytes)`, unlabeled.
    public static func update<Bytes: Sequence>(_ crc: UInt64, _ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        update(crc, bytes: bytes)
    }

    /// The CRC-64/XZ of `bytes`: `update(0, bytes)`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        update(0, bytes: bytes)
    }

    /// The CRC of A‖B from `crcA`, `crcB` and the length of B in bytes, without the data (zlib's
    /// `crc32_combine` scheme: the GF(2) operator for `lengthB` zero bytes by repeated squaring, O(log lengthB)).
    public static func combine(_ crcA: UInt64, _ crcB: UInt64, lengthB: UInt64) -> UInt64 {
        guard lengthB > 0 else { return crcA }
        var odd = [UInt64](repeating: 0, count: 64)  // Operator for one zero bit.
        var even = [UInt64](repeating: 0, count: 64)
        odd[0] = polynomial
        var row: UInt64 = 1
        for n in 1..<64 {
            odd[n] = row
            row <<= 1
        }
        square(into: &even, odd)  // Two zero bits.
        square(into: &odd, even)  // Four zero bits.
        var crc = crcA
        var length = lengthB
        repeat {
            square(into: &even, odd)  // First pass: one zero byte.
            if length & 1 != 0 { crc = times(even, crc) }
            length >>= 1
            if length == 0 { break }
            square(into: &odd, even)
            if length & 1 != 0 { crc = times(odd, crc) }
            length >>= 1
        } while length != 0
        return crc ^ crcB
    }

    private static func times(_ matrix: [UInt64], _ vector: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        var vector = vector
        var index = 0
        while vector != 0 {
            if vector & 1 != 0 { sum ^= matrix[index] }
            vector >>= 1
            index += 1
        }
        return sum
    }

    private static func square(into result: inout [UInt64], _ matrix: [UInt64]) {
        for n in 0..<64 { result[n] = times(matrix, matrix[n]) }
    }

    /// Eight 256-entry tables, flattened: table k maps a byte to its contribution k bytes further along.
    static let table: [UInt64] = {
        var table = [UInt64](repeating: 0, count: 8 * 256)
        for n in 0..<256 {
            var crc = UInt64(n)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ polynomial : crc >> 1 }
            table[n] = crc
        }
        for k in 1..<8 {
            for n in 0..<256 {
                let previous = table[(k - 1) * 256 + n]
                table[k * 256 + n] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()
}
