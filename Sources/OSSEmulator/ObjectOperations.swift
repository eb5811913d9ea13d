import Crypto
import Foundation
import Hummingbird
import NIOCore
import OSSSigning

/// The OSS operations: AppendObject, SealAppendObject, PutObject, GetObject/HeadObject, object tagging, and
/// bucket-level GETs.
struct ObjectOperations {
    let store: OSSObjectStore
    let region: String
    /// SealAppendObject answers 400 `OperationNotSupported` when false (an account without the feature).
    let sealEnabled: Bool
    let now: @Sendable () -> Date
    let builder: ResponseBuilder

    /// Key rules of oss-protocol.md §8: UTF-8, 1–1023 bytes, no leading `/` or `\`.
    static func validateKey(_ key: String) throws(OSSServiceError) {
        let length = key.utf8.count
        guard length >= 1, length <= 1023 else {
            throw .invalidObjectName("The Length of Object name must be less than 1024.")
        }
        guard !key.hasPrefix("/"), !key.hasPrefix("\\") else {
            throw .invalidObjectName("Object name must not start with '/' or '\\'.")
        }
    }

    // MARK: AppendObject

    func append(_ request: IncomingRequest, bucket: String, key: String) async throws -> Response {
        guard let positionItem = request.target.queryValue("position") else {
            throw OSSServiceError.missingArgument("position")
        }
        guard let text = positionItem, let position = UInt64(text) else {
            throw OSSServiceError.invalidArgument("position", positionItem ?? "", message: "Position is not a valid non-negative integer.")
        }
        try Self.checkContentMD5(request)
        // Create-time headers are validated and stored only when this append creates the object.
        let creating = store.head(bucket: bucket, key: key) == nil
        let attributes = creating ? try Self.attributes(request.headers, forAppend: true) : OSSObjectAttributes()
        let outcome = try await store.append(
            bucket: bucket, key: key, position: position, body: request.body, attributes: attributes, now: now()
        )
        switch outcome {
        case .applied(let record, _):
            var pairs: [(String, String)] = [
                ("ETag", "\"\(record.etag)\""),
                ("x-oss-next-append-position", String(record.length)),
                ("x-oss-hash-crc64ecma", String(record.crc64)),
            ]
            if let sse = record.attributes.serverSideEncryption { pairs.append(("x-oss-server-side-encryption", sse)) }
            return builder.empty(.ok, pairs)
        case .notAppendable:
            throw OSSServiceError.objectNotAppendable()
        case .sealed:
            throw OSSServiceError.appendToSealedObject()
        case .positionMismatch(let next):
            throw OSSServiceError.positionNotEqualToLength(next: next)
        case .tooLarge:
            throw OSSServiceError.entityTooLarge(limit: store.maxObjectSize)
        }
    }

    // MARK: SealAppendObject

    /// `POST /key?seal&position=N` (the SDKs send `seal=`). Checks, in order: the feature is enabled, `position`
    /// is present and a number, Content-MD5, the key exists, it is appendable, `position` equals its length.
    func seal(_ request: IncomingRequest, bucket: String, key: String) async throws -> Response {
        guard sealEnabled else { throw OSSServiceError.sealNotSupported() }
        guard let positionItem = request.target.queryValue("position") else {
            throw OSSServiceError.missingArgument("position")
        }
        guard let text = positionItem, let position = UInt64(text) else {
            throw OSSServiceError.invalidArgument("position", positionItem ?? "", message: "Position is not a valid non-negative integer.")
        }
        try Self.checkContentMD5(request)
        switch try await store.seal(bucket: bucket, key: key, position: position, now: now()) {
        case .sealed(let record, _):
            return builder.empty(.ok, [
                ("x-oss-sealed-time", OSSDateFormat.rfc1123(record.sealedTime ?? record.lastModified)),
                ("x-oss-object-type", record.type.rawValue),
                ("x-oss-storage-class", record.attributes.storageClass),
                ("ETag", "\"\(record.etag)\""),
                ("Last-Modified", OSSDateFormat.rfc1123(record.lastModified)),
            ])
        case .notFound:
            throw OSSServiceError.noSuchKey(key)
        case .notAppendable:
            throw OSSServiceError.sealNotAppendable()
        case .positionMismatch(let length):
            throw OSSServiceError.positionNotEqualToLength(next: length)
        }
    }

    // MARK: Object tagging

    /// PutObjectTagging: replaces the object's tags with the body's `Tagging/TagSet`.
    func putTagging(_ request: IncomingRequest, bucket: String, key: String) async throws -> Response {
        try Self.checkContentMD5(request)
        let tagging = try ObjectTagging.parseXML(Array(request.body.readableBytesView))
        guard try await store.setTagging(bucket: bucket, key: key, tagging: tagging.stored) != nil else {
            throw OSSServiceError.noSuchKey(key)
        }
        return builder.empty(.ok)
    }

