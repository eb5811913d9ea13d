import Crypto
import Dispatch
public import Foundation
public import NIOCore
import OSSSigning

/// What an AppendObject did.
/// What RestoreObject did.
public enum OSSRestoreOutcome: Sendable, Equatable {
    /// The first restore (202 Accepted).
    case restored
    /// A restored copy existed; its expiry moved (200 OK).
    case extended
    /// A restore is still running (409 RestoreAlreadyInProgress).
    case inProgress
    /// The object is not in Archive, ColdArchive or DeepColdArchive storage.
    case notCold
}

public enum OSSAppendOutcome: Sendable, Equatable {
    /// The body was appended (or the object created); `record` is the new published state.
    case applied(OSSObjectRecord, created: Bool)
    /// The key holds an object that is not appendable.
    case notAppendable
    /// The object is sealed (SealAppendObject) and takes no more appends.
    case sealed
    /// `position` did not equal the current length; the client should continue at `nextAppendPosition`.
    case positionMismatch(nextAppendPosition: UInt64)
    /// The object would exceed the size limit; `currentLength` is unchanged.
    case tooLarge(currentLength: UInt64)
}

/// What a SealAppendObject did.
public enum OSSSealOutcome: Sendable, Equatable {
    /// The object is sealed at its length (`first`: by this request; otherwise it already was).
    case sealed(OSSObjectRecord, first: Bool)
    case notFound
    /// The key holds a Normal object.
    case notAppendable
    /// `position` is not the object's length.
    case positionMismatch(length: UInt64)
}

/// The emulator's object store: buckets of published records plus their bytes in a `StorageBackend`.
///
/// Guarantees: every operation on one key runs alone (appends to one key are serialized, so of two racing
/// appends at the same position exactly one wins); a reader sees either the state before an append or after
/// it, never in between. Operations on different keys run concurrently. Blocking I/O runs on dispatch queues,
/// never on the Swift concurrency pool.
public final class OSSObjectStore: @unchecked Sendable {
    /// The largest object size (5 GiB, as OSS).
    public static let defaultMaxObjectSize: UInt64 = 5 * 1024 * 1024 * 1024

    let backend: any StorageBackend
    public let maxObjectSize: UInt64
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private var restoreSeconds: TimeInterval = 0
    private let stripes: [DispatchQueue]
    private let stripeLocks: [NSLock]
    private let runsInline: Bool

    struct Bucket {
        var creationDate: Date
        var records: [String: OSSObjectRecord]
    }

    /// Opens a store. A directory store reloads what it holds and repairs any append a crash interrupted.
    public init(storage: OSSEmulatorStorage, maxObjectSize: UInt64 = OSSObjectStore.defaultMaxObjectSize) throws {
        switch storage {
        case .memory: backend = MemoryBackend()
        case .directory(let path): backend = try DirectoryBackend(root: path)
        }
        self.maxObjectSize = maxObjectSize
        stripes = (0..<32).map { DispatchQueue(label: "oss-emulator.store.\($0)") }
        stripeLocks = (0..<32).map { _ in NSLock() }
        runsInline = backend is MemoryBackend
    }

    // MARK: Buckets

    /// Creates `name` if it does not exist yet (reloading its objects from a directory store).
    /// Throws when `name` is not a valid OSS bucket name.
    public func createBucket(_ name: String) throws {
        guard Self.isValidBucketName(name) else {
            throw OSSEmulatorStorageError(
                "bucket name '\(name)' is invalid: use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit"
            )
        }
        if lock.withLock({ buckets[name] != nil }) { return }
        let records = try backend.openBucket(name)
        lock.withLock {
            if buckets[name] == nil { buckets[name] = Bucket(creationDate: Date(), records: records) }
        }
    }

    /// OSS bucket naming rules: 3–63 characters of `a-z`, `0-9` and `-`, starting and ending with a letter or digit.
    public static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        return alphanumeric(bytes[0]) && alphanumeric(bytes[bytes.count - 1])
            && bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    public func bucketExists(_ name: String) -> Bool { lock.withLock { buckets[name] != nil } }

