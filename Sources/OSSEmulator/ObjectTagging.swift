import Foundation
import HTTPTypes
import OSSSigning

/// Object tags as OSS keeps them: at most 10 pairs with unique keys, in the order they were set.
///
/// Rules (PutObjectTagging doc and the error pages 0010-00000209/217/218/219): a key is 1-128 characters, a
/// value 0-256; both may hold only ASCII letters, digits, spaces and `+ - = . _ : /`. The error code name
/// (`InvalidTag`) is not documented; the ECs are.
struct ObjectTagging: Sendable, Equatable {
    struct Tag: Sendable, Equatable {
        var key: String
        var value: String
    }

    static let maxTags = 10
    static let maxKeyLength = 128
    static let maxValueLength = 256

    var tags: [Tag]

    init(_ tags: [Tag] = []) {
        self.tags = tags
    }

    // MARK: Wire formats

    /// Parses the `x-oss-tagging` header: `k1=v1&k2=v2`, keys and values URL-encoded; `k` alone is `k=`.
    static func parseHeader(_ header: String) throws(OSSServiceError) -> ObjectTagging {
        var tags: [Tag] = []
        for pair in header.split(separator: "&", omittingEmptySubsequences: true) {
            let fields = pair.split(separator: "=", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count <= 2,
                  let key = OSSPercentEncoding.decode(String(fields[0]), plusAsSpace: true),
                  let value = fields.count == 2 ? OSSPercentEncoding.decode(String(fields[1]), plusAsSpace: true) : ""
            else {
                throw invalid("The x-oss-tagging header must have the form key1=value1&key2=value2.", ec: "0010-00000219")
            }
            tags.append(Tag(key: key, value: value))
        }
        let parsed = ObjectTagging(tags)
        try parsed.validate()
        return parsed
    }

    /// Parses a PutObjectTagging body: `<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag>…</TagSet></Tagging>`.
    static func parseXML(_ body: [UInt8]) throws(OSSServiceError) -> ObjectTagging {
        let text = String(decoding: body, as: UTF8.self)
        guard let document = XMLScan.element("Tagging", in: Substring(text)),
              let tagSet = XMLScan.element("TagSet", in: document) else {
            throw OSSServiceError(status: .badRequest, code: "MalformedXML",
                                  message: "The XML you provided was not well-formed or did not validate against our published schema.",
                                  ec: "0010-00000103")
        }
        var tags: [Tag] = []
        for tag in XMLScan.elements("Tag", in: tagSet) {
            guard let key = XMLScan.element("Key", in: tag).flatMap(XMLScan.unescape) else {
                throw OSSServiceError(status: .badRequest, code: "MalformedXML",
                                      message: "Every Tag needs a Key.", ec: "0010-00000103")
            }
            let value = XMLScan.element("Value", in: tag).flatMap(XMLScan.unescape) ?? ""
            tags.append(Tag(key: key, value: value))
        }
        let parsed = ObjectTagging(tags)
        try parsed.validate()
        return parsed
    }

    /// The tags in the stored form (`x-oss-tagging` syntax, RFC 3986-encoded), `nil` when there are none.
    var stored: String? {
        guard !tags.isEmpty else { return nil }
        return tags.map {
            OSSPercentEncoding.encode($0.key, keepSlash: false) + "=" + OSSPercentEncoding.encode($0.value, keepSlash: false)
        }.joined(separator: "&")
    }

    /// Reads the stored form back (it was validated when it was stored).
    init(stored: String?) {
        guard let stored else {
            self.init()
            return
        }
        self.init(stored.split(separator: "&").map { pair in
            let fields = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = OSSPercentEncoding.decode(String(fields[0])) ?? String(fields[0])
            let value = fields.count == 2 ? OSSPercentEncoding.decode(String(fields[1])) ?? String(fields[1]) : ""
            return Tag(key: key, value: value)
        })
    }

    /// The GetObjectTagging document.
    var xml: String {
        var writer = XMLWriter()
        writer.group("Tagging") { xml in
            xml.group("TagSet") { xml in
                for tag in tags {
                    xml.group("Tag") { xml in
                        xml.element("Key", tag.key)
                        xml.element("Value", tag.value)
                    }
                }
            }
        }
        return writer.text
    }

    // MARK: Validation

    func validate() throws(OSSServiceError) {
        guard tags.count <= Self.maxTags else {
            throw Self.invalid("An object can have at most \(Self.maxTags) tags (got \(tags.count)).", ec: "0010-00000218")
        }
        var seen: Set<String> = []
        for tag in tags {
            guard seen.insert(tag.key).inserted else {
                throw Self.invalid("Tag keys must be unique (\(tag.key) is repeated).", ec: "0010-00000218")
            }
            guard !tag.key.isEmpty, tag.key.count <= Self.maxKeyLength else {
                throw Self.invalid("A tag key must be 1 to \(Self.maxKeyLength) characters long.", ec: "0010-00000209")
            }
            guard tag.value.count <= Self.maxValueLength else {
                throw Self.invalid("A tag value must be at most \(Self.maxValueLength) characters long.", ec: "0010-00000217")
            }
            guard Self.isAllowed(tag.key), Self.isAllowed(tag.value) else {
                throw Self.invalid("Tag keys and values may hold only letters, digits, spaces and + - = . _ : /.", ec: "0010-00000217")
            }
        }
    }

    static func isAllowed(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", " ", "+", "-", "=", ".", "_", ":", "/": true
            default: false
            }
        }
    }

    static func invalid(_ message: String, ec: String) -> OSSServiceError {
        OSSServiceError(status: .badRequest, code: "InvalidTag", message: message, ec: ec)
    }
}

/// Just enough XML reading for the small request bodies the emulator accepts: the content of named elements,
/// no attributes, no nesting of an element inside one of the same name.
enum XMLScan {
    /// The content of the first `<name>…</name>` (or `nil`; `<name/>` is empty content).
    static func element(_ name: String, in text: Substring) -> Substring? {
        elements(name, in: text, limit: 1).first
    }

    /// The contents of every `<name>…</name>` at any depth, in document order.
    static func elements(_ name: String, in text: Substring, limit: Int = .max) -> [Substring] {
        var found: [Substring] = []
        var rest = text
        let open = "<\(name)>"
        let empty = "<\(name)/>"
        let close = "</\(name)>"
        while found.count < limit {
            let nextOpen = rest.range(of: open)
            let nextEmpty = rest.range(of: empty)
            if let e = nextEmpty, nextOpen.map({ e.lowerBound < $0.lowerBound }) ?? true {
                found.append(rest[e.upperBound..<e.upperBound])
                rest = rest[e.upperBound...]
                continue
            }
            guard let o = nextOpen, let c = rest.range(of: close, range: o.upperBound..<rest.endIndex) else { break }
            found.append(rest[o.upperBound..<c.lowerBound])
            rest = rest[c.upperBound...]
        }
        return found
    }

    /// Character data with the five predefined entities and numeric references decoded; `nil` when it holds markup.
    static func unescape(_ text: Substring) -> String? {
        guard !text.contains("<") else { return nil }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { return nil }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number: UInt32?
                if entity.hasPrefix("#x") {
                    number = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    number = UInt32(entity.dropFirst())
                } else {
                    number = nil
                }
                guard let number, let scalar = Unicode.Scalar(number) else { return nil }
                out.unicodeScalars.append(scalar)
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
