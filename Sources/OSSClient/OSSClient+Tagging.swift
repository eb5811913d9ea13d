import NIOCore
import NIOHTTP1
import OSSSigning

/// One object tag. OSS allows at most 10 per object, keys of 1-128 and values of 0-256 characters from ASCII
/// letters, digits, spaces and `+ - = . _ : /`.
public struct OSSTag: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension OSSClient {
    /// PutObjectTagging: replaces every tag of `key` with `tags` (in this order). Does not change Last-Modified.
    public func putObjectTagging(key: String, tags: [OSSTag]) async throws(OSSError) {
        var xml = "<Tagging><TagSet>"
        for tag in tags {
            xml += "<Tag><Key>\(Self.xmlEscape(tag.key))</Key><Value>\(Self.xmlEscape(tag.value))</Value></Tag>"
        }
        xml += "</TagSet></Tagging>"
        let body = Array(xml.utf8)
        let request = OSSRequest(
            operation: "PutObjectTagging", method: .PUT, key: key, query: [OSSQueryItem(name: "tagging")],
            headers: ["content-type": "application/xml", "content-md5": OSSContentMD5.of(body)], body: .bytes(body))
        _ = try await send(request)
    }

    /// GetObjectTagging: the tags of `key`, in the order OSS lists them (empty when it has none).
    public func getObjectTagging(key: String) async throws(OSSError) -> [OSSTag] {
        let request = OSSRequest(operation: "GetObjectTagging", method: .GET, key: key, query: [OSSQueryItem(name: "tagging")])
        let response = try await send(request)
        guard let root = XMLNode.parse(response.body.readableBytesView), root.name == "Tagging" else {
            throw OSSError(
                code: .invalidResponse, statusCode: response.status,
                message: "the GetObjectTagging response for oss://\(configuration.bucket)/\(key) is not a Tagging document",
                requestId: response.headers.first(name: "x-oss-request-id"), context: context(for: request))
        }
        return (root.child("TagSet")?.children("Tag") ?? []).map {
            OSSTag(key: $0.string("Key") ?? "", value: $0.string("Value") ?? "")
        }
    }

    /// DeleteObjectTagging: removes every tag of `key`.
    public func deleteObjectTagging(key: String) async throws(OSSError) {
        _ = try await send(OSSRequest(operation: "DeleteObjectTagging", method: .DELETE, key: key, query: [OSSQueryItem(name: "tagging")]))
    }

    static func xmlEscape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
