import Crypto
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Objects as files under a root directory, crash-consistent:
///
/// ```
/// <root>/<bucket>/<id>.json            published record (replaced atomically by rename)
/// <root>/<bucket>/<id>.<gen>.data      object bytes; only the first `record.length` bytes count
/// ```
/// `id` is the SHA-256 of the key. An append writes the body at the published length, fsyncs the data
/// file, then publishes the new record (temp file, fsync, rename, directory fsync). A crash before the
/// rename leaves the old record in place; on open, data beyond the published length is truncated and data
/// files no record references are removed. A PutObject writes a new generation file so the old bytes stay
/// valid until the new record is published.
final class DirectoryBackend: StorageBackend, @unchecked Sendable {
    let root: String
    private let encoder: JSONEncoder
    private let decoder = JSONDecoder()
    private let generationLock = NSLock()
    private var lastGeneration: UInt64

    init(root: String) throws {
        self.root = root
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        self.encoder = encoder
        decoder.dateDecodingStrategy = .secondsSince1970
        lastGeneration = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        try Self.makeDirectory(root)
    }

    // MARK: Paths

    static func objectID(_ key: String) -> String {
        SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    private func bucketDirectory(_ bucket: String) -> String { root + "/" + bucket }
    private func recordPath(_ bucket: String, _ key: String) -> String {
        bucketDirectory(bucket) + "/" + Self.objectID(key) + ".json"
    }
    func dataPath(_ bucket: String, _ record: OSSObjectRecord) -> String {
        bucketDirectory(bucket) + "/" + Self.objectID(record.key) + ".\(record.generation).data"
    }

    /// A generation number never used before by this process (microsecond clock, strictly increasing).
    func nextGeneration() -> UInt64 {
        generationLock.withLock {
            lastGeneration = max(lastGeneration + 1, UInt64(Date().timeIntervalSince1970 * 1_000_000))
            return lastGeneration
        }
    }

    // MARK: StorageBackend

    func openBucket(_ bucket: String) throws -> [String: OSSObjectRecord] {
        let directory = bucketDirectory(bucket)
        try Self.makeDirectory(directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        var records: [String: OSSObjectRecord] = [:]
        var referenced: Set<String> = []
        for name in names where name.hasSuffix(".json") {
            let path = directory + "/" + name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let record: OSSObjectRecord
            do {
                record = try decoder.decode(OSSObjectRecord.self, from: data)
            } catch {
                throw OSSEmulatorStorageError("cannot read object record \(path): \(error); move the file away to drop the object")
            }
            let dataFile = dataPath(bucket, record)
            let size = try Self.fileSize(dataFile)
            guard let size, size >= record.length else {
                throw OSSEmulatorStorageError(
                    "data file \(dataFile) for key \(record.key) holds fewer than the \(record.length) published bytes; the directory was modified outside the emulator"
                )
            }
            if size > record.length {
                // Bytes of an append that was never published (crash between data write and publish).
                guard truncate(dataFile, off_t(record.length)) == 0 else {
                    throw OSSEmulatorStorageError("cannot truncate \(dataFile): \(Self.errnoText())")
                }
            }
            records[record.key] = record
            referenced.insert((dataFile as NSString).lastPathComponent)
        }
        for name in names where (name.hasSuffix(".data") && !referenced.contains(name)) || name.hasSuffix(".tmp") {
            unlink(directory + "/" + name)
        }
        return records
    }

    func append(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws {
        let path = dataPath(bucket, new)
        let flags = old == nil ? (O_WRONLY | O_CREAT | O_TRUNC) : O_WRONLY
        try Self.writeFile(path, flags: flags, offset: old?.length ?? 0, body: body)
        if old == nil { try Self.syncDirectory(bucketDirectory(bucket)) }
        try publish(bucket: bucket, record: new)
    }

    func replace(bucket: String, old: OSSObjectRecord?, new: OSSObjectRecord, body: ByteBuffer) throws {
        try Self.writeFile(dataPath(bucket, new), flags: O_WRONLY | O_CREAT | O_TRUNC, offset: 0, body: body)
        try publish(bucket: bucket, record: new)
        if let old, old.generation != new.generation { unlink(dataPath(bucket, old)) }
    }

    func update(bucket: String, record: OSSObjectRecord) throws {
        try publish(bucket: bucket, record: record)
    }

    func corrupt(bucket: String, record: OSSObjectRecord, offset: UInt64) throws {
        let path = dataPath(bucket, record)
        let fd = open(path, O_RDWR)
        guard fd >= 0 else { throw OSSEmulatorStorageError("cannot open \(path): \(Self.errnoText())") }
        defer { close(fd) }
        var byte: UInt8 = 0
        guard pread(fd, &byte, 1, off_t(offset)) == 1 else { throw OSSEmulatorStorageError("cannot read \(path) at \(offset)") }
        byte ^= 0x20
        guard pwrite(fd, &byte, 1, off_t(offset)) == 1, fsync(fd) == 0 else {
            throw OSSEmulatorStorageError("cannot write \(path) at \(offset): \(Self.errnoText())")
        }
    }

    func delete(bucket: String, record: OSSObjectRecord) throws {
        let path = recordPath(bucket, record.key)
        guard unlink(path) == 0 || errno == ENOENT else {
            throw OSSEmulatorStorageError("cannot remove \(path): \(Self.errnoText())")
        }
        try Self.syncDirectory(bucketDirectory(bucket))
        unlink(dataPath(bucket, record))
    }

    func read(bucket: String, record: OSSObjectRecord, range: Range<UInt64>) throws -> [ByteBuffer] {
        guard !range.isEmpty else { return [] }
        let path = dataPath(bucket, record)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw OSSEmulatorStorageError("cannot open \(path): \(Self.errnoText())") }
        defer { close(fd) }
        let count = Int(range.count)
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer -> Int in
            var done = 0
            while done < count {
                let n = pread(fd, pointer.baseAddress! + done, count - done, off_t(range.lowerBound) + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw OSSEmulatorStorageError("short read from \(path): \(Self.errnoText())") }
                done += n
            }
            return done
        }
        precondition(read == count)
        return [buffer]
    }

    // MARK: Publishing

    /// Makes `record` the published state of its key: temp file, fsync, rename over the old record, fsync dir.
    func publish(bucket: String, record: OSSObjectRecord) throws {
        let path = recordPath(bucket, record.key)
        let temporary = path + ".tmp"
        let data = try encoder.encode(record)
        try Self.writeFile(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, offset: 0, body: ByteBuffer(bytes: data))
        guard rename(temporary, path) == 0 else {
            throw OSSEmulatorStorageError("cannot publish \(path): \(Self.errnoText())")
        }
        try Self.syncDirectory(bucketDirectory(bucket))
    }

    // MARK: POSIX helpers

    /// Writes `body` at `offset` and fsyncs before returning.
    static func writeFile(_ path: String, flags: Int32, offset: UInt64, body: ByteBuffer) throws {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OSSEmulatorStorageError("cannot open \(path): \(errnoText())") }
        defer { close(fd) }
        try body.withUnsafeReadableBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw OSSEmulatorStorageError("cannot write \(path): \(errnoText())") }
                done += n
            }
        }
        guard fsync(fd) == 0 else { throw OSSEmulatorStorageError("cannot fsync \(path): \(errnoText())") }
    }

    static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw OSSEmulatorStorageError("cannot open directory \(path): \(errnoText())") }
        defer { close(fd) }
        _ = fsync(fd)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw OSSEmulatorStorageError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }

    static func fileSize(_ path: String) throws -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw OSSEmulatorStorageError("cannot stat \(path): \(errnoText())")
        }
        return UInt64(info.st_size)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
