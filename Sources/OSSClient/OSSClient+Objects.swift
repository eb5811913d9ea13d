public import NIOCore
import NIOHTTP1
import OSSSigning

extension OSSClient {
    /// AppendObject: appends `data` at `position` and verifies the result.
    ///
    /// Create-time headers from `create` are sent only when `position == 0`. On success the server's
    /// `x-oss-next-append-position` must equal `position + data.readableBytes` and its `x-oss-hash-crc64ecma` must
    /// equal `CRC64.update(previousCRC, data)`; otherwise this throws code `integrityMismatch`.
    /// Retryable failures resend the same bytes at the same position.
    ///
    /// - Parameters:
    ///   - previousCRC: CRC-64 of the object before this append (0 for a new object).
    ///   - retryPolicy: overrides the configured policy for this call.
    /// - Throws: ``OSSError``; `PositionNotEqualToLength` carries ``OSSError/nextAppendPosition``.
    /// - Important: A retried append that gets `PositionNotEqualToLength` may mean the earlier attempt landed;
    ///   use ``appendExactlyOnce(key:position:data:previousCRC:create:earlierAttemptMayHaveLanded:retryPolicy:)``
    ///   to resolve that.
    public func appendObject(
        key: String, position: UInt64, data: ByteBuffer, previousCRC: UInt64, create: OSSCreateOptions = OSSCreateOptions(),
        retryPolicy: OSSRetryPolicy? = nil
    ) async throws(OSSError) -> OSSAppendResult {
        var log = AttemptLog()
        return try await appendObject(
            key: key, position: position, data: data, previousCRC: previousCRC, create: create, retryPolicy: retryPolicy,
            log: &log)
    }

    /// AppendObject from bytes in an array (sent in small chunks, see ``OSSBody``).
    public func appendObject(
        key: String, position: UInt64, bytes: [UInt8], previousCRC: UInt64, create: OSSCreateOptions = OSSCreateOptions(),
        retryPolicy: OSSRetryPolicy? = nil
    ) async throws(OSSError) -> OSSAppendResult {
        var log = AttemptLog()
        return try await appendObject(
            key: key, position: position, data: .bytes(bytes), previousCRC: previousCRC, create: create,
            retryPolicy: retryPolicy, log: &log)
    }

    /// `expectedCRC`: the caller's `CRC64.update(previousCRC, data)`, trusted as is (nil: computed here).
    func appendObject(
        key: String, position: UInt64, data: ByteBuffer, previousCRC: UInt64, create: OSSCreateOptions,
        retryPolicy: OSSRetryPolicy?, expectedCRC: UInt64? = nil, log: inout AttemptLog
    ) async throws(OSSError) -> OSSAppendResult {
        try await appendObject(
            key: key, position: position, data: .buffer(data), previousCRC: previousCRC, create: create,
            retryPolicy: retryPolicy, expectedCRC: expectedCRC, log: &log)
    }

