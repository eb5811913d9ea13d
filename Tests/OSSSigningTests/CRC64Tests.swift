import Foundation
import OSSSigning
import SinkTesting
import Testing

@Suite("CRC-64/XZ")
struct CRC64Tests {
    @Test(
        "check values of docs/oss-protocol.md §5",
        arguments: [
            ("123456789", UInt64(0x995D_C9BB_DF19_39FA)),
            ("This is a test of the emergency broadcast system.", 0x27DB_187F_C15B_BC72),
            ("abc", 3_231_342_946_509_354_535),
            ("test", 18_020_588_380_933_092_773),
            ("hi oss,append object", 2_313_496_259_928_504_459),
            ("", 0),
        ]
    )
    func checkValues(input: String, expected: UInt64) {
        #expect(CRC64.checksum(Array(input.utf8)) == expected)
        #expect(CRC64.checksum(input.utf8) == expected)
        #expect(CRC64.checksum(AnySequence(input.utf8)) == expected)  // Non-contiguous sequence path.
        #expect(CRC64.checksum(AnySequence(Array(repeating: input.utf8, count: 1000).joined()))
            == CRC64.checksum(Array(repeating: Array(input.utf8), count: 1000).joined()))  // Several 4 KiB chunks.
        #expect(Array(input.utf8).withUnsafeBytes { CRC64.update(0, $0) } == expected)
    }

    /// Bit-at-a-time reference implementation, to check the slicing tables on every length and alignment.
    static func reference(_ crc: UInt64, _ bytes: some Sequence<UInt8>) -> UInt64 {
        var value = ~crc
        for byte in bytes {
            value ^= UInt64(byte)
            for _ in 0..<8 { value = value & 1 != 0 ? (value >> 1) ^ 0xC96C_5795_D787_0F42 : value >> 1 }
        }
        return ~value
    }

    @Test("agrees with a bitwise reference on all lengths 0...80 and every alignment")
    func matchesReference() {
        var rng = SplitMix64(seed: 64)
        let data = rng.bytes(96)
        for offset in 0..<8 {
            for length in 0...(data.count - offset - 8) {
                let slice = data[offset..<(offset + length)]
                #expect(CRC64.checksum(slice) == Self.reference(0, slice), "offset \(offset) length \(length)")
            }
        }
    }

    @Test("continuation: crc(A‖B) == update(crc(A), B) on random splits")
    func continuation() {
        var rng = SplitMix64(seed: 0xC0FFEE)
        for _ in 0..<200 {
            let data = rng.bytes(rng.below(5000))
            let split = data.isEmpty ? 0 : rng.below(data.count + 1)
            let whole = CRC64.checksum(data)
            let continued = CRC64.update(CRC64.checksum(data[..<split]), bytes: data[split...])
            #expect(continued == whole, "length \(data.count) split \(split)")
        }
        // Several chunks, as successive appends do.
        let data = rng.bytes(10_000)
        var running: UInt64 = 0
        var start = 0
        while start < data.count {
            let end = min(data.count, start + 1 + rng.below(1500))
            running = data[start..<end].withUnsafeBytes { CRC64.update(running, $0) }
            start = end
        }
        #expect(running == CRC64.checksum(data))
    }

    @Test("zero-length update leaves the CRC unchanged")
    func emptyUpdate() {
        #expect(CRC64.update(12_345, bytes: [UInt8]()) == 12_345)
        #expect(CRC64.update(12_345, UnsafeRawBufferPointer(start: nil, count: 0)) == 12_345)
    }

    @Test("combine vector of §5")
    func combineVector() {
        #expect(CRC64.combine(0x995D_C9BB_DF19_39FA, 0x27DB_187F_C15B_BC72, lengthB: 49) == 0x6A7A_A19F_CBF4_8688)
        let joined = Array("123456789This is a test of the emergency broadcast system.".utf8)
        #expect(CRC64.checksum(joined) == 0x6A7A_A19F_CBF4_8688)
        #expect(CRC64.combine(0x1234, 0, lengthB: 0) == 0x1234)
    }

    @Test("combine property: combine(crc(A), crc(B), |B|) == crc(A‖B) on random data")
    func combineProperty() {
        var rng = SplitMix64(seed: 0xBADC0DE)
        for _ in 0..<100 {
            let a = rng.bytes(rng.below(3000))
            let b = rng.bytes(rng.below(3000))
            let combined = CRC64.combine(CRC64.checksum(a), CRC64.checksum(b), lengthB: UInt64(b.count))
            #expect(combined == CRC64.checksum(a + b), "lengths \(a.count) + \(b.count)")
        }
    }

    @Test("combine of a long run of zero bytes (large lengthB)")
    func combineLong() {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let a = Array("prefix".utf8)
        #expect(CRC64.combine(CRC64.checksum(a), CRC64.checksum(zeros), lengthB: UInt64(zeros.count))
            == CRC64.checksum(a + zeros))
    }
}