    public func bucketCreationDate(_ name: String) -> Date? { lock.withLock { buckets[name]?.creationDate } }

    public var bucketNames: [String] { lock.withLock { buckets.keys.sorted() } }

    // MARK: Reads

    /// The published record of `key`, or nil.
    public func head(bucket: String, key: String) -> OSSObjectRecord? {
        lock.withLock { buckets[bucket]?.records[key] }
    }

    /// The record of `key` and the bytes `range(record)` selects (nil range = whole object), read consistently.
    public func read(
        bucket: String,
        key: String,
        range: @escaping @Sendable (OSSObjectRecord) -> Range<UInt64>? = { _ in nil }
    ) async throws -> (record: OSSObjectRecord, body: [ByteBuffer])? {
        try await serialized(bucket: bucket, key: key) {
            guard let record = self.head(bucket: bucket, key: key) else { return nil }
            let selected = range(record) ?? 0..<record.length
            return (record, try self.backend.read(bucket: bucket, record: record, range: selected))
        }
    }

    /// Every record of `bucket`, sorted by the UTF-8 bytes of the key.
    public func list(bucket: String) -> [OSSObjectRecord] {
        let records = lock.withLock { buckets[bucket].map { Array($0.records.values) } ?? [] }
        return records.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }

    // MARK: Writes

    /// AppendObject per oss-protocol.md §1.3: not-appendable check, then position, then size; on success the
    /// CRC continues over `body` and `attributes` apply only when the object is created.
    /// A 0-byte append at the right position changes nothing (it creates an empty object when absent).
    public func append(
        bucket: String,
        key: String,
        position: UInt64,
        body: ByteBuffer,
        attributes: OSSObjectAttributes,
        now: Date = Date()
    ) async throws -> OSSAppendOutcome {
        try await serialized(bucket: bucket, key: key) {
            try self.appendLocked(
                bucket: bucket, key: key, position: position, body: body, attributes: attributes, now: Self.wholeSeconds(now)
            )
        }
    }

    /// Appends `body` at whatever the current length is, as another writer would (creating an appendable
    /// object when absent). For fault injection: makes a client's next append see PositionNotEqualToLength.
    public func foreignAppend(bucket: String, key: String, body: ByteBuffer, now: Date = Date()) async throws -> OSSAppendOutcome {
        try await serialized(bucket: bucket, key: key) {
            let position = self.head(bucket: bucket, key: key)?.length ?? 0
            return try self.appendLocked(
                bucket: bucket, key: key, position: position, body: body, attributes: OSSObjectAttributes(),
                now: Self.wholeSeconds(now)
            )
        }
    }

    private func appendLocked(
        bucket: String,
        key: String,
        position: UInt64,
        body: ByteBuffer,
        attributes: OSSObjectAttributes,
        now: Date
    ) throws -> OSSAppendOutcome {
        let existing = head(bucket: bucket, key: key)
        let bodyLength = UInt64(body.readableBytes)
        switch AppendDecision.decide(existing: existing, position: position, bodyLength: bodyLength, maxObjectSize: maxObjectSize) {
        case .notAppendable: return .notAppendable
        case .sealed: return .sealed
        case .positionMismatch(let next): return .positionMismatch(nextAppendPosition: next)
        case .tooLarge(let length): return .tooLarge(currentLength: length)
        case .append:
            guard let existing else { preconditionFailure("AppendDecision.append without an existing object") }
            if bodyLength == 0 { return .applied(existing, created: false) }
            var record = existing
            record.length += bodyLength
            record.crc64 = body.withUnsafeReadableBytes { CRC64.update(existing.crc64, $0) }
            record.lastModified = now
            record.etag = Self.appendableETag(length: record.length, crc: record.crc64)
            try backend.append(bucket: bucket, old: existing, new: record, body: body)
            store(bucket: bucket, record: record)
            return .applied(record, created: false)
        case .create:
            let crc = body.withUnsafeReadableBytes { CRC64.update(0, $0) }
            let record = OSSObjectRecord(
                key: key,
                type: .appendable,
                length: bodyLength,
                crc64: crc,
                etag: Self.appendableETag(length: bodyLength, crc: crc),
                lastModified: now,
                attributes: attributes,
                generation: (backend as? DirectoryBackend)?.nextGeneration() ?? 0
            )
            try backend.append(bucket: bucket, old: nil, new: record, body: body)
            store(bucket: bucket, record: record)
            return .applied(record, created: true)
        }
    }

