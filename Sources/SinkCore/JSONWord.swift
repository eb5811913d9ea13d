/// Eight bytes of JSON text at a time (SWAR): string scans skip words that hold nothing to look at.
enum JSONWord {
    static var ones: UInt64 { 0x0101_0101_0101_0101 }
    static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// The high bit set in each byte of `w` that is `"`, `\\` or below 0x20, and zero when there is none.
    /// Bytes of 0x80 and up never match. A byte after a match may be marked too (the borrow of the subtraction),
    /// so the result answers "is there one", not "where".
    @inline(__always)
    static func specialBytes(_ w: UInt64) -> UInt64 {
        let control = (w &- ones &* 0x20) & ~w
        let q = w ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q
        let b = w ^ (ones &* 0x5C)
        let backslash = (b &- ones) & ~b
        return (control | quote | backslash) & highs
    }
}
