/// Checks an object key template's placeholders (docs/configuration.md: `key_template`).
enum KeyTemplateCheck {
    static let placeholders = ["prefix", "topic", "partition", "offset", "yyyy", "MM", "dd", "HH", "mm", "ext"]

    /// - Parameter requiresTopic: false for the template of a `name` entry of `kafka.topics` (one topic), which
    ///   may leave `{topic}` out.
    static func validate(_ template: String, path: String, requiresTopic: Bool = true, reader: inout ConfigReader) {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            guard let close = rest[open...].firstIndex(of: "}") else {
                reader.problem(path, "has an unclosed '{' (placeholders: \(placeholders.map { "{\($0)}" }.joined(separator: " ")))")
                return
            }
            let body = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            let name = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard placeholders.contains(name) else {
                var message = "unknown placeholder {\(body)}"
                if let suggestion = Suggestions.closest(to: name, in: placeholders) { message += " (did you mean {\(suggestion)}?)" }
                else { message += " (allowed: \(placeholders.map { "{\($0)}" }.joined(separator: " ")))" }
                reader.problem(path, message)
                continue
            }
            if body.contains(":") {
                let width = body.split(separator: ":", maxSplits: 1)[1]
                guard name == "offset", width.count >= 2, width.first == "0", let digits = Int(width), (1...20).contains(digits) else {
                    reader.problem(path, "{\(body)} has a bad width (allowed: {offset:0N} with N from 1 to 20, such as {offset:020})")
                    continue
                }
            }
            names.append(name)
        }
        for required in ["topic", "partition", "offset"] where !names.contains(required) {
            if required == "topic" && !requiresTopic { continue }
            let why = required == "topic" ? "without it two topics can get the same key (only an entry with a name may leave it out)"
                : "without it two segments can get the same key"
            reader.problem(path, "must contain {\(required)}: \(why)")
        }
        if template.hasPrefix("/") {
            reader.problem(path, "must not start with '/' (OSS keys cannot)")
        }
    }
}
