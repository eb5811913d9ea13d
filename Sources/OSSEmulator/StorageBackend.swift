import NIOCore

/// Where an emulator keeps its objects.
public enum OSSEmulatorStorage: Sendable, Hashable {
    /// Objects live in memory and vanish with the process. Fast; for tests and benchmarks.
    case memory
    /// Objects live under this directory and survive restarts. Every acknowledged append is durable
    /// (data fsync'd before the new length is published) and a crash never exposes a partial append.
    case directory(String)
}

/// Bytes and published records of objects, per bucket.
///
/// The caller (`ObjectStore`) serializes every call for one key; calls for different keys may run
/// concurrently. Methods may block (file I/O): they are never called on the Swift concurrency pool.
protocol StorageBackend: AnyObject, Sendable {
    /// Prepares storage for `bucket` and returns the records already published there (repairing
    /// anything a crash left half-written).
    func openBucket(_ bucket: String) throws -> [String: OSSObjectRecord]
    /// Stores `body` at offset `old.length` (or as a new object when `old` is nil) and then publishes `new`.
    func append(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws
    /// Replaces the object with `body` and publishes `new` (old bytes are gone once this returns).
    func replace(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws
    /// Publishes `record`, whose bytes are those already stored (seal, tags, storage class, restore).
    func update(bucket: String, record: OSSObjectRecord) throws
    /// Flips the bits of the byte at `offset` (0x20) in the stored bytes, leaving the record as it is.
    func corrupt(bucket: String, record: OSSObjectRecord, offset: UInt64) throws
    /// Removes the object.
    func delete(bucket: String, record: OSSObjectRecord) throws
    /// Bytes `range` of the object described by `record` (a published record).
    func read(bucket: String, record: OSSObjectRecord, range: Range<UInt64>) throws -> [ByteBuffer]
}

/// A storage failure (I/O error or a damaged directory store), reported to clients as 500 InternalError.
public struct OSSEmulatorStorageError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "OSS emulator storage error: \(message)" }
}
