import Foundation

extension KeyTemplate {
    /// The calendar fields rendered into `key`, when `key` is this template rendered for the given prefix, topic,
    /// partition and extension (with or without a `~N` suffix); `nil` when it does not match.
    ///
    /// Used to place a segment adopted by recovery into its time bucket. Fields the template lacks come back as
    /// the start of their range (January, day 1, 00:00).
    public func timeFields(ofKey key: String, prefix: String, topic: String, partition: Int32, ext: String) -> LocalTime? {
        match(key, prefix: prefix, topic: topic, partition: partition, ext: ext)?.time
    }

    /// The first offset rendered into `key` (`{offset}`), when `key` is this template rendered for the given
    /// prefix, topic, partition and extension; `nil` when it does not match.
    public func offset(ofKey key: String, prefix: String, topic: String, partition: Int32, ext: String) -> Int64? {
        match(key, prefix: prefix, topic: topic, partition: partition, ext: ext)?.offset
    }

    func match(_ key: String, prefix: String, topic: String, partition: Int32, ext: String) -> (time: LocalTime, offset: Int64)? {
        var rest = Substring(key)
        var offset: Int64 = -1
        var time = LocalTime(year: 1970, month: 1, day: 1, hour: 0, minute: 0)
        func take(_ s: String) -> Bool {
            guard rest.hasPrefix(s) else { return false }
            rest = rest.dropFirst(s.count)
            return true
        }
        func digits(exactly n: Int?) -> Int64? {
            let run = rest.prefix { $0.isASCII && $0.isNumber }
            guard !run.isEmpty else { return nil }
            let used = n.map { min($0, run.count) } ?? run.count
            if let n, used != n { return nil }
            let value = Int64(run.prefix(used))
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
            case .offset: guard let v = digits(exactly: nil) else { return nil }; offset = v
            case .year: guard let v = digits(exactly: 4) else { return nil }; time.year = Int(v)
            case .month: guard let v = digits(exactly: 2) else { return nil }; time.month = Int(v)
            case .day: guard let v = digits(exactly: 2) else { return nil }; time.day = Int(v)
            case .hour: guard let v = digits(exactly: 2) else { return nil }; time.hour = Int(v)
            case .minute: guard let v = digits(exactly: 2) else { return nil }; time.minute = Int(v)
            case .ext:
                suffix()
                guard take(ext) else { return nil }
            }
        }
        suffix()
        return rest.isEmpty && offset >= 0 ? (time, offset) : nil
    }
}