/// The C kernel behind `CRC64.update` (PCLMULQDQ folding where the CPU has it) against the Swift slicing-by-8
/// reference `CRC64.updateTable`, on the lengths and alignments where the kernel switches strategy.
@Suite("CRC-64/XZ kernel")
struct CRC64KernelTests {
    /// `bytes[offset..<offset + length]` through both implementations, continuing `crc`.
    static func bothWays(_ bytes: [UInt8], offset: Int, length: Int, crc: UInt64) -> (kernel: UInt64, table: UInt64) {
        bytes.withUnsafeBytes { all in
            let slice = UnsafeRawBufferPointer(rebasing: all[offset..<(offset + length)])
            return (CRC64.update(crc, slice), CRC64.updateTable(crc, slice))
        }
    }

    @Test("check value 123456789 and the bitwise reference, short and long, through the kernel")
    func checkValue() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC64.update(0, $0) } == 0x995D_C9BB_DF19_39FA)
        #expect(check.withUnsafeBytes { CRC64.updateTable(0, $0) } == 0x995D_C9BB_DF19_39FA)
        // Long inputs take the folding path; the bit-at-a-time reference shares no code or tables with it.
        var rng = SplitMix64(seed: 0x995D_C9BB)
        let data = rng.bytes(3000)
        for length in [64, 127, 128, 129, 255, 256, 1000, 2983] {
            for offset in [0, 1, 7, 15] {
                let crc = rng.next()
                let kernel = Self.bothWays(data, offset: offset, length: length, crc: crc).kernel
                let reference = CRC64Tests.reference(crc, data[offset..<(offset + length)])
                #expect(kernel == reference, "offset \(offset) length \(length)")
            }
        }
    }

    @Test("equals the table path on every length 0...1024 at every start offset 0...15")
    func everyShortLength() {
        var rng = SplitMix64(seed: 1024)
        let data = rng.bytes(1024 + 16)
        var mismatches = 0
        for offset in 0..<16 {
            for length in 0...1024 {
                let crc = length.isMultiple(of: 2) ? 0 : rng.next()
                let (kernel, table) = Self.bothWays(data, offset: offset, length: length, crc: crc)
                if kernel != table {
                    mismatches += 1
                    if mismatches <= 5 {  // The first few name the case; the count says how widespread it is.
                        #expect(kernel == table, "offset \(offset) length \(length) crc \(crc)")
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("equals the table path on random lengths up to 1 MiB at every start offset 0...15")
    func randomLongLengths() {
        var rng = SplitMix64(seed: 0x1_0000_0000)
        let data = rng.bytes((1 << 20) + 16)
        for offset in 0..<16 {
            for _ in 0..<3 {
                let length = 1 + rng.below(1 << 20)
                let crc = rng.chance(50) ? 0 : rng.next()
                let (kernel, table) = Self.bothWays(data, offset: offset, length: length, crc: crc)
                #expect(kernel == table, "offset \(offset) length \(length) crc \(crc)")
            }
        }
        // The whole 1 MiB in one call.
        let (kernel, table) = Self.bothWays(data, offset: 0, length: 1 << 20, crc: 0)
        #expect(kernel == table)
    }

    @Test("chaining: updates over random-sized pieces equal one call over the whole buffer")
    func chaining() {
        var rng = SplitMix64(seed: 0xC4A1_0000)
        let data = rng.bytes(1 << 20)
        let oneShot = data.withUnsafeBytes { CRC64.update(0, $0) }
        #expect(oneShot == data.withUnsafeBytes { CRC64.updateTable(0, $0) })
        for round in 0..<4 {
            // Piece sizes straddle the kernel's thresholds: table-only (< 64), single lane (< 128), 8 lanes, long.
            let maxPiece = [70, 300, 5000, 200_000][round]
            var running: UInt64 = 0
            var start = 0
            var pieces = 0
            while start < data.count {
                let end = min(data.count, start + rng.below(maxPiece + 1))
                running = data.withUnsafeBytes { CRC64.update(running, UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
                start = end
                pieces += 1
            }
            #expect(running == oneShot, "round \(round), \(pieces) pieces of at most \(maxPiece) bytes")
        }
    }

    #if arch(x86_64) && os(Linux)
    @Test("the folding kernel is selected exactly when /proc/cpuinfo reports pclmulqdq and sse4_1")
    func selectsFoldingKernel() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let words = Set(flags.split(separator: " ").map(String.init))
        #expect(CRC64.isHardwareAccelerated == (words.contains("pclmulqdq") && words.contains("sse4_1")))
    }
    #endif
}
