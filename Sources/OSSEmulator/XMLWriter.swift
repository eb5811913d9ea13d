/// Builds the small XML documents OSS returns (errors, listings, bucket info).
struct XMLWriter {
    private(set) var text = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"

    mutating func open(_ name: String) { text += "<\(name)>" }
    mutating func close(_ name: String) { text += "</\(name)>" }

    mutating func element(_ name: String, _ value: String) {
        text += "<\(name)>\(Self.escape(value))</\(name)>"
    }

    mutating func element(_ name: String, _ value: String?) {
        if let value { element(name, value) }
    }

    mutating func group(_ name: String, _ body: (inout XMLWriter) -> Void) {
        open(name)
        body(&self)
        close(name)
    }

    static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\u{9}", "\u{A}", "\u{D}": result.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 {
                    result += "&#x\(String(scalar.value, radix: 16));"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