    func appendObject(
        key: String, position: UInt64, data: OSSBody, previousCRC: UInt64, create: OSSCreateOptions,
        retryPolicy: OSSRetryPolicy?, expectedCRC: UInt64? = nil, log: inout AttemptLog
    ) async throws(OSSError) -> OSSAppendResult {
        var request = OSSRequest(
            operation: "AppendObject", method: .POST, key: key,
            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: String(position))],
            body: data, position: position
        )
        if position == 0 {
            request.headers = Self.createHeaders(create)
        }
        let response = try await send(request, policy: retryPolicy, log: &log)
        let length = UInt64(data.count)
        let expectedCRC = expectedCRC ?? data.crc64(continuing: previousCRC)
        let next = response.headers.first(name: "x-oss-next-append-position").flatMap { UInt64($0.trimmingSpaces()) }
        let crc = response.headers.first(name: "x-oss-hash-crc64ecma").flatMap { UInt64($0.trimmingSpaces()) }
        let requestId = response.headers.first(name: "x-oss-request-id")
        var context = context(for: request)
        context.accessKeyId = nil
        guard next == position + length else {
            throw OSSError(
                code: .integrityMismatch, statusCode: response.status,
                message: "append integrity check failed for oss://\(configuration.bucket)/\(key): appended \(length) bytes at "
                    + "position \(position) but OSS reports next append position \(next.map(String.init) ?? "(missing)") "
                    + "instead of \(position + length); the object cannot be trusted, roll over to a new object",
                requestId: requestId, nextAppendPosition: next, context: context)
        }
        guard crc == expectedCRC else {
            throw OSSError(
                code: .integrityMismatch, statusCode: response.status,
                message: "append integrity check failed for oss://\(configuration.bucket)/\(key) at position \(position): "
                    + "OSS reports CRC-64 \(crc.map(String.init) ?? "(missing)") but the client computed \(expectedCRC); "
                    + "the object cannot be trusted, roll over to a new object",
                requestId: requestId, nextAppendPosition: next, context: context)
        }
        return OSSAppendResult(
            nextPosition: position + length, crc64: expectedCRC, etag: response.headers.first(name: "etag"),
            requestId: requestId, attempts: log.attempts)
    }

    /// PutObject: creates or replaces `key` with `data` (a Normal object) and verifies the returned CRC-64.
    public func putObject(key: String, data: ByteBuffer, options: OSSCreateOptions = OSSCreateOptions()) async throws(OSSError)
        -> OSSPutResult
    {
        let request = OSSRequest(
            operation: "PutObject", method: .PUT, key: key, headers: Self.createHeaders(options), body: .buffer(data))
        let response = try await send(request)
        let expected = data.withUnsafeReadableBytes { CRC64.update(0, $0) }
        let crc = response.headers.first(name: "x-oss-hash-crc64ecma").flatMap { UInt64($0.trimmingSpaces()) }
        if let crc, crc != expected {
            throw OSSError(
                code: .integrityMismatch, statusCode: response.status,
                message: "PutObject integrity check failed for oss://\(configuration.bucket)/\(key): OSS reports CRC-64 \(crc) "
                    + "but the client computed \(expected); upload it again",
                requestId: response.headers.first(name: "x-oss-request-id"), context: context(for: request))
        }
        return OSSPutResult(
            etag: response.headers.first(name: "etag"), crc64: crc ?? expected,
            versionId: response.headers.first(name: "x-oss-version-id"),
            requestId: response.headers.first(name: "x-oss-request-id"))
    }

    /// PutObject from bytes in an array.
    public func putObject(key: String, bytes: [UInt8], options: OSSCreateOptions = OSSCreateOptions()) async throws(OSSError)
        -> OSSPutResult
    {
        try await putObject(key: key, data: ByteBuffer(bytes: bytes), options: options)
    }

    /// GetObject, optionally one byte range.
    ///
    /// With a range the client sends `x-oss-range-behavior: standard`, so an end past the object is clipped
    /// (206) and a start past the end fails with `InvalidRange` (416) instead of silently returning the whole object.
    public func getObject(key: String, range: OSSByteRange? = nil) async throws(OSSError) -> OSSGetResult {
        var request = OSSRequest(operation: "GetObject", method: .GET, key: key)
        if let range {
            request.headers["range"] = range.headerValue
            request.headers["x-oss-range-behavior"] = "standard"
        }
        let response = try await send(request)
        var metadata = Self.metadata(from: response.headers)
        if response.status == 206, let total = response.headers.first(name: "content-range")?.split(separator: "/").last,
            let size = UInt64(total)
        {
            metadata.contentLength = size
        }
        return OSSGetResult(
            body: response.body, statusCode: response.status, contentRange: response.headers.first(name: "content-range"),
            metadata: metadata)
    }

    /// HeadObject: the object's metadata (including ``OSSObjectMetadata/sealedTime``). A missing object throws
    /// `NoSuchKey` (decoded from `x-oss-err`).
    public func headObject(key: String) async throws(OSSError) -> OSSObjectMetadata {
        let response = try await send(OSSRequest(operation: "HeadObject", method: .HEAD, key: key))
        return Self.metadata(from: response.headers)
    }

    /// DeleteObject. Succeeds (204) whether or not the object exists.
    public func deleteObject(key: String) async throws(OSSError) {
        _ = try await send(OSSRequest(operation: "DeleteObject", method: .DELETE, key: key))
    }

    static func createHeaders(_ options: OSSCreateOptions) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in options.extraHeaders { headers[name.lowercased()] = value }
        headers["content-type"] = options.contentType ?? "application/octet-stream"
        if let storageClass = options.storageClass, !storageClass.isEmpty { headers["x-oss-storage-class"] = storageClass }
        if let acl = options.acl, !acl.isEmpty { headers["x-oss-object-acl"] = acl }
        for (name, value) in options.metadata { headers["x-oss-meta-" + name.lowercased()] = value }
        if !options.tags.isEmpty {
            headers["x-oss-tagging"] = options.tags.sorted { $0.key < $1.key }.map {
                OSSPercentEncoding.encode($0.key, keepSlash: false) + "=" + OSSPercentEncoding.encode($0.value, keepSlash: false)
            }.joined(separator: "&")
        }
        return headers
    }

    static func metadata(from headers: HTTPHeaders) -> OSSObjectMetadata {
        var all: [String: String] = [:]
        var user: [String: String] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            all[lower] = all[lower].map { $0 + "," + value } ?? value
            if lower.hasPrefix("x-oss-meta-") { user[String(lower.dropFirst(11))] = value }
        }
        func number(_ name: String) -> UInt64? { all[name].flatMap { UInt64($0.trimmingSpaces()) } }
        return OSSObjectMetadata(
            objectType: all["x-oss-object-type"].map(OSSObjectType.init(rawValue:)),
            contentLength: number("content-length") ?? 0,
            nextAppendPosition: number("x-oss-next-append-position"),
            crc64: number("x-oss-hash-crc64ecma"),
            etag: all["etag"],
            lastModified: all["last-modified"].flatMap(OSSDateFormat.parseRFC1123),
            contentType: all["content-type"],
            storageClass: all["x-oss-storage-class"],
            userMetadata: user,
            versionId: all["x-oss-version-id"],
            requestId: all["x-oss-request-id"],
            sealedTime: all["x-oss-sealed-time"].flatMap(OSSDateFormat.parseRFC1123),
            taggingCount: all["x-oss-tagging-count"].flatMap { Int($0.trimmingSpaces()) },
            headers: all)
    }
}
