public import Foundation
public import NIOCore

/// Headers that apply when an object is created: sent by ``OSSClient/appendObject(key:position:data:previousCRC:create:retryPolicy:)``
/// only at position 0, and by ``OSSClient/putObject(key:data:options:)`` always.
public struct OSSCreateOptions: Sendable, Hashable {
    /// `Content-Type`; `application/octet-stream` when nil.
    public var contentType: String?
    /// `x-oss-storage-class`: `Standard`, `IA`, `Archive` (appendable objects cannot be ColdArchive).
    public var storageClass: String?
    /// `x-oss-object-acl`: `default`, `private`, `public-read`, `public-read-write`.
    public var acl: String?
    /// User metadata, sent as `x-oss-meta-<name>` (names are lower-cased by OSS).
    public var metadata: [String: String]
    /// Object tags, sent URL-encoded in `x-oss-tagging`.
    public var tags: [String: String]
    /// Other headers to send on creation (e.g. `Content-Encoding`, `Cache-Control`); names are lower-cased.
    public var extraHeaders: [String: String]

    public init(
        contentType: String? = nil, storageClass: String? = nil, acl: String? = nil, metadata: [String: String] = [:],
        tags: [String: String] = [:], extraHeaders: [String: String] = [:]
    ) {
        self.contentType = contentType
        self.storageClass = storageClass
        self.acl = acl
        self.metadata = metadata
        self.tags = tags
        self.extraHeaders = extraHeaders
    }
}

/// A verified successful append.
public struct OSSAppendResult: Sendable, Hashable {
    /// The object's length after the append (`x-oss-next-append-position`).
    public var nextPosition: UInt64
    /// CRC-64/XZ of the whole object after the append (`x-oss-hash-crc64ecma`).
    public var crc64: UInt64
    public var etag: String?
    public var requestId: String?
    /// Number of HTTP attempts used.
    public var attempts: Int

    public init(nextPosition: UInt64, crc64: UInt64, etag: String? = nil, requestId: String? = nil, attempts: Int = 1) {
        self.nextPosition = nextPosition
        self.crc64 = crc64
        self.etag = etag
        self.requestId = requestId
        self.attempts = attempts
    }
}

/// A verified successful PutObject.
public struct OSSPutResult: Sendable, Hashable {
    public var etag: String?
    public var crc64: UInt64
    public var versionId: String?
    public var requestId: String?
}

/// Object type as reported by `x-oss-object-type` / `<Type>`.
public struct OSSObjectType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
    public static let normal = OSSObjectType(rawValue: "Normal")
    public static let appendable = OSSObjectType(rawValue: "Appendable")
    public static let multipart = OSSObjectType(rawValue: "Multipart")
    public static let symlink = OSSObjectType(rawValue: "Symlink")
}

/// Object metadata from HeadObject (and GetObject).
public struct OSSObjectMetadata: Sendable, Hashable {
    public var objectType: OSSObjectType?
    /// `Content-Length` of the whole object.
    public var contentLength: UInt64
    /// `x-oss-next-append-position`; present only for appendable objects.
    public var nextAppendPosition: UInt64?
    /// `x-oss-hash-crc64ecma` of the whole object; absent on some very old objects.
    public var crc64: UInt64?
    public var etag: String?
    public var lastModified: Date?
    public var contentType: String?
    public var storageClass: String?
    /// User metadata (`x-oss-meta-*`), names without the prefix, lower-cased.
    public var userMetadata: [String: String]
    public var versionId: String?
    public var requestId: String?
    /// `x-oss-sealed-time`: when SealAppendObject sealed the appendable object; nil while it is not sealed.
    public var sealedTime: Date?
    /// `x-oss-tagging-count`, when OSS reports it.
    public var taggingCount: Int?
    /// Every response header, names lower-cased (repeated headers joined with `,`).
    public var headers: [String: String]

    /// The object was sealed (SealAppendObject) and takes no more appends.
    public var isSealed: Bool { sealedTime != nil || headers["x-oss-sealed-time"] != nil }
}

/// A byte range for GetObject.
public enum OSSByteRange: Sendable, Hashable, CustomStringConvertible {
    /// Bytes `first...last` (inclusive).
    case bounded(first: UInt64, last: UInt64)
    /// Bytes from `first` to the end.
    case from(UInt64)
    /// The last `count` bytes.
    case suffix(UInt64)

    /// The `Range` header value.
    public var headerValue: String {
        switch self {
        case .bounded(let first, let last): return "bytes=\(first)-\(last)"
        case .from(let first): return "bytes=\(first)-"
        case .suffix(let count): return "bytes=-\(count)"
        }
    }

    public var description: String { headerValue }

    /// Parses `a-b`, `a-`, `-n` (optionally prefixed by `bytes=`).
    public init?(parsing text: String) {
        var text = Substring(text.trimmingSpaces())
        if text.hasPrefix("bytes=") { text = text.dropFirst(6) }
        guard let dash = text.firstIndex(of: "-") else { return nil }
        let first = text[..<dash]
        let last = text[text.index(after: dash)...]
        switch (UInt64(first), UInt64(last)) {
        case (let first?, let last?) where first <= last: self = .bounded(first: first, last: last)
        case (let first?, nil) where last.isEmpty: self = .from(first)
        case (nil, let count?) where first.isEmpty && count > 0: self = .suffix(count)
        default: return nil
        }
    }
}

/// A GetObject response.
public struct OSSGetResult: Sendable {
    public var body: ByteBuffer
    /// 200 for the whole object, 206 for a range.
    public var statusCode: Int
    /// `Content-Range`, for a 206.
    public var contentRange: String?
    public var metadata: OSSObjectMetadata
}

/// One entry of a listing.
public struct OSSObjectSummary: Sendable, Hashable {
    public var key: String
    public var lastModified: Date?
    /// `LastModified` as sent (ISO 8601).
    public var lastModifiedText: String?
    public var etag: String?
    public var type: OSSObjectType?
    public var size: UInt64
    public var storageClass: String?
}

/// One page of ListObjectsV2. Text fields are URL-decoded when the server used `encoding-type=url`.
public struct OSSListPage: Sendable, Hashable {
    public var bucket: String
    public var prefix: String?
    public var delimiter: String?
    public var startAfter: String?
    public var continuationToken: String?
    public var nextContinuationToken: String?
    public var isTruncated: Bool
    public var keyCount: Int?
    public var maxKeys: Int?
    public var objects: [OSSObjectSummary]
    public var commonPrefixes: [String]
}

/// GetBucketInfo's useful fields.
public struct OSSBucketInfo: Sendable, Hashable {
    public var name: String
    /// E.g. `oss-cn-hangzhou`.
    public var location: String?
    public var creationDate: String?
    public var extranetEndpoint: String?
    public var intranetEndpoint: String?
    public var storageClass: String?
    public var versioning: String?
    public var dataRedundancyType: String?
}
