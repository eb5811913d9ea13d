import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OSSSigning

/// Builds OSS-shaped responses: common headers, object metadata headers, XML and error bodies.
struct ResponseBuilder {
    let requestID: String
    let hostID: String

    func headers(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        fields.append(HTTPField(name: HTTPField.Name("x-oss-request-id")!, value: requestID))
        for (name, value) in pairs {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    func empty(_ status: HTTPResponse.Status, _ pairs: [(String, String)] = []) -> Response {
        Response(status: status, headers: headers(pairs))
    }

    func xml(_ status: HTTPResponse.Status = .ok, _ text: String, _ pairs: [(String, String)] = []) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(
            status: status,
            headers: headers([("Content-Type", "application/xml")] + pairs),
            body: ResponseBody(byteBuffer: buffer)
        )
    }

    /// The error response; body-less for HEAD (XML base64-encoded into `x-oss-err` instead).
    func error(_ error: OSSServiceError, method: String) -> Response {
        let text = error.xml(requestID: requestID, hostID: hostID)
        var pairs: [(String, String)] = error.ec.isEmpty ? [] : [("x-oss-ec", error.ec)]
        pairs += error.headers.map { ($0.name, $0.value) }
        if method == "HEAD" {
            pairs.append(("x-oss-err", Data(text.utf8).base64EncodedString()))
            pairs.append(("Content-Type", "application/xml"))
            return Response(status: error.status, headers: headers(pairs))
        }
        return xml(error.status, text, pairs)
    }

    /// Metadata headers of HEAD and GET (oss-protocol.md §2.1).
    static func objectHeaders(_ record: OSSObjectRecord, now: Date = Date()) -> [(String, String)] {
        let attributes = record.attributes
        var pairs: [(String, String)] = [
            ("Content-Type", attributes.contentType),
            ("ETag", "\"\(record.etag)\""),
            ("Last-Modified", OSSDateFormat.rfc1123(record.lastModified)),
            ("Accept-Ranges", "bytes"),
            ("x-oss-object-type", record.type.rawValue),
            ("x-oss-storage-class", attributes.storageClass),
            ("x-oss-hash-crc64ecma", String(record.crc64)),
        ]
        if record.type == .appendable { pairs.append(("x-oss-next-append-position", String(record.length))) }
        if let sealed = record.sealedTime { pairs.append(("x-oss-sealed-time", OSSDateFormat.rfc1123(sealed))) }
        if let md5 = record.contentMD5, record.type == .normal { pairs.append(("Content-MD5", md5)) }
        if let value = attributes.cacheControl { pairs.append(("Cache-Control", value)) }
        if let value = attributes.contentDisposition { pairs.append(("Content-Disposition", value)) }
        if let value = attributes.contentEncoding { pairs.append(("Content-Encoding", value)) }
        if let value = attributes.expires { pairs.append(("Expires", value)) }
        if let value = attributes.serverSideEncryption { pairs.append(("x-oss-server-side-encryption", value)) }
        if attributes.tagCount > 0 { pairs.append(("x-oss-tagging-count", String(attributes.tagCount))) }
        if record.isRestoring(at: now) {
            pairs.append(("x-oss-restore", "ongoing-request=\"true\""))
        } else if let until = record.restoredUntil, until > now {
            pairs.append(("x-oss-restore", "ongoing-request=\"false\", expiry-date=\"\(OSSDateFormat.rfc1123(until))\""))
        }
        for (name, value) in attributes.userMetadata.sorted(by: { $0.key < $1.key }) {
            pairs.append(("x-oss-meta-" + name, value))
        }
        return pairs
    }

    /// `2020-05-18T05:45:43.000Z`, as listings show Last-Modified.
    static func listingDate(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
