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

    /// One message: position and libyaml's words, the lines involved (the one where the failing construct began,
    /// a line missing its ':', the line of the error with a caret under the column), and a hint.
    var message: String {
        var text = "line \(line), column \(column): \(problem)"
        if let context { text += " (\(context.text) at line \(context.line))" }
        var shown: [Int] = []
        if let context, context.line != line { shown.append(context.line) }
        if let missing = lineMissingColon, !shown.contains(missing) { shown.append(missing) }
        shown.append(line)
        let width = String(shown.max() ?? line).count
        for number in shown.sorted() {
            guard let lineText = shownLine(number) else { continue }
            let label = String(repeating: " ", count: width - String(number).count) + String(number)
            text += "\n      \(label) | \(lineText)"
            if number == line {
                text += "\n      \(String(repeating: " ", count: width)) | "
                    + String(repeating: " ", count: max(0, min(column - 1, lineText.unicodeScalars.count))) + "^"
            }
        }
        if let hint { text += "\n    hint: \(hint)" }
        return text
    }

    /// For "mapping values are not allowed": the line before the error when it has no ':' (a key written
    /// without its colon makes the next line's key look like part of its value).
    var lineMissingColon: Int? {
        guard problem.contains("mapping values are not allowed") else { return nil }
        var number = line - 1
        while number >= 1, let text = lineText(number), text.trimmingCharacters(in: .whitespaces).isEmpty
            || text.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            number -= 1
        }
        guard number >= 1, let text = lineText(number), !Self.unquoted(text).contains(":"),
              !text.trimmingCharacters(in: .whitespaces).hasPrefix("-") else { return nil }
        return number
    }

    /// `text` without its quoted parts (a ':' inside a quoted value is not a key's colon).
    static func unquoted(_ text: String) -> String {
        var out = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else {
                out.append(character)
            }
        }
        return out
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
        if let missing = lineMissingColon {
            return "line \(missing) has no ':' after its key (for example: group_id: kafka-oss-sink)"
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
