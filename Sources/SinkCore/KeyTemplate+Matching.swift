import Foundation

extension KeyTemplate {
    /// The calendar fields rendered into `key`, when `key` is this template rendered for the given prefix, topic,
    /// partition and extension (with or without a `~N` suffix); `nil` when it does not match.
    ///
    /// Used to place a segment adopted by recovery into its time bucket. Fields the template lacks come back as
    /// the start of their range (January, day 1, 00:00).
    public func timeFields(ofKey key: String, prefix: String, topic: String, partition: Int32, ext: String) -> LocalTime? {
        var rest = Substring(key)
        var time = LocalTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0)
        func take(_ s: String) -> Bool {
            guard rest.hasPrefix(s) else { return false }
            rest = rest.dropFirst(s.count)
            return true
        }
        func digits(exactly n: Int?) -> Int? {
            let run = rest.prefix { $0.isASCII && $0.isNumber }
            guard !run.isEmpty else { return nil }
            let used = n.map { min($0, run.count) } ?? run.count
            if let n, used != n { return nil }
            let value = Int(run.prefix(used))
            rest = rest.dropFirst(used)
            return value
        }
        func suffix() {
            if rest.hasPrefix("~") {
                let save = rest
                rest = rest.dropFirst()
                if digits(exactly: nil) == nil { rest = save }
            }
        }
        for token in tokens {
            switch token {
            case .literal(let s): guard take(s) else { return nil }
            case .prefix: guard take(prefix) else { return nil }
            case .topic: guard take(topic) else { return nil }
            case .partition(let width): guard take(Self.padded(Int64(partition), width)) else { return nil }
            case .offset: guard digits(exactly: nil) != nil else { return nil }
            case .year: guard let v = digits(exactly: 4) else { return nil }; time.year = v
            case .month: guard let v = digits(exactly: 2) else { return nil }; time.month = v
            case .day: guard let v = digits(exactly: 2) else { return nil }; time.day = v
            case .hour: guard let v = digits(exactly: 2) else { return nil }; time.hour = v
            case .minute: guard let v = digits(exactly: 2) else { return nil }; time.minute = v
            case .ext:
                suffix()
                guard take(ext) else { return nil }
            }
        }
        suffix()
        return rest.isEmpty ? time : nil
    }
}
