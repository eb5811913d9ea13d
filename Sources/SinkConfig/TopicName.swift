/// Kafka's rule for topic names: 1 to 249 ASCII letters, digits, '.', '_' and '-'.
public enum TopicName {
    public static let maxLength = 249

    /// The first character of `name` Kafka does not allow in a topic name, if any.
    public static func invalidCharacter(in name: String) -> Character? {
        name.first { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-")) }
    }

    /// Whether `name` is a topic name Kafka accepts.
    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= maxLength && invalidCharacter(in: name) == nil
    }
}
