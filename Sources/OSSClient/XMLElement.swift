/// A minimal XML element tree, enough for OSS response bodies (error documents, ListBucketResult,
/// BucketInfo). It has no dependency on libxml2.
///
/// Supports elements, attributes (parsed and kept), character data with the five predefined
/// entities and numeric character references, CDATA sections, comments, processing instructions
/// and a DOCTYPE-free prolog. Namespaces are kept as part of the element name (`xmlns` is an attribute).
struct XMLNode: Sendable, Equatable {
    var name: String
    var attributes: [String: String] = [:]
    var children: [XMLNode] = []
    /// Concatenated character data directly inside this element.
    var text: String = ""

    /// The first child element with this name.
    func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }

    /// All child elements with this name, in document order.
    func children(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// Text of the first child element with this name.
    func string(_ name: String) -> String? { child(name)?.text }

    /// Parses a document and returns its root element, or nil when the bytes are not well-formed enough.
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> XMLNode? where Bytes.Element == UInt8 {
        var parser = XMLTreeParser(bytes: Array(bytes))
        return parser.parseDocument()
    }
}

private struct XMLTreeParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
        // Skip a UTF-8 byte-order mark.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func parseDocument() -> XMLNode? {
        var stack: [XMLNode] = []
        var root: XMLNode?
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                if matches("<?") {
                    guard skip(past: "?>") else { return nil }
                } else if matches("<!--") {
                    guard skip(past: "-->") else { return nil }
                } else if matches("<![CDATA[") {
                    index += 9
                    let start = index
                    guard skip(past: "]]>") else { return nil }
                    if !stack.isEmpty {
                        stack[stack.count - 1].text += String(decoding: bytes[start..<(index - 3)], as: UTF8.self)
                    }
                } else if matches("<!") {
                    guard skip(past: ">") else { return nil }
                } else if matches("</") {
                    index += 2
                    let name = readName()
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else { return nil }
                    index += 1
                    guard let last = stack.popLast(), last.name == name else { return nil }
                    if stack.isEmpty {
                        if root == nil { root = last }
                    } else {
                        stack[stack.count - 1].children.append(last)
                    }
                } else {
                    index += 1
                    let name = readName()
                    guard !name.isEmpty else { return nil }
                    var node = XMLNode(name: name)
                    var selfClosing = false
                    while true {
                        skipWhitespace()
                        guard index < bytes.count else { return nil }
                        if bytes[index] == UInt8(ascii: ">") {
                            index += 1
                            break
                        }
                        if matches("/>") {
                            index += 2
                            selfClosing = true
                            break
                        }
                        let attributeName = readName()
                        guard !attributeName.isEmpty else { return nil }
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return nil }
                        index += 1
                        skipWhitespace()
                        guard index < bytes.count else { return nil }
                        let quote = bytes[index]
                        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
                        index += 1
                        let start = index
                        while index < bytes.count, bytes[index] != quote { index += 1 }
                        guard index < bytes.count else { return nil }
                        node.attributes[attributeName] = Self.decodeEntities(bytes[start..<index])
                        index += 1
                    }
                    if selfClosing {
                        if stack.isEmpty {
                            if root == nil { root = node }
                        } else {
                            stack[stack.count - 1].children.append(node)
                        }
                    } else {
                        stack.append(node)
                    }
                }
            } else {
                let start = index
                while index < bytes.count, bytes[index] != UInt8(ascii: "<") { index += 1 }
                if !stack.isEmpty {
                    stack[stack.count - 1].text += Self.decodeEntities(bytes[start..<index])
                }
            }
        }
        guard stack.isEmpty else { return nil }
        return root
    }

    private func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { literalBytes in
            for offset in 0..<count where bytes[index + offset] != literalBytes[offset] { return false }
            return true
        }
    }

    /// Moves past the next occurrence of `literal`; false when it does not occur.
    private mutating func skip(past literal: StaticString) -> Bool {
        while index < bytes.count {
            if matches(literal) {
                index += literal.utf8CodeUnitCount
                return true
            }
            index += 1
        }
        return false
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func readName() -> String {
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains(byte) { break }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    static func decodeEntities(_ slice: ArraySlice<UInt8>) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        var output: [UInt8] = []
        output.reserveCapacity(slice.count)
        var position = slice.startIndex
        while position < slice.endIndex {
            let byte = slice[position]
            guard byte == UInt8(ascii: "&"),
                let semicolon = slice[position...].prefix(12).firstIndex(of: UInt8(ascii: ";"))
            else {
                output.append(byte)
                position += 1
                continue
            }
            let entity = String(decoding: slice[(position + 1)..<semicolon], as: UTF8.self)
            var replacement: String?
            switch entity {
            case "amp": replacement = "&"
            case "lt": replacement = "<"
            case "gt": replacement = ">"
            case "quot": replacement = "\""
            case "apos": replacement = "'"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let value = UInt32(entity.dropFirst(2), radix: 16),
                    let scalar = Unicode.Scalar(value)
                {
                    replacement = String(Character(scalar))
                } else if entity.hasPrefix("#"), let value = UInt32(entity.dropFirst(1)), let scalar = Unicode.Scalar(value) {
                    replacement = String(Character(scalar))
                }
            }
            if let replacement {
                output.append(contentsOf: replacement.utf8)
                position = semicolon + 1
            } else {
                output.append(byte)
                position += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
