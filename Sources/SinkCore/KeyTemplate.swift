public import Foundation

/// A parsed, validated object key template.
///
/// Placeholders: `{prefix} {topic} {partition[:W]} {offset[:W]} {yyyy} {MM} {dd} {HH} {mm} {ext}`. `W` is a minimum
/// width, zero padded (`{offset:020}` and `{offset:20}` both pad to 20 digits; plain `{offset}` is not padded).
/// `{{` and `}}` write literal braces. `{partition}` and `{offset}` are required so that every segment of every
/// partition gets its own key, and `{topic}` unless the template serves one topic only (a `kafka.topics` entry
/// with a `name`). The `~N` suffix for a taken key is inserted right before `{ext}` (or at the
/// end when the template has no `{ext}`).
public struct KeyTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case literal(String)
        case prefix, topic, ext
        case partition(width: Int)
        case offset(width: Int)
        case year, month, day, hour, minute
    }

    /// The default: `{prefix}{topic}/{partition}/{yyyy}/{MM}/{dd}/{topic}+{partition}+{offset:020}{ext}`.
    public static let `default` = try! KeyTemplate("{prefix}{topic}/{partition}/{yyyy}/{MM}/{dd}/{topic}+{partition}+{offset:020}{ext}")

    public let source: String
    let tokens: [Token]

    /// The finest time unit the template uses; time buckets roll over at its boundaries. `nil`: no time fields.
    public let timeGranularity: Calendar.Component?

    /// The template contains `{topic}`.
    public let hasTopic: Bool

    public var description: String { source }

    /// - Parameter requiresTopic: `false` for a template that serves one topic only, which may leave `{topic}` out.
    public init(_ source: String, requiresTopic: Bool = true) throws(KeyTemplateError) {
        self.source = source
        var tokens: [Token] = []
        var literal = ""
        var i = source.startIndex
        func fail(_ code: KeyTemplateError.Code, _ message: String) -> KeyTemplateError {
            KeyTemplateError(code: code, template: source, message: message)
        }
        while i < source.endIndex {
            let c = source[i]
            if c == "}" {
                let next = source.index(after: i)
                guard next < source.endIndex, source[next] == "}" else {
                    throw fail(.unbalancedBrace, "a lone '}' (write '}}' for a literal brace)")
                }
                literal.append("}")
                i = source.index(after: next)
                continue
            }
            guard c == "{" else {
                literal.append(c)
                i = source.index(after: i)
                continue
            }
            let afterOpen = source.index(after: i)
            if afterOpen < source.endIndex, source[afterOpen] == "{" {
                literal.append("{")
                i = source.index(after: afterOpen)
                continue
            }
            guard let close = source[afterOpen...].firstIndex(of: "}") else {
                throw fail(.unbalancedBrace, "'{' without a closing '}' (write '{{' for a literal brace)")
            }
            let body = String(source[afterOpen..<close])
            i = source.index(after: close)
            if !literal.isEmpty {
                tokens.append(.literal(literal))
                literal = ""
            }
            let parts = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            var width = 0
            if parts.count == 2 {
                guard name == "offset" || name == "partition" else {
                    throw fail(.invalidWidth, "{\(body)}: only {offset:W} and {partition:W} take a width")
                }
                guard let w = Int(parts[1]), w >= 1, w <= 40, parts[1].allSatisfy(\.isASCII) else {
                    throw fail(.invalidWidth, "{\(body)}: the width must be a number from 1 to 40, for example {offset:020}")
                }
                width = w
            }
            switch name {
            case "prefix": tokens.append(.prefix)
            case "topic": tokens.append(.topic)
            case "partition": tokens.append(.partition(width: width))
            case "offset": tokens.append(.offset(width: width))
            case "yyyy": tokens.append(.year)
            case "MM": tokens.append(.month)
            case "dd": tokens.append(.day)
            case "HH": tokens.append(.hour)
            case "mm": tokens.append(.minute)
            case "ext": tokens.append(.ext)
            default:
                throw fail(.unknownPlaceholder,
                    "unknown placeholder {\(body)}; allowed: {prefix} {topic} {partition} {offset} {offset:020} {yyyy} {MM} {dd} {HH} {mm} {ext}")
            }
        }
        if !literal.isEmpty { tokens.append(.literal(literal)) }

        func has(_ predicate: (Token) -> Bool) -> Bool { tokens.contains(where: predicate) }
        if !has({ if case .offset = $0 { true } else { false } }) {
            throw fail(.notUnique, "the template has no {offset}: every segment of a partition would get the same key; add {offset:020}")
        }
        if !has({ if case .partition = $0 { true } else { false } }) {
            throw fail(.notUnique, "the template has no {partition}: partitions of one topic would share keys; add {partition}")
        }
        if requiresTopic && !has({ $0 == .topic }) {
            throw fail(.notUnique, "the template has no {topic}: topics would share keys; add {topic}")
        }
        if case .literal(let first)? = tokens.first, first.hasPrefix("/") || first.hasPrefix("\\") {
            throw fail(.invalidKey, "an OSS object key must not start with '/' or '\\'")
        }
        self.tokens = tokens
        hasTopic = has({ $0 == .topic })
        if has({ $0 == .minute }) { timeGranularity = .minute }
        else if has({ $0 == .hour }) { timeGranularity = .hour }
        else if has({ $0 == .day }) { timeGranularity = .day }
        else if has({ $0 == .month }) { timeGranularity = .month }
        else if has({ $0 == .year }) { timeGranularity = .year }
        else { timeGranularity = nil }
    }

    /// Renders a key. `time` holds the local calendar fields of the segment's first record; `suffix > 0` adds `~N`.
    public func render(
        prefix: String, topic: String, partition: Int32, offset: Int64, time: LocalTime, ext: String, suffix: Int = 0
    ) -> String {
        var out = ""
        out.reserveCapacity(source.utf8.count + 48)
        var suffixWritten = false
        for token in tokens {
            switch token {
            case .literal(let s): out += s
            case .prefix: out += prefix
            case .topic: out += topic
            case .partition(let width): out += Self.padded(Int64(partition), width)
            case .offset(let width): out += Self.padded(offset, width)
            case .year: out += Self.padded(Int64(time.year), 4)
            case .month: out += Self.padded(Int64(time.month), 2)
            case .day: out += Self.padded(Int64(time.day), 2)
            case .hour: out += Self.padded(Int64(time.hour), 2)
            case .minute: out += Self.padded(Int64(time.minute), 2)
            case .ext:
                if suffix > 0, !suffixWritten {
                    out += "~\(suffix)"
                    suffixWritten = true
                }
                out += ext
            }
        }
        if suffix > 0, !suffixWritten { out += "~\(suffix)" }
        return out
    }

    static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        if digits.count >= width || value < 0 { return digits }
        return String(repeating: "0", count: width - digits.count) + digits
    }
}

/// Why a key template was rejected; `message` names the problem and the fix.
public struct KeyTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case unknownPlaceholder, unbalancedBrace, invalidWidth, notUnique, invalidKey
    }

    public var code: Code
    public var template: String
    public var message: String
    public var description: String { "invalid key_template \"\(template)\": \(message)" }
}
