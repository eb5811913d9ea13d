import Logging

/// Renders one log event as a JSON object or a logfmt-style text line (without the trailing newline).
///
/// Every string has already been redacted by the caller; this type only shapes and escapes.
public struct LogLineEncoder {
    /// Top-level JSON fields the handler writes itself; metadata keys equal to one of them become `meta.<key>`.
    static let reservedKeys: Set<String> = ["ts", "level", "msg", "label", "error"]

    var timestamp: String
    var level: Logger.Level
    var label: String
    var message: String
    var error: String?
    var metadata: Logger.Metadata

    // MARK: JSON

    /// `{"ts":…,"level":…,"msg":…,"label":…,["error":…,]<metadata keys, sorted>}`.
    func json() -> String {
        var out = "{\"ts\":"
        Self.appendJSONString(timestamp, to: &out)
        out += ",\"level\":"
        Self.appendJSONString(level.rawValue, to: &out)
        out += ",\"msg\":"
        Self.appendJSONString(message, to: &out)
        out += ",\"label\":"
        Self.appendJSONString(label, to: &out)
        if let error {
            out += ",\"error\":"
            Self.appendJSONString(error, to: &out)
        }
        for key in metadata.keys.sorted() {
            out += ","
            Self.appendJSONString(Self.reservedKeys.contains(key) ? "meta.\(key)" : key, to: &out)
            out += ":"
            Self.appendJSON(metadata[key]!, to: &out)
        }
        out += "}"
        return out
    }

    private static func appendJSON(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text):
            appendJSONString(text, to: &out)
        case .stringConvertible(let convertible):
            if let number = jsonNumber(convertible) {
                out += number
            } else {
                appendJSONString(convertible.description, to: &out)
            }
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                appendJSON(element, to: &out)
            }
            out += "]"
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                appendJSONString(key, to: &out)
                out += ":"
                appendJSON(dictionary[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// Integers and booleans stay JSON numbers and booleans (offsets, partitions, sizes); finite floating-point
    /// numbers too. Everything else is a string.
    private static func jsonNumber(_ value: any CustomStringConvertible & Sendable) -> String? {
        switch value {
        case let integer as any BinaryInteger:
            return integer.description
        case let flag as Bool:
            return flag ? "true" : "false"
        case let double as Double where double.isFinite:
            return double.description
        default:
            return nil
        }
    }

    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped; U+2028 and U+2029
    /// escaped too, so a line stays one line for every reader.
    public static func jsonString(_ text: String) -> String {
        var out = ""
        appendJSONString(text, to: &out)
        return out
    }

    /// Appends ``jsonString(_:)`` to `out`.
    static func appendJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: Text

    /// `<ts> <level> <label>: <msg> [error=…] key=value …` with nested metadata flattened to dotted keys.
    func text() -> String {
        var out = timestamp + " " + level.rawValue + " " + label + ": " + Self.singleLine(message)
        if let error {
            out += " error=" + Self.textValue(error)
        }
        var pairs: [(String, String)] = []
        for key in metadata.keys.sorted() {
            Self.flatten(key: key, value: metadata[key]!, into: &pairs)
        }
        for (key, value) in pairs {
            out += " " + Self.textKey(key) + "=" + value
        }
        return out
    }

    private static func flatten(key: String, value: Logger.MetadataValue, into pairs: inout [(String, String)]) {
        switch value {
        case .string(let text):
            pairs.append((key, textValue(text)))
        case .stringConvertible(let convertible):
            pairs.append((key, textValue(convertible.description)))
        case .array(let values):
            pairs.append((key, textValue("[" + values.map(\.description).joined(separator: ",") + "]")))
        case .dictionary(let dictionary):
            for nestedKey in dictionary.keys.sorted() {
                flatten(key: key + "." + nestedKey, value: dictionary[nestedKey]!, into: &pairs)
            }
        }
    }

    /// A value bare when it is a plain token, else quoted with `"` and `\` escaped and line breaks as `\n`.
    static func textValue(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            scalar.value > 0x20 && scalar.value != 0x7F && scalar != "\"" && scalar != "=" && scalar != "\\"
                && scalar != "\u{2028}" && scalar != "\u{2029}"
        }
        if plain { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Keys cannot be quoted in logfmt: spaces, `=` and `"` become `_`.
    private static func textKey(_ key: String) -> String {
        let cleaned = String(String.UnicodeScalarView(key.unicodeScalars.map { scalar in
            scalar.value <= 0x20 || scalar == "=" || scalar == "\"" || scalar.value == 0x7F ? "_" : scalar
        }))
        return cleaned.isEmpty ? "_" : cleaned
    }

    /// The message on one line: line breaks and other control characters escaped.
    private static func singleLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{2028}" || $0 == "\u{2029}" }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u" + hex4(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
