/// One problem found in a configuration file: where it is, what is wrong, and what is allowed.
///
/// Rendered as `path: message` (the message ends with `(allowed: …)` when there is a fixed set of
/// answers), so an operator can jump to the key and fix it.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    /// Dotted key path, such as `sink.batch.max_bytes` or `kafka.topics[1]`; `(file)` for the whole file.
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Thrown when a configuration cannot be used; lists every problem at once.
///
/// - Important: messages never contain secret values (they are replaced by `***`).
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String {
        let noun = problems.count == 1 ? "problem" : "problems"
        return "configuration has \(problems.count) \(noun):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
