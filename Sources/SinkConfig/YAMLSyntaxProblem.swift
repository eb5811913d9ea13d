import Foundation
import Yams

/// A YAML syntax error explained for an operator: where it is, the line's text with a caret under the
/// column, where the construct that failed began, and a hint for the usual mistakes (an unclosed `[`, `{` or
/// quote, a tab in the indentation, a key without `:`, a value with `: ` that needs quotes, a line indented
/// out of step with its siblings).
///
/// - Important: the file has not been interpolated yet, but it may hold a literal secret. A quoted line whose
///   key names a secret (`secret`, `password`, `token`) shows the key only.
struct YAMLSyntaxProblem {
    /// 1-based.
    var line: Int
    /// 1-based, in Unicode scalars.
    var column: Int
    /// libyaml's own words ("could not find expected ':'").
    var problem: String
    /// What libyaml was reading, and where it began ("while scanning a simple key", line 3).
    var context: (text: String, line: Int)?
    var lines: [Substring]

    /// `nil` for errors that carry no position (memory, encoding).
    init?(_ error: any Error, yaml: String) {
        guard let error = error as? YamlError else { return nil }
        let context: YamlError.Context?
        let problem: String
        let mark: Mark
        switch error {
        case .scanner(let c, let p, let m, _), .parser(let c, let p, let m, _), .composer(let c, let p, let m, _):
            context = c
            problem = p
            mark = m
        default:
            return nil
        }
        self.line = mark.line
        self.column = mark.column
        self.problem = problem
        self.context = context.map { ($0.text, $0.mark.line) }
        self.lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// One message: position and libyaml's words, the line with a caret, the opening line, and a hint.
    var message: String {
        var text = "line \(line), column \(column): \(problem)"
        if let context { text += " (\(context.text) at line \(context.line))" }
        if let shown = shownLine(line) {
            text += "\n      \(line) | \(shown)"
            text += "\n      \(String(repeating: " ", count: String(line).count)) | "
                + String(repeating: " ", count: max(0, min(column - 1, shown.unicodeScalars.count))) + "^"
        }
        if let context, context.line != line, let opening = shownLine(context.line) {
            text += "\n      \(context.line) | \(opening)"
        }
        if let hint { text += "\n    hint: \(hint)" }
        return text
    }

    /// The usual mistakes behind libyaml's messages.
    var hint: String? {
        let contextText = context?.text ?? ""
        let problemLine = lineText(line) ?? ""
        if problemLine.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t")
            || (problem.contains("cannot start any token") && problemLine.contains("\t")) {
            return "YAML indentation must use spaces; this line has a tab (replace it with spaces)"
        }
        if contextText.contains("flow sequence") {
            return "a '[' is not closed: end the list with ']' (for example: topics: [\"events\", \"logs\"])"
        }
        if contextText.contains("flow mapping") {
            return "a '{' is not closed: end the mapping with '}' (for example: tags: {team: data})"
        }
        if contextText.contains("quoted scalar") {
            return "a quoted value is not closed: end it with the same quote it starts with"
        }
        if contextText.contains("simple key") || problem.contains("expected ':'") {
            return "a key needs ':' and a space before its value (for example: group_id: kafka-oss-sink)"
        }
        if problem.contains("mapping values are not allowed") {
            return "a value that contains ': ' must be quoted (for example: endpoint: \"http://127.0.0.1:9000\"), "
                + "or a key is missing its indentation"
        }
        if contextText.contains("block mapping") || contextText.contains("block collection") {
            return "this line is not indented like the keys around it: keys of one section start in the same column"
        }
        return nil
    }

    private func lineText(_ number: Int) -> String? {
        guard number >= 1, number <= lines.count else { return nil }
        var text = String(lines[number - 1])
        if text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    /// The line as printed: tabs shown as `→` so they can be seen, a secret key's value left out.
    private func shownLine(_ number: Int) -> String? {
        guard var text = lineText(number), !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        if let colon = text.firstIndex(of: ":") {
            let key = text[..<colon].lowercased()
            if ["secret", "password", "token"].contains(where: { key.contains($0) }),
               !text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces).isEmpty {
                text = String(text[...colon]) + " (value not shown)"
            }
        }
        return text.replacingOccurrences(of: "\t", with: "→")
    }
}
