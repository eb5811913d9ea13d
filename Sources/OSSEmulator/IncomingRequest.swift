import Foundation
import Hummingbird
import NIOCore
import OSSSigning

/// One OSS request after routing: who it addresses, its headers (lower-cased names) and its body.
struct IncomingRequest: Sendable {
    var method: String
    var target: RequestTarget
    /// Lower-cased names; repeated headers joined with `,`; includes `host`.
    var headers: [String: String]
    var body: ByteBuffer
    let requestID: String
    let hostID: String

    var bucket: String? { target.bucket }
    var key: String? { target.key }

    var signingParts: OSSRequestParts {
        OSSRequestParts(method: method, bucket: target.bucket, key: target.key, query: target.query, headers: headers)
    }

    static func headerDictionary(_ request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if let existing = headers[name] {
                headers[name] = existing + "," + field.value
            } else {
                headers[name] = field.value
            }
        }
        if headers["host"] == nil, let authority = request.head.authority { headers["host"] = authority }
        return headers
    }

    /// 24 upper-case hex characters, like OSS request ids.
    static func makeRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<3 {
            let hex = String(generator.next() as UInt64, radix: 16, uppercase: true)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return String(text.prefix(24))
    }
}