    /// SealAppendObject: seals the appendable object `key` at `position`, which must equal its length.
    ///
    /// The first seal sets ``OSSObjectRecord/sealedTime`` to `now` (whole seconds); a later seal at the same
    /// length changes nothing and reports the first time. Length, ETag and Last-Modified stay as they are.
    public func seal(bucket: String, key: String, position: UInt64, now: Date = Date()) async throws -> OSSSealOutcome {
        try await serialized(bucket: bucket, key: key) {
            guard let existing = self.head(bucket: bucket, key: key) else { return .notFound }
            guard existing.type == .appendable else { return .notAppendable }
            guard position == existing.length else { return .positionMismatch(length: existing.length) }
            if existing.sealedTime != nil { return .sealed(existing, first: false) }
            var record = existing
            record.sealedTime = Self.wholeSeconds(now)
            try self.backend.update(bucket: bucket, record: record)
            self.store(bucket: bucket, record: record)
            return .sealed(record, first: true)
        }
    }

    /// PutObjectTagging (`tagging` = the stored form, nil for none) and DeleteObjectTagging: replaces the
    /// object's tags. Last-Modified and ETag stay as they are. Returns nil when the object does not exist.
    @discardableResult
    public func setTagging(bucket: String, key: String, tagging: String?) async throws -> OSSObjectRecord? {
        try await serialized(bucket: bucket, key: key) {
            guard var record = self.head(bucket: bucket, key: key) else { return nil }
            record.attributes.tagging = tagging
            try self.backend.update(bucket: bucket, record: record)
            self.store(bucket: bucket, record: record)
            return record
        }
    }

    /// PutObject: replaces whatever `key` holds with a Normal object (ETag = MD5 of the content).
    public func put(
        bucket: String,
        key: String,
        body: ByteBuffer,
        attributes: OSSObjectAttributes,
        now: Date = Date()
    ) async throws -> OSSObjectRecord {
        let md5 = body.withUnsafeReadableBytes { Array(Insecure.MD5.hash(data: $0)) }
        let crc = body.withUnsafeReadableBytes { CRC64.update(0, $0) }
        return try await serialized(bucket: bucket, key: key) {
            let existing = self.head(bucket: bucket, key: key)
            let record = OSSObjectRecord(
                key: key,
                type: .normal,
                length: UInt64(body.readableBytes),
                crc64: crc,
                etag: md5.map { String(format: "%02X", $0) }.joined(),
                contentMD5: Data(md5).base64EncodedString(),
                lastModified: Self.wholeSeconds(now),
                attributes: attributes,
                generation: (self.backend as? DirectoryBackend)?.nextGeneration() ?? 0
            )
            try self.backend.replace(bucket: bucket, old: existing, new: record, body: body)
            self.store(bucket: bucket, record: record)
            return record
        }
    }

    /// Moves an object to another storage class, as a lifecycle rule does: bytes, CRC-64 and Last-Modified stay, a
    /// restored copy is dropped. Returns the new record, or `nil` when the object does not exist.
    @discardableResult
    public func transition(bucket: String, key: String, storageClass: String) async throws -> OSSObjectRecord? {
        try await serialized(bucket: bucket, key: key) {
            guard var record = self.head(bucket: bucket, key: key) else { return nil }
            record.attributes.storageClass = storageClass
            record.restoredUntil = nil
            record.restoreReadyAt = nil
            try self.backend.update(bucket: bucket, record: record)
            self.store(bucket: bucket, record: record)
            return record
        }
    }

