/// Parses and formats byte sizes written as plain bytes or with a binary unit: `4MiB`, `512KiB`, `1GiB`.
public enum ByteSize {
    static let units: [(suffix: String, factor: Int64)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1),
    ]

    /// Returns the number of bytes, or nil when `text` is not a size.
    public static func parse(_ text: String) -> Int64? {
        let text = text.trimmingSpaces()
        guard !text.isEmpty else { return nil }
        var digits = Substring(text)
        var factor: Int64 = 1
        for unit in units where text.hasSuffix(unit.suffix) {
            digits = text.dropLast(unit.suffix.count)
            factor = unit.factor
            break
        }
        digits = Substring(String(digits).trimmingSpaces())
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else {
            return nil
        }
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// A likely intended spelling for a size written with a decimal or lower-case unit (`4MB`, `4mb` → `4MiB`).
    static func suggestion(for text: String) -> String? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces().lowercased()
        let map = ["k": "KiB", "kb": "KiB", "kib": "KiB", "m": "MiB", "mb": "MiB", "mib": "MiB",
                   "g": "GiB", "gb": "GiB", "gib": "GiB", "t": "TiB", "tb": "TiB", "tib": "TiB", "b": "B"]
        return map[unit].map { "\(digits)\($0)" }
    }

    /// The shortest exact spelling: `4MiB`, `1536KiB`, `100`.
    public static func format(_ bytes: Int64) -> String {
        for unit in units where unit.factor > 1 && bytes != 0 && bytes % unit.factor == 0 {
            return "\(bytes / unit.factor)\(unit.suffix)"
        }
        return "\(bytes)"
    }
}

/// Parses and formats durations: `500ms`, `5s`, `1m`, `1h`, `1d`, and sums such as `1h30m`.
public enum DurationText {
    static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// Returns the duration, or nil when `text` is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let letters = rest.prefix { $0.isASCII && $0.isLetter }
            guard let unit = units.first(where: { $0.suffix == letters }) else { return nil }
            rest = rest.dropFirst(letters.count)
            let (product, overflow) = value.multipliedReportingOverflow(by: unit.milliseconds)
            guard !overflow else { return nil }
            let (sum, overflow2) = total.addingReportingOverflow(product)
            guard !overflow2 else { return nil }
            total = sum
        }
        return .milliseconds(total)
    }

    /// The shortest exact spelling in one unit: `500ms`, `30s`, `24h`.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        for unit in units.reversed() where unit.milliseconds > 1 && ms != 0 && ms % unit.milliseconds == 0 {
            return "\(ms / unit.milliseconds)\(unit.suffix)"
        }
        return "\(ms)ms"
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    public var totalMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let first = s.first, first.isWhitespace { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
