import Foundation
import Observability
import Yams

/// A YAML mapping being read: remembers which keys the schema asked for, so that the rest can be
/// reported as unknown with a suggestion.
final class MappingNode {
    let path: String
    private(set) var entries: [(key: String, value: Node)] = []
    private var requested: [String] = []

    init(path: String, entries: [(key: String, value: Node)]) {
        self.path = path
        self.entries = entries
    }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) -> Node? {
        requested.append(key)
        return entries.first { $0.key == key }?.value
    }

    var unknownKeys: [String] {
        entries.map(\.key).filter { !requested.contains($0) }
    }

    var knownKeys: [String] { requested }
}

/// Reads typed values out of a YAML tree, interpolating `${ENV}` in scalars and collecting every
/// problem instead of stopping at the first.
struct ConfigReader {
    var problems: [ConfigProblem] = []
    var warnings: [ConfigProblem] = []
    /// Values that must never be printed; replaced by `***` in every message.
    var secrets: Set<String> = []
    let environment: [String: String]

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(ConfigProblem(path: path, message: message))
    }

    mutating func warning(_ path: String, _ message: String) {
        warnings.append(ConfigProblem(path: path, message: message))
    }

    // MARK: Structure

    /// The mapping at `key` of `parent`, or an empty mapping when absent (so defaults apply).
    mutating func section(_ parent: MappingNode, _ key: String) -> MappingNode {
        let path = parent.child(key)
        guard let node = parent.value(key), !Self.isNull(node) else {
            return MappingNode(path: path, entries: [])
        }
        return mapping(node, path: path) ?? MappingNode(path: path, entries: [])
    }

    mutating func mapping(_ node: Node, path: String) -> MappingNode? {
        guard case .mapping(let mapping) = node else {
            problem(path, "expected a mapping of keys to values, found \(Self.kind(of: node))")
            return nil
        }
        var entries: [(key: String, value: Node)] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                problem(path, "keys must be plain strings, found \(Self.kind(of: keyNode))")
                continue
            }
            if entries.contains(where: { $0.key == scalar.string }) {
                problem(path.isEmpty ? scalar.string : "\(path).\(scalar.string)", "is set twice (keep one)")
                continue
            }
            entries.append((scalar.string, value))
        }
        return MappingNode(path: path, entries: entries)
    }

    /// Where keys that are easily put in the wrong section belong.
    static let homes: [String: String] = [
        "shutdown_timeout": "shutdown_timeout (top level)", "max_buffered_bytes": "sink.max_buffered_bytes",
        "max_inflight_appends": "sink.max_inflight_appends", "linger": "sink.batch.linger", "max_bytes": "sink.batch.max_bytes",
        "max_records": "sink.batch.max_records", "storage_class": "oss.storage_class", "listen": "server.listen",
        "group_id": "kafka.group_id", "bootstrap_servers": "kafka.bootstrap_servers", "bucket": "oss.bucket",
        "endpoint": "oss.endpoint", "region": "oss.region",
    ]

    /// Reports every key of `mapping` the schema did not ask for: where it belongs when it is a key of another
    /// section, else a "did you mean" when one is close.
    mutating func finish(_ mapping: MappingNode) {
        for key in mapping.unknownKeys {
            var message = "unknown key"
            if let home = Self.homes[key], home != mapping.child(key) {
                message += " here (it belongs at \(home))"
            } else if let suggestion = Suggestions.closest(to: key, in: mapping.knownKeys) {
                message += " (did you mean '\(suggestion)'?)"
            } else {
                message += " (allowed: \(mapping.knownKeys.joined(separator: ", ")))"
            }
            problem(mapping.child(key), message)
        }
    }

    // MARK: Scalars

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func kind(of node: Node) -> String {
        switch node {
        case .scalar: "a single value"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Secrets shorter than this are warned about.
    static let shortSecretLength = 16

    /// The interpolated text of a scalar node; nil (with a problem recorded) for other nodes.
    mutating func text(_ node: Node, path: String, secret: Bool = false, expected: String = "a string") -> String? {
        guard case .scalar(let scalar) = node else {
            problem(path, "expected \(expected), found \(Self.kind(of: node))")
            return nil
        }
        guard let value = interpolate(scalar.string, path: path) else { return nil }
        if secret, !value.isEmpty {
            secrets.insert(value)
            if value.count < Self.shortSecretLength {
                warning(path, "is \(value.count) character\(value.count == 1 ? "" : "s") long; real secrets are longer "
                    + "(an access key secret has 30): check that it is not a placeholder. Logs mask a secret only where "
                    + "it stands as a value, not inside other words, so a short one may show there")
            }
        }
        return value
    }

    mutating func string(_ parent: MappingNode, _ key: String, secret: Bool = false) -> String? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        return text(node, path: parent.child(key), secret: secret)
    }

    mutating func requiredString(_ parent: MappingNode, _ key: String, example: String) -> String? {
        let path = parent.child(key)
        guard let value = string(parent, key) else {
            if parent.value(key) == nil || Self.isNull(parent.value(key)!) {
                problem(path, "is required (for example: \(key): \(example))")
            }
            return nil
        }
        if value.trimmingSpaces().isEmpty {
            problem(path, "must not be empty (for example: \(key): \(example))")
            return nil
        }
        return value
    }

    mutating func bool(_ parent: MappingNode, _ key: String) -> Bool? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        guard let value = text(node, path: path, expected: "true or false") else { return nil }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            problem(path, "'\(value)' is not a boolean (allowed: true, false)")
            return nil
        }
    }

    /// - Parameter allowed: what the messages say is allowed (default: "`lower` to `upper`").
    mutating func integer(_ parent: MappingNode, _ key: String, range: ClosedRange<Int>, allowed: String? = nil) -> Int? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        let allowed = allowed ?? "\(range.lowerBound) to \(range.upperBound)"
        guard let value = text(node, path: path, expected: "a whole number") else { return nil }
        guard let number = Int(value.trimmingSpaces()) else {
            problem(path, "'\(value)' is not a whole number (allowed: \(allowed))")
            return nil
        }
        guard range.contains(number) else {
            problem(path, "\(number) is out of range (allowed: \(allowed))")
            return nil
        }
        return number
    }

    mutating func size(_ parent: MappingNode, _ key: String, range: ClosedRange<Int64>) -> Int64? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        guard let value = text(node, path: path, expected: "a size") else { return nil }
        guard let bytes = ByteSize.parse(value) else {
            var message = "'\(value)' is not a size (allowed: bytes, or a number with B, KiB, MiB, GiB, TiB such as 4MiB)"
            if let suggestion = ByteSize.suggestion(for: value) { message += "; did you mean '\(suggestion)'?" }
            problem(path, message)
            return nil
        }
        guard range.contains(bytes) else {
            problem(path, "\(ByteSize.format(bytes)) is out of range (allowed: \(ByteSize.format(range.lowerBound)) to \(ByteSize.format(range.upperBound)))")
            return nil
        }
        return bytes
    }

    mutating func duration(_ parent: MappingNode, _ key: String, minimum: Duration, maximum: Duration? = nil) -> Duration? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        guard let value = text(node, path: path, expected: "a duration") else { return nil }
        guard let duration = DurationText.parse(value) else {
            let joined = value.filter { $0 != " " }
            let hint = joined != value && DurationText.parse(joined) != nil ? "; did you mean '\(joined)'?" : ""
            problem(path, "'\(value)' is not a duration (allowed: a number with ms, s, m, h or d, such as 500ms, 5s, 1h)\(hint)")
            return nil
        }
        if duration < minimum || (maximum.map { duration > $0 } ?? false) {
            let upper = maximum.map { " to \(DurationText.format($0))" } ?? " or more"
            problem(path, "\(DurationText.format(duration)) is out of range (allowed: \(DurationText.format(minimum))\(upper))")
            return nil
        }
        return duration
    }

    mutating func choice<E: RawRepresentable & CaseIterable>(_ parent: MappingNode, _ key: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        guard let value = text(node, path: path) else { return nil }
        if let result = E(rawValue: value) { return result }
        let allowed = E.allCases.map(\.rawValue)
        var message = "'\(value)' is not allowed (allowed: \(allowed.joined(separator: ", ")))"
        if let suggestion = Suggestions.closest(to: value, in: allowed) { message += "; did you mean '\(suggestion)'?" }
        problem(path, message)
        return nil
    }

    mutating func stringList(_ parent: MappingNode, _ key: String) -> [String]? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        let path = parent.child(key)
        guard case .sequence(let sequence) = node else {
            problem(path, "expected a list of strings, found \(Self.kind(of: node)) (for example: [\"events\", \"^logs-.*\"])")
            return nil
        }
        var result: [String] = []
        for (index, item) in sequence.enumerated() {
            if let value = text(item, path: "\(path)[\(index)]") { result.append(value) }
        }
        return result
    }

    /// A mapping of string keys to scalar values; `secretKey` decides which values to mask.
    mutating func stringMap(_ parent: MappingNode, _ key: String, secretKey: (String) -> Bool = { _ in false }) -> [String: String]? {
        guard let node = parent.value(key), !Self.isNull(node) else { return nil }
        guard let mapping = mapping(node, path: parent.child(key)) else { return nil }
        var result: [String: String] = [:]
        for (name, value) in mapping.entries {
            if let text = text(value, path: mapping.child(name), secret: secretKey(name)) {
                result[name] = text
            }
        }
        return result
    }

    // MARK: Environment

    /// Replaces `${VAR}` and `${VAR:-default}`; `$$` is a literal `$`. Records a problem and returns nil
    /// when a variable without a default is unset or the syntax is broken.
    mutating func interpolate(_ raw: String, path: String) -> String? {
        guard raw.contains("$") else { return raw }
        var output = ""
        var chars = Substring(raw)
        var ok = true
        while let index = chars.firstIndex(of: "$") {
            output += chars[..<index]
            chars = chars[chars.index(after: index)...]
            if chars.first == "$" {
                output += "$"
                chars = chars.dropFirst()
                continue
            }
            guard chars.first == "{" else {
                output += "$"
                continue
            }
            guard let close = chars.firstIndex(of: "}") else {
                problem(path, "unterminated '${' (write ${NAME} or ${NAME:-default}; $$ is a literal $)")
                return nil
            }
            let body = chars[chars.index(after: chars.startIndex)..<close]
            chars = chars[chars.index(after: close)...]
            let name: Substring
            let fallback: Substring?
            if let dash = body.range(of: ":-") {
                name = body[..<dash.lowerBound]
                fallback = body[dash.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard Self.isVariableName(name) else {
                problem(path, "'${\(body)}' is not a valid reference (write ${NAME} or ${NAME:-default}, NAME of letters, digits and _)")
                ok = false
                continue
            }
            if let value = environment[String(name)] {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                problem(path, "environment variable \(name) is not set (set it, or give a default with ${\(name):-value})")
                ok = false
            }
        }
        output += chars
        return ok ? output : nil
    }

    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }

    // MARK: Secrets

    /// Replaces every secret value in `text` by `***`, where it stands as a value (``LogRedactor``'s rule).
    func redact(_ text: String) -> String {
        LogRedactor(secrets: secrets).redact(text)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
