import Foundation
import OSSSigning
import Synchronization

/// A minimal stateful OSS bucket behind a ``ScriptedServer``, path-style only: AppendObject with the real
/// position rules, HeadObject, PutObject, GetObject, plus fault injection for lost responses.
/// It does not verify signatures (the emulator does); it exists to test the client's append resolution.
final class FakeBucket: Sendable {
    struct Object: Sendable {
        var bytes: [UInt8]
        var crc: UInt64
        var type: String
    }

    enum Fault: Sendable {
        /// Apply the next append, then close the connection without answering.
        case applyThenDrop
        /// Apply the next append, then answer 503.
        case applyThen503
        /// Answer 503 without applying.
        case fail503
    }

    let bucket: String
    private let objects = Mutex<[String: Object]>([:])
    private let faults = Mutex<[Fault]>([])

    init(bucket: String) { self.bucket = bucket }

    func inject(_ fault: Fault) { faults.withLock { $0.append(fault) } }

    func object(_ key: String) -> Object? { objects.withLock { $0[key] } }

    func store(_ key: String, bytes: [UInt8], type: String) {
        objects.withLock { $0[key] = Object(bytes: bytes, crc: CRC64.checksum(bytes), type: type) }
    }

    func handle(_ request: RecordedRequest) -> ScriptedReply {
        let prefix = "/\(bucket)/"
        guard request.path.hasPrefix(prefix), let key = OSSPercentEncoding.decode(String(request.path.dropFirst(prefix.count)))
        else {
            return Self.error(404, "NoSuchBucket", "The specified bucket does not exist.")
        }
        let query = request.query.split(separator: "&").map(String.init)
        switch request.method {
        case "POST" where query.contains("append"):
            guard let positionItem = query.first(where: { $0.hasPrefix("position=") }),
                let position = Int(positionItem.dropFirst(9))
            else {
                return Self.error(400, "MissingArgument", "Missing Some Required Arguments.")
            }
            let fault = faults.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if case .fail503 = fault { return Self.error(503, "ServiceUnavailable", "Please reduce your request rate.") }
            let outcome = objects.withLock { objects -> ScriptedReply in
                var object = objects[key] ?? Object(bytes: [], crc: 0, type: "Appendable")
                guard object.type == "Appendable" else {
                    return Self.error(409, "ObjectNotAppendable", "The object is not appendable")
                }
                guard position == object.bytes.count else {
                    return Self.error(
                        409, "PositionNotEqualToLength", "Position is not equal to file length",
                        headers: [("x-oss-next-append-position", String(object.bytes.count))])
                }
                object.bytes += request.body
                object.crc = CRC64.update(object.crc, bytes: request.body)
                objects[key] = object
                return .ok(headers: [
                    ("x-oss-next-append-position", String(object.bytes.count)),
                    ("x-oss-hash-crc64ecma", String(object.crc)), ("ETag", "\"0F7230CAA4BE94CCBDC99C5500000000\""),
                    ("x-oss-request-id", "5C3D8D2A0ACA54D87B430000"),
                ])
            }
            switch fault {
            case .applyThenDrop: return .dropConnection
            case .applyThen503: return Self.error(503, "ServiceUnavailable", "Please reduce your request rate.")
            default: return outcome
            }
        case "HEAD":
            guard let object = object(key) else {
                let xml = "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>"
                return .response(
                    status: 404, headers: [("x-oss-err", Data(xml.utf8).base64EncodedString()), ("Content-Length", "0")])
            }
            var headers = [
                ("Content-Length", String(object.bytes.count)), ("x-oss-object-type", object.type),
                ("x-oss-hash-crc64ecma", String(object.crc)), ("Last-Modified", "Sat, 16 Dec 2023 16:20:57 GMT"),
            ]
            if object.type == "Appendable" { headers.append(("x-oss-next-append-position", String(object.bytes.count))) }
            return .response(status: 200, headers: headers)
        case "PUT":
            store(key, bytes: request.body, type: "Normal")
            return .ok(headers: [("x-oss-hash-crc64ecma", String(CRC64.checksum(request.body)))])
        case "GET":
            guard let object = object(key) else { return Self.error(404, "NoSuchKey", "The specified key does not exist.") }
            return .ok(body: object.bytes)
        default:
            return Self.error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        }
    }

    static func error(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []) -> ScriptedReply {
        .xml(
            status,
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error>
              <Code>\(code)</Code>
              <Message>\(message)</Message>
              <RequestId>5C3D8D2A0ACA54D87B43FFFF</RequestId>
              <HostId>127.0.0.1</HostId>
            </Error>
            """, headers: headers)
    }
}
