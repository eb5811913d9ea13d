public import Foundation
import NIOHTTP1
import OSSSigning

/// A successful SealAppendObject.
public struct OSSSealResult: Sendable, Hashable {
    /// `x-oss-sealed-time` as sent: when the object was first sealed (a repeated seal reports the first time).
    public var sealedTimeText: String?
    /// ``sealedTimeText`` parsed (RFC 1123, GMT).
    public var sealedTime: Date?
    public var requestId: String?
}

extension OSSClient {
    /// SealAppendObject (`POST /key?seal&position=N`): the appendable object accepts no more appends and may be moved
    /// to Cold Archive or Deep Cold Archive by lifecycle rules.
    ///
    /// OSS seals only when `position` equals the object's length, so a seal at the length the caller wrote is also a
    /// fence: bytes appended by anyone else make it fail. Sealing a sealed object at its length again succeeds and
    /// reports the first seal's time, so the call is idempotent and retried like any other (timeouts, 5xx, 429).
    ///
    /// - Throws: ``OSSError`` with code `PositionNotEqualToLength` (409, ``OSSError/nextAppendPosition`` = the
    ///   length when OSS reports it), `AppendSealedObjectNotAllowed` (409: a Normal object), `NoSuchKey`, or
    ///   `OperationNotSupported` (400 "SealAppendable is not supported.": the account or bucket does not have the
    ///   feature; OSS enables it on request).
    public func sealAppendObject(key: String, position: UInt64) async throws(OSSError) -> OSSSealResult {
        let request = OSSRequest(
            operation: "SealAppendObject", method: .POST, key: key,
            query: [OSSQueryItem(name: "position", value: String(position)), OSSQueryItem(name: "seal")],
            headers: ["content-type": "application/xml", "content-md5": OSSContentMD5.of([UInt8]())],
            position: position)
        let response = try await send(request)
        let text = response.headers.first(name: "x-oss-sealed-time")
        return OSSSealResult(
            sealedTimeText: text, sealedTime: text.flatMap(OSSDateFormat.parseRFC1123),
            requestId: response.headers.first(name: "x-oss-request-id"))
    }
}
