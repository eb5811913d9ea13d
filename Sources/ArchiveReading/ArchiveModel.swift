public import SinkCore

/// One object of a listing: its key, size and storage class.
public struct ArchivedObject: Sendable, Hashable {
    public var key: String
    public var size: UInt64
    /// `Standard`, `IA`, `Archive`, `ColdArchive`, `DeepColdArchive`; `nil` when the listing does not say.
    public var storageClass: String?

    public init(key: String, size: UInt64, storageClass: String? = nil) {
        self.key = key
        self.size = size
        self.storageClass = storageClass
    }
}

/// What HEAD says about an object.
public struct ArchivedObjectHead: Sendable, Hashable {
    public var length: UInt64
    /// `x-oss-object-type` is `Appendable`.
    public var appendable: Bool
    /// `x-oss-hash-crc64ecma`, when the store reports it.
    public var crc64: UInt64?
    /// The object type as the store names it (for messages).
    public var typeName: String
    /// `x-oss-sealed-time` is present: the object was sealed (SealAppendObject) and never grows again.
    public var sealed: Bool
    /// `x-oss-storage-class` (`Standard`, `IA`, `Archive`, `ColdArchive`, `DeepColdArchive`), when reported.
    public var storageClass: String?
    /// `x-oss-restore`, when reported: `ongoing-request="true"` while a restore runs, `ongoing-request="false",
    /// expiry-date="…"` once the restored copy is readable. Absent for a cold object that is not restored.
    public var restore: String?

    public init(
        length: UInt64, appendable: Bool, crc64: UInt64?, typeName: String = "Appendable", sealed: Bool = false,
        storageClass: String? = nil, restore: String? = nil
    ) {
        self.length = length
        self.appendable = appendable
        self.crc64 = crc64
        self.typeName = typeName
        self.sealed = sealed
        self.storageClass = storageClass
        self.restore = restore
    }

    /// Whether GET needs a restore first: an `Archive`, `ColdArchive` or `DeepColdArchive` object without a
    /// finished restore (`x-oss-restore: ongoing-request="false", …`). OSS answers GET on such an object with
    /// 403 `InvalidObjectState` (unless the bucket allows real-time access of Archive objects, which reads it anyway).
    public var needsRestore: Bool {
        guard let storageClass, ArchiveStorage.coldClasses.contains(storageClass) else { return false }
        return !(restore ?? "").contains("ongoing-request=\"false\"")
    }

    /// Whether a restore was requested and is still running.
    public var restoreInProgress: Bool {
        (restore ?? "").contains("ongoing-request=\"true\"")
    }
}

/// Storage classes whose objects must be restored before they can be read.
public enum ArchiveStorage {
    public static let coldClasses: Set<String> = ["Archive", "ColdArchive", "DeepColdArchive"]
}

/// An object is in cold storage (`Archive`, `ColdArchive`, `DeepColdArchive`) and must be restored before it can
/// be read: OSS answered GET with 403 `InvalidObjectState`.
public struct ArchiveObjectNeedsRestore: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var storageClass: String?
    /// A restore was requested and has not finished.
    public var inProgress: Bool
    /// The bucket, for the restore command the description suggests (nil: shown as `<bucket>`).
    public var bucket: String?

    public init(key: String, storageClass: String?, inProgress: Bool, bucket: String? = nil) {
        self.key = key
        self.storageClass = storageClass
        self.inProgress = inProgress
        self.bucket = bucket
    }

    public var description: String {
        let kind = storageClass.map { "in \($0) storage" } ?? "in cold storage"
        if inProgress {
            return "\(key) is \(kind) and its restore is still running: wait until HEAD shows x-oss-restore: ongoing-request=\"false\", then run again"
        }
        return "\(key) is \(kind) and must be restored before it can be read: restore it (RestoreObject, for example "
            + "`ossutil restore oss://\(bucket ?? "<bucket>")/\(key)`), wait until HEAD shows x-oss-restore: ongoing-request=\"false\", then run again"
    }
}

/// The objects and bytes the archive readers (`verify`, `replay`) read: an OSS bucket in production
/// (``OSSArchiveReader``), a dictionary in tests.
public protocol ArchiveReader: Sendable {
    /// The bucket the objects are in, for messages (nil when there is none, as in tests).
    var bucket: String? { get }
    /// Every object whose key starts with `prefix`, in any order.
    func list(prefix: String) async throws -> [ArchivedObject]
    /// The object's metadata; throws when it is missing or unreadable.
    func head(key: String) async throws -> ArchivedObjectHead
    /// Bytes `[offset, offset + count)` of the object (fewer only at its end).
    /// - Throws: ``ArchiveObjectNeedsRestore`` when the object is in cold storage and not restored.
    func read(key: String, offset: UInt64, count: UInt64) async throws -> [UInt8]
    /// The object's tags (GetObjectTagging), in the store's order.
    func tags(key: String) async throws -> [SegmentTag]
}

extension ArchiveReader {
    /// What the sink's `segment.*` tags say about a finished segment, without reading it; `nil` when it carries
    /// none (an open segment, one still being finished, or one written before segments were tagged).
    /// - Throws: the store's error, or `SegmentTagsError` when the tags are present but malformed.
    public func segmentTags(key: String) async throws -> SegmentTags.Parsed? {
        try SegmentTags.parse(try await tags(key: key))
    }
}


extension ArchiveReader {
    public var bucket: String? { nil }
}
