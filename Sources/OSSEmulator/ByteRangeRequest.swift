/// A GetObject `Range` header (oss-protocol.md §2.2): one range, `bytes=a-b`, `bytes=a-` or `bytes=-n`.
enum ByteRangeRequest: Sendable, Equatable {
    case fromTo(UInt64, UInt64)
    case from(UInt64)
    case suffix(UInt64)

    /// Nil when the header is not a single well-formed byte range.
    init?(header: String) {
        let text = header.trimmingSpaces
        guard text.hasPrefix("bytes=") else { return nil }
        let spec = text.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingSpaces
        let second = spec[spec.index(after: dash)...].trimmingSpaces
        switch (UInt64(first), UInt64(second)) {
        case (let a?, let b?):
            guard a <= b else { return nil }
            self = .fromTo(a, b)
        case (let a?, nil) where second.isEmpty: self = .from(a)
        case (nil, let n?) where first.isEmpty: self = .suffix(n)
        default: return nil
        }
    }

    enum Resolution: Equatable {
        /// 206 with these bytes.
        case partial(Range<UInt64>)
        /// 200 with the whole object (OSS's default for an invalid range).
        case whole
        /// 416 InvalidRange.
        case unsatisfiable
    }

    /// Resolves against an object of `size` bytes. `standard` is `x-oss-range-behavior: standard`: an end
    /// beyond the size is clipped and a start beyond it is 416; without it anything out of bounds yields 200.
    func resolve(size: UInt64, standard: Bool) -> Resolution {
        switch self {
        case .fromTo(let a, let b):
            if b < size { return .partial(a..<(b + 1)) }
            if a < size { return standard ? .partial(a..<size) : .whole }
            return standard ? .unsatisfiable : .whole
        case .from(let a):
            if a < size { return .partial(a..<size) }
            return standard ? .unsatisfiable : .whole
        case .suffix(let n):
            if n == 0 { return standard ? .unsatisfiable : .whole }
            if n <= size { return .partial((size - n)..<size) }
            if size == 0 { return standard ? .unsatisfiable : .whole }
            return standard ? .partial(0..<size) : .whole
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
