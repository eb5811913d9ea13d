import Foundation
import NIOHTTP1

extension OSSError {
    /// Elements of an error document that can echo the security token or signing material; never kept.
    static let droppedErrorElements: Set<String> = [
        "StringToSign", "StringToSignBytes", "CanonicalRequest", "SignatureProvided", "OSSAccessKeyId", "AccessKeyId",
    ]

    /// Builds the error for a non-2xx response.
    ///
    /// The XML error document is read from `body`; when the body is empty (HEAD and other body-less
    /// responses) it is read from the base64 `x-oss-err` header. A body that is not an OSS error document
    /// gives code `BadErrorResponse` (or the status-derived code for HEAD 404 without `x-oss-err`).
    static func fromResponse(status: Int, headers: HTTPHeaders, body: [UInt8], context: Context) -> OSSError {
        var document: XMLNode?
        if !body.isEmpty {
            document = XMLNode.parse(body)
        } else if let encoded = headers.first(name: "x-oss-err"),
            let data = Data(base64Encoded: encoded.trimmingSpaces(), options: .ignoreUnknownCharacters)
        {
            document = XMLNode.parse(Array(data))
        }

        var error = OSSError(code: .badErrorResponse, statusCode: status, message: "", context: context)
        error.requestId = headers.first(name: "x-oss-request-id")
        error.ec = headers.first(name: "x-oss-ec")
        error.serverDate = headers.first(name: "date")
        if let next = headers.first(name: "x-oss-next-append-position") {
            error.nextAppendPosition = UInt64(next.trimmingSpaces())
        }

        if let document, document.name == "Error" {
            for child in document.children {
                let value = child.text.trimmingSpaces()
                switch child.name {
                case "Code": error.code = Code(value)
                case "Message": error.message = value
                case "RequestId": error.requestId = value
                case "HostId": error.hostId = value
                case "EC": error.ec = value
                default:
                    if !droppedErrorElements.contains(child.name) { error.extras[child.name] = value }
                }
            }
            if error.code.rawValue.isEmpty { error.code = .badErrorResponse }
        } else {
            // No document: name the status the way the SDKs do, so callers can still switch on the code.
            switch status {
            case 404 where context.key != nil: error.code = .noSuchKey
            case 404: error.code = .noSuchBucket
            default: break
            }
            let snippet = String(decoding: body.prefix(200), as: UTF8.self)
            error.message =
                snippet.isEmpty
                ? "HTTP \(status) \(HTTPResponseStatus(statusCode: status).reasonPhrase) without an error document"
                : "HTTP \(status) with a body that is not an OSS error document: \(snippet)"
        }
        if error.message.isEmpty { error.message = HTTPResponseStatus(statusCode: status).reasonPhrase }
        return error
    }
}