    /// GetObjectTagging: the tags as a `Tagging` document (an empty `TagSet` when there are none).
    func getTagging(bucket: String, key: String) throws -> Response {
        guard let record = store.head(bucket: bucket, key: key) else { throw OSSServiceError.noSuchKey(key) }
        return builder.xml(.ok, ObjectTagging(stored: record.attributes.tagging).xml)
    }

    /// DeleteObjectTagging: removes every tag (204).
    func deleteTagging(bucket: String, key: String) async throws -> Response {
        guard try await store.setTagging(bucket: bucket, key: key, tagging: nil) != nil else {
            throw OSSServiceError.noSuchKey(key)
        }
        return builder.empty(.noContent)
    }

    // MARK: PutObject

    func put(_ request: IncomingRequest, bucket: String, key: String) async throws -> Response {
        try Self.checkContentMD5(request)
        if request.headers["x-oss-forbid-overwrite"]?.lowercased() == "true", store.head(bucket: bucket, key: key) != nil {
            throw OSSServiceError(status: .conflict, code: "FileAlreadyExists", message: "The object you specified already exists and can not be overwritten.", ec: "0026-00000013")
        }
        let attributes = try Self.attributes(request.headers, forAppend: false)
        let record = try await store.put(bucket: bucket, key: key, body: request.body, attributes: attributes, now: now())
        return builder.empty(.ok, [
            ("ETag", "\"\(record.etag)\""),
            ("x-oss-hash-crc64ecma", String(record.crc64)),
            ("Content-MD5", record.contentMD5 ?? ""),
        ])
    }

    // MARK: RestoreObject

    /// `POST /key?restore` with an optional `<RestoreRequest><Days>N</Days>…`: 202 for the first restore, 200 when a
    /// restored copy exists (its expiry moves), 409 RestoreAlreadyInProgress while one runs, 400
    /// OperationNotSupported for objects not in cold storage.
    func restore(_ request: IncomingRequest, bucket: String, key: String) async throws -> Response {
        var days = 1
        let body = request.body.getString(at: request.body.readerIndex, length: request.body.readableBytes) ?? ""
        if let open = body.range(of: "<Days>"), let close = body.range(of: "</Days>"), open.upperBound <= close.lowerBound {
            guard let value = Int(body[open.upperBound..<close.lowerBound].trimmingSpaces), (1...365).contains(value) else {
                throw OSSServiceError.invalidArgument("Days", String(body[open.upperBound..<close.lowerBound]), message: "Days must be 1 to 365.")
            }
            days = value
        }
        switch try await store.restore(bucket: bucket, key: key, days: days, now: now()) {
        case nil: throw OSSServiceError.noSuchKey(key)
        case .notCold?: throw OSSServiceError.operationNotSupported("The operation is not supported for this resource: the object is not in Archive, ColdArchive or DeepColdArchive storage.")
        case .restored?: return builder.empty(.accepted)
        case .extended?: return builder.empty(.ok)
        case .inProgress?: throw OSSServiceError.restoreAlreadyInProgress()
        }
    }

    // MARK: GetObject / HeadObject

    func get(_ request: IncomingRequest, bucket: String, key: String, headOnly: Bool) async throws -> Response {
        if headOnly {
            guard let record = store.head(bucket: bucket, key: key) else { throw OSSServiceError.noSuchKey(key) }
            if let notModified = try conditionalResponse(request, record) { return notModified }
            var fields = builder.headers(ResponseBuilder.objectHeaders(record, now: now()))
            fields[.contentLength] = String(record.length)
            return Response(status: .ok, headers: fields)
        }
        // Objects in cold storage need a restored copy before they can be read (HEAD needs none).
        if let record = store.head(bucket: bucket, key: key), record.needsRestore(at: now()) {
            throw OSSServiceError.invalidObjectState()
        }
        let rangeHeader = request.headers["range"]
        let standard = request.headers["x-oss-range-behavior"]?.lowercased() == "standard"
        let parsed = rangeHeader.flatMap(ByteRangeRequest.init(header:))
        if rangeHeader != nil, parsed == nil, standard {
            throw OSSServiceError.invalidRange()
        }
        guard let result = try await store.read(bucket: bucket, key: key, range: { record in
            guard let parsed, case .partial(let range) = parsed.resolve(size: record.length, standard: standard) else { return nil }
            return range
        }) else {
            throw OSSServiceError.noSuchKey(key)
        }
        let record = result.record
        if let notModified = try conditionalResponse(request, record) { return notModified }
        var pairs = ResponseBuilder.objectHeaders(record, now: now())
        var status = HTTPResponse.Status.ok
        if let parsed {
            switch parsed.resolve(size: record.length, standard: standard) {
            case .partial(let range):
                status = .partialContent
                pairs.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(record.length)"))
            case .unsatisfiable:
                throw OSSServiceError.invalidRange()
            case .whole:
                break
            }
        }
        for (parameter, header) in Self.responseOverrides {
            if case .some(.some(let value)) = request.target.queryValue(parameter) {
                pairs.removeAll { $0.0.lowercased() == header.lowercased() }
                pairs.append((header, value))
            }
        }
        let body = result.body
        return Response(
            status: status,
            headers: builder.headers(pairs),
            body: body.count == 1 ? ResponseBody(byteBuffer: body[0]) : ResponseBody(contentsOf: body)
        )
    }

