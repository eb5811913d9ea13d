import OSSEmulator

extension SplitMix64 {
    /// Uniform-enough integer in 0..<bound, independent of the standard library's sampling algorithm.
    public mutating func below(_ bound: Int) -> Int {
        Int(truncatingIfNeeded: next() % UInt64(bound))
    }

    /// True `percent` times in a hundred.
    public mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    /// One of `values`.
    public mutating func pick<T>(_ values: [T]) -> T {
        values[below(values.count)]
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
