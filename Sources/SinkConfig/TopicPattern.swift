#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Topic regular expressions, checked with the same POSIX extended syntax librdkafka uses.
enum TopicPattern {
    /// Returns the regcomp error text, or nil when `pattern` compiles.
    static func compileError(_ pattern: String) -> String? {
        var regex = regex_t()
        let status = regcomp(&regex, pattern, REG_EXTENDED | REG_NOSUB)
        defer { if status == 0 { regfree(&regex) } }
        guard status != 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        regerror(status, &regex, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `pattern` matches `topic` (`regexec`, as librdkafka matches its subscription).
    static func matches(_ pattern: String, _ topic: String) -> Bool {
        var regex = regex_t()
        guard regcomp(&regex, pattern, REG_EXTENDED | REG_NOSUB) == 0 else { return false }
        defer { regfree(&regex) }
        return regexec(&regex, topic, 0, nil, 0) == 0
    }
}