    /// If-Match / If-Unmodified-Since (412 PreconditionFailed) and If-None-Match / If-Modified-Since (304).
    private func conditionalResponse(_ request: IncomingRequest, _ record: OSSObjectRecord) throws(OSSServiceError) -> Response? {
        func matches(_ header: String) -> Bool {
            header.split(separator: ",").contains { candidate in
                let tag = candidate.trimmingSpaces.replacingOccurrences(of: "\"", with: "")
                return tag == "*" || tag.uppercased() == record.etag
            }
        }
        let precondition = OSSServiceError(
            status: .preconditionFailed, code: "PreconditionFailed", message: "At least one of the pre-conditions you specified did not hold",
            ec: "0026-00000009"
        )
        if let header = request.headers["if-match"], !matches(header) { throw precondition }
        if let header = request.headers["if-unmodified-since"], let date = OSSDateFormat.parseRFC1123(header),
           record.lastModified > date {
            throw precondition
        }
        var notModified = false
        if let header = request.headers["if-none-match"] {
            notModified = matches(header)
        } else if let header = request.headers["if-modified-since"], let date = OSSDateFormat.parseRFC1123(header) {
            notModified = record.lastModified <= date
        }
        guard notModified else { return nil }
        return builder.empty(.notModified, [
            ("ETag", "\"\(record.etag)\""), ("Last-Modified", OSSDateFormat.rfc1123(record.lastModified)),
        ])
    }

    static let responseOverrides: [(String, String)] = [
        ("response-content-type", "Content-Type"),
        ("response-content-language", "Content-Language"),
        ("response-expires", "Expires"),
        ("response-cache-control", "Cache-Control"),
        ("response-content-disposition", "Content-Disposition"),
        ("response-content-encoding", "Content-Encoding"),
    ]

    // MARK: Request validation

    static func checkContentMD5(_ request: IncomingRequest) throws(OSSServiceError) {
        guard let provided = request.headers["content-md5"] else { return }
        let digest = request.body.withUnsafeReadableBytes { Data(Insecure.MD5.hash(data: $0)).base64EncodedString() }
        guard digest == provided.trimmingSpaces else { throw .invalidDigest() }
    }

    static let acls: Set<String> = ["default", "private", "public-read", "public-read-write"]
    static let appendStorageClasses: Set<String> = ["Standard", "IA", "Archive"]
    static let putStorageClasses: Set<String> = ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"]

    /// Object attributes from request headers, validated as OSS does.
    static func attributes(_ headers: [String: String], forAppend: Bool) throws(OSSServiceError) -> OSSObjectAttributes {
        var attributes = OSSObjectAttributes(
            contentType: headers["content-type"].flatMap { $0.isEmpty ? nil : $0 } ?? "application/octet-stream",
            cacheControl: headers["cache-control"],
            contentDisposition: headers["content-disposition"],
            contentEncoding: headers["content-encoding"],
            expires: headers["expires"],
            tagging: try headers["x-oss-tagging"].flatMap { header throws(OSSServiceError) in try ObjectTagging.parseHeader(header).stored }
        )
        if let acl = headers["x-oss-object-acl"] {
            guard acls.contains(acl) else {
                throw .invalidArgument("x-oss-object-acl", acl, message: "no such object access control exists")
            }
            attributes.acl = acl
        }
        if let storageClass = headers["x-oss-storage-class"] {
            if forAppend, storageClass == "ColdArchive" || storageClass == "DeepColdArchive" {
                throw .invalidArgument("x-oss-storage-class", storageClass,
                                       message: "Appendable objects cannot use the \(storageClass) storage class.", ec: "0016-00000503")
            }
            guard (forAppend ? appendStorageClasses : putStorageClasses).contains(storageClass) else {
                throw .invalidArgument("x-oss-storage-class", storageClass, message: "Invalid storage class.")
            }
            attributes.storageClass = storageClass
        }
        if let sse = headers["x-oss-server-side-encryption"] {
            guard ["AES256", "KMS", "SM4"].contains(sse) else {
                throw .invalidArgument("x-oss-server-side-encryption", sse, message: "Invalid encryption algorithm.")
            }
            attributes.serverSideEncryption = sse
        }
        var metadataSize = 0
        for (name, value) in headers where name.hasPrefix("x-oss-meta-") {
            let short = String(name.dropFirst("x-oss-meta-".count))
            attributes.userMetadata[short] = value
            metadataSize += short.utf8.count + value.utf8.count
        }
        guard metadataSize <= 8 * 1024 else {
            throw .init(status: .badRequest, code: "MetadataTooLarge", message: "Your metadata headers exceed the maximum allowed metadata size.", ec: "0016-00000211")
        }
        return attributes
    }
}