    /// How long a restore runs before the copy can be read (OSS: about a minute for Archive, hours for the colder
    /// classes). Default 0: at once.
    public var restoreTime: TimeInterval {
        get { lock.withLock { restoreSeconds } }
        set { lock.withLock { restoreSeconds = max(0, newValue) } }
    }

    /// RestoreObject: a readable copy of an object in cold storage, from ``restoreTime`` after `now` for `days`
    /// days; a copy that exists has its expiry moved to `days` from `now`. `nil` when the object does not exist.
    public func restore(bucket: String, key: String, days: Int, now: Date = Date()) async throws -> OSSRestoreOutcome? {
        let duration = restoreTime
        return try await serialized(bucket: bucket, key: key) {
            guard var record = self.head(bucket: bucket, key: key) else { return nil }
            guard OSSObjectRecord.coldStorageClasses.contains(record.attributes.storageClass) else { return .notCold }
            if record.isRestoring(at: now) { return .inProgress }
            let wasRestored = !record.needsRestore(at: now)
            let readable = wasRestored ? now : now.addingTimeInterval(duration)
            record.restoreReadyAt = readable > now ? readable : nil
            record.restoredUntil = readable.addingTimeInterval(TimeInterval(days) * 86_400)
            try self.backend.update(bucket: bucket, record: record)
            self.store(bucket: bucket, record: record)
            return wasRestored ? .extended : .restored
        }
    }

    /// Bit rot at rest, for tests: flips bits of the byte at `offset` and changes nothing else, so GET returns the
    /// changed byte while HEAD still reports the CRC-64 of what was written. Returns whether the object exists.
    @discardableResult
    public func corrupt(bucket: String, key: String, at offset: UInt64) async throws -> Bool {
        try await serialized(bucket: bucket, key: key) {
            guard let record = self.head(bucket: bucket, key: key) else { return false }
            try self.backend.corrupt(bucket: bucket, record: record, offset: offset)
            return true
        }
    }

    /// DeleteObject: removes `key` if present. Returns whether it existed.
    @discardableResult
    public func delete(bucket: String, key: String) async throws -> Bool {
        try await serialized(bucket: bucket, key: key) {
            guard let existing = self.head(bucket: bucket, key: key) else { return false }
            try self.backend.delete(bucket: bucket, record: existing)
            _ = self.lock.withLock { self.buckets[bucket]?.records.removeValue(forKey: key) }
            return true
        }
    }

    // MARK: Helpers

    /// Last-Modified has one-second resolution in OSS; whole seconds also survive the directory store's JSON exactly.
    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    private func store(bucket: String, record: OSSObjectRecord) {
        lock.withLock { buckets[bucket]?.records[record.key] = record }
    }

    /// Opaque ETag for appendable objects: 32 upper-case hex characters ending in `00000000`, changing with
    /// every non-empty append (OSS documents only that it is not the MD5).
    static func appendableETag(length: UInt64, crc: UInt64) -> String {
        let crcHex = String(crc, radix: 16, uppercase: true)
        let lengthHex = String(length & 0xFFFF_FFFF, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - crcHex.count) + crcHex
            + String(repeating: "0", count: 8 - lengthHex.count) + lengthHex + "00000000"
    }

    /// Runs `body` alone among the operations on `bucket`/`key`: inline under the key's stripe lock for the
    /// memory store (short, CPU-only work), on the key's serial dispatch queue for the directory store (blocking I/O).
    private func serialized<T: Sendable>(bucket: String, key: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        var hasher = Hasher()
        hasher.combine(bucket)
        hasher.combine(key)
        let stripe = Int(UInt(bitPattern: hasher.finalize()) % UInt(stripes.count))
        if runsInline {
            return try stripeLocks[stripe].withLock { try body() }
        }
        return try await withCheckedThrowingContinuation { continuation in
            stripes[stripe].async { continuation.resume(with: Result { try body() }) }
        }
    }
}
