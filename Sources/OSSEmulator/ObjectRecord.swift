public import Foundation

/// The kind of an object as OSS reports it in `x-oss-object-type` and in listings.
public enum OSSObjectType: String, Sendable, Codable, Hashable {
    /// Created by PutObject; AppendObject on it fails with `ObjectNotAppendable`.
    case normal = "Normal"
    /// Created by AppendObject; grows by compare-and-append on its length.
    case appendable = "Appendable"
}

/// Attributes fixed when an object is created (HTTP metadata, user metadata, storage class, ACL, tags).
///
/// For appendable objects these come only from the request that creates the object; later appends
/// carry them in vain (OSS ignores create-time headers on later appends). Tags alone change later, through
/// PutObjectTagging and DeleteObjectTagging.
public struct OSSObjectAttributes: Sendable, Codable, Hashable {
    public var contentType: String
    public var cacheControl: String?
    public var contentDisposition: String?
    public var contentEncoding: String?
    public var expires: String?
    public var acl: String?
    public var storageClass: String
    public var serverSideEncryption: String?
    /// Lower-cased names without the `x-oss-meta-` prefix.
    public var userMetadata: [String: String]
    /// The tags in `x-oss-tagging` syntax (`k=v&k2=v2`, RFC 3986-encoded), if any.
    public var tagging: String?

    public init(
        contentType: String = "application/octet-stream",
        cacheControl: String? = nil,
        contentDisposition: String? = nil,
        contentEncoding: String? = nil,
        expires: String? = nil,
        acl: String? = nil,
        storageClass: String = "Standard",
        serverSideEncryption: String? = nil,
        userMetadata: [String: String] = [:],
        tagging: String? = nil
    ) {
        self.contentType = contentType
        self.cacheControl = cacheControl
        self.contentDisposition = contentDisposition
        self.contentEncoding = contentEncoding
        self.expires = expires
        self.acl = acl
        self.storageClass = storageClass
        self.serverSideEncryption = serverSideEncryption
        self.userMetadata = userMetadata
        self.tagging = tagging
    }

    /// Number of tags in `tagging` (for `x-oss-tagging-count`).
    public var tagCount: Int {
        guard let tagging, !tagging.isEmpty else { return 0 }
        return tagging.split(separator: "&").count
    }
}

/// The published state of one object: what HEAD, GET and listings report.
///
/// A record is replaced as a whole; a store never exposes a record whose `length` bytes are not all durable
/// (directory store) or present (memory store).
public struct OSSObjectRecord: Sendable, Codable, Hashable {
    public var key: String
    public var type: OSSObjectType
    public var length: UInt64
    /// CRC-64/XZ of the whole object (`x-oss-hash-crc64ecma`).
    public var crc64: UInt64
    /// Upper-case hex without quotes: MD5 of the content for Normal objects, an opaque value for Appendable.
    public var etag: String
    /// Base64 MD5 of the content (Normal objects only).
    public var contentMD5: String?
    public var lastModified: Date
    public var attributes: OSSObjectAttributes
    /// Directory store: which data file generation holds the bytes. Zero in the memory store.
    public var generation: UInt64
    /// When SealAppendObject first sealed the object (`x-oss-sealed-time`); `nil` while it is not sealed.
    /// A sealed object keeps its type, length, ETag and Last-Modified and refuses every further append.
    public var sealedTime: Date?
    /// Until when a restored copy of an object in cold storage (Archive, ColdArchive, DeepColdArchive) can be
    /// read; `nil` when it was never restored.
    public var restoredUntil: Date?
    /// When the restore that is running finishes (the copy can be read from then on); `nil` when none runs. Restores
    /// take ``OSSObjectStore/restoreTime`` (at once by default).
    public var restoreReadyAt: Date?

    public init(
        key: String,
        type: OSSObjectType,
        length: UInt64,
        crc64: UInt64,
        etag: String,
        contentMD5: String? = nil,
        lastModified: Date,
        attributes: OSSObjectAttributes,
        generation: UInt64 = 0,
        sealedTime: Date? = nil,
        restoredUntil: Date? = nil,
        restoreReadyAt: Date? = nil
    ) {
        self.key = key
        self.type = type
        self.length = length
        self.crc64 = crc64
        self.etag = etag
        self.contentMD5 = contentMD5
        self.lastModified = lastModified
        self.attributes = attributes
        self.generation = generation
        self.sealedTime = sealedTime
        self.restoredUntil = restoredUntil
        self.restoreReadyAt = restoreReadyAt
    }

    /// Storage classes whose objects must be restored before GET.
    public static let coldStorageClasses: Set<String> = ["Archive", "ColdArchive", "DeepColdArchive"]

    /// Whether GET must refuse the object at `now` (cold storage without a readable restored copy).
    public func needsRestore(at now: Date) -> Bool {
        guard Self.coldStorageClasses.contains(attributes.storageClass) else { return false }
        if isRestoring(at: now) { return true }
        guard let restoredUntil else { return true }
        return restoredUntil <= now
    }

    /// Whether a restore of the object is still running at `now`.
    public func isRestoring(at now: Date) -> Bool {
        restoreReadyAt.map { $0 > now } ?? false
    }
}
