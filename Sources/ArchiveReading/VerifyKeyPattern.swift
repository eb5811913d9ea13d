import Foundation
public import SinkCore

/// Reads a segment key back into its topic, partition, first offset and `~N` suffix, for `verify`.
///
/// Built from the configured key template's source (SinkCore's ``KeyTemplate`` renders keys but does not parse
/// them). A key is accepted only when rendering the template with the parsed fields (and the calendar fields
/// ``KeyTemplate/timeFields(ofKey:prefix:topic:partition:ext:)`` reads back) gives exactly the key again, so
/// widths, padding and literals are all checked.
public struct SegmentKeyPattern: Sendable {
    /// A key that the template rendered.
    public struct Parsed: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var firstOffset: Int64
        /// The `~N` suffix of a rolled key that was already taken (0: none).
        public var suffix: Int

        public init(topic: String, partition: Int32, firstOffset: Int64, suffix: Int = 0) {
            self.topic = topic
            self.partition = partition
            self.firstOffset = firstOffset
            self.suffix = suffix
        }
    }

    enum Part: Sendable, Hashable {
        case literal(String)
        case prefix, topic, offset, ext
        case partition(width: Int)
        case digits(Int)
    }

    public let template: KeyTemplate
    public let prefix: String
    public let ext: String
    /// The one topic the template serves (a `name` entry of `kafka.topics`, whose template may leave `{topic}`
    /// out); nil: any topic.
    public let topic: String?
    let parts: [Part]

    public init(template: KeyTemplate, prefix: String, ext: String, topic: String? = nil) {
        self.template = template
        self.prefix = prefix
        self.ext = ext
        self.topic = topic
        parts = Self.parts(of: template.source)
    }

    /// The key pattern of segments of topics with `settings`; `topic`: the one topic they serve, if any.
    public init(_ settings: TopicSettings, topic: String? = nil) {
        self.init(template: settings.keyTemplate, prefix: settings.keyPrefix, ext: settings.fileExtension, topic: topic)
    }

    /// The template's source split into literals and placeholders (the template was validated by SinkCore).
    static func parts(of source: String) -> [Part] {
        var parts: [Part] = []
        var literal = ""
        var i = source.startIndex
        while i < source.endIndex {
            let c = source[i]
            let next = source.index(after: i)
            if (c == "{" || c == "}"), next < source.endIndex, source[next] == c {
                literal.append(c)
                i = source.index(after: next)
                continue
            }
            guard c == "{", let close = source[next...].firstIndex(of: "}") else {
                literal.append(c)
                i = next
                continue
            }
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
            let fields = source[next..<close].split(separator: ":", maxSplits: 1)
            let name = fields.first.map(String.init) ?? ""
            switch name {
            case "prefix": parts.append(.prefix)
            case "topic": parts.append(.topic)
            case "partition": parts.append(.partition(width: fields.count == 2 ? Int(fields[1]) ?? 0 : 0))
            case "offset": parts.append(.offset)
            case "ext": parts.append(.ext)
            case "yyyy": parts.append(.digits(4))
            default: parts.append(.digits(2))
            }
            i = source.index(after: close)
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return parts
    }

    /// The longest key prefix every segment of `topic` (and of `partition`, when given) starts with: the
    /// template's leading literals, `{prefix}`, `{topic}` and `{partition}`, up to the first other placeholder.
    public func listingPrefix(topic: String?, partition: Int32? = nil) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s): out += s
            case .prefix: out += prefix
            case .topic:
                guard let topic = topic ?? self.topic else { return out }
                out += topic
            case .partition:
                guard let partition else { return out }
                out += partitionText(partition)
            default: return out
            }
        }
        return out
    }

    private func partitionText(_ partition: Int32) -> String {
        var width = 0
        for part in parts { if case .partition(let w) = part { width = w } }
        let digits = String(partition)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// The parsed key, or `nil` when `key` is not this template rendered for some topic (``topic`` when set),
    /// partition and offset.
    public func parse(_ key: String) -> Parsed? {
        var candidates: [(rest: Substring, topic: String?, partition: Int32?, offset: Int64?, suffix: Int)] =
            [(Substring(key), topic, nil, nil, 0)]
        var extSeen = false
        for part in parts {
            var next: [(rest: Substring, topic: String?, partition: Int32?, offset: Int64?, suffix: Int)] = []
            for var c in candidates {
                switch part {
                case .literal(let s):
                    guard c.rest.hasPrefix(s) else { continue }
                    c.rest = c.rest.dropFirst(s.count)
                    next.append(c)
                case .prefix:
                    guard c.rest.hasPrefix(prefix) else { continue }
                    c.rest = c.rest.dropFirst(prefix.count)
                    next.append(c)
                case .topic:
                    if let topic = c.topic {
                        guard c.rest.hasPrefix(topic) else { continue }
                        c.rest = c.rest.dropFirst(topic.count)
                        next.append(c)
                    } else {
                        // Kafka topic names use [A-Za-z0-9._-]: try every such run length.
                        let run = c.rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
                        for length in stride(from: run.count, through: 1, by: -1) {
                            var d = c
                            d.topic = String(run.prefix(length))
                            d.rest = c.rest.dropFirst(length)
                            next.append(d)
                        }
                    }
                case .partition, .offset, .digits:
                    let run = c.rest.prefix { $0.isASCII && $0.isNumber }
                    guard !run.isEmpty else { continue }
                    let lengths: [Int] = if case .digits(let n) = part { run.count >= n ? [n] : [] } else {
                        Array(stride(from: run.count, through: 1, by: -1))
                    }
                    for length in lengths where length <= 20 {
                        var d = c
                        let text = run.prefix(length)
                        d.rest = c.rest.dropFirst(length)
                        if case .partition = part {
                            guard let p = Int32(text), c.partition == nil || c.partition == p else { continue }
                            d.partition = p
                        } else if case .offset = part {
                            guard let o = Int64(text) else { continue }
                            d.offset = o
                        }
                        next.append(d)
                    }
                case .ext:
                    if !extSeen {
                        next.append(contentsOf: Self.suffixed(c))
                    } else if c.rest.hasPrefix(ext) {
                        c.rest = c.rest.dropFirst(ext.count)
                        next.append(c)
                    }
                }
            }
            if case .ext = part, !extSeen {
                extSeen = true
                next = next.compactMap { c in
                    guard c.rest.hasPrefix(ext) else { return nil }
                    var c = c
                    c.rest = c.rest.dropFirst(ext.count)
                    return c
                }
            }
            candidates = next
            if candidates.isEmpty { return nil }
        }
        if !extSeen { candidates = candidates.flatMap { Self.suffixed($0) } }
        for c in candidates where c.rest.isEmpty {
            guard let topic = c.topic, let partition = c.partition, let offset = c.offset else { continue }
            guard let time = template.timeFields(ofKey: key, prefix: prefix, topic: topic, partition: partition, ext: ext)
            else { continue }
            let rendered = template.render(
                prefix: prefix, topic: topic, partition: partition, offset: offset, time: time, ext: ext, suffix: c.suffix)
            if rendered == key {
                return Parsed(topic: topic, partition: partition, firstOffset: offset, suffix: c.suffix)
            }
        }
        return nil
    }

    /// The candidate as is, and with a `~N` suffix taken off its front when one is there.
    private static func suffixed(
        _ c: (rest: Substring, topic: String?, partition: Int32?, offset: Int64?, suffix: Int)
    ) -> [(rest: Substring, topic: String?, partition: Int32?, offset: Int64?, suffix: Int)] {
        var out = [c]
        if c.rest.hasPrefix("~") {
            let run = c.rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
            if !run.isEmpty, run.count <= 9, let n = Int(run) {
                var d = c
                d.suffix = n
                d.rest = c.rest.dropFirst(1 + run.count)
                out.append(d)
            }
        }
        return out
    }
}
