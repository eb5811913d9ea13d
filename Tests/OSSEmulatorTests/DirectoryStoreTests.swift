import Foundation
import NIOCore
import OSSSigning
import Testing
@testable import OSSEmulator

@Suite("Directory store: restart and crash consistency")
struct DirectoryStoreTests {
    func open(_ directory: String) throws -> OSSObjectStore {
        let store = try OSSObjectStore(storage: .directory(directory))
        try store.createBucket("bkt")
        return store
    }

    func bytes(_ store: OSSObjectStore, _ key: String) async throws -> [UInt8]? {
        guard let result = try await store.read(bucket: "bkt", key: key) else { return nil }
        return result.body.flatMap { Array($0.readableBytesView) }
    }

    @Test func survivesRestartWithSameBytesCRCAndMetadata() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try open(directory)
        _ = try await first.append(bucket: "bkt", key: "dir/log 1", position: 0, body: ByteBuffer(string: "hello "),
                                   attributes: .init(contentType: "text/plain", userMetadata: ["owner": "sink"]))
        _ = try await first.append(bucket: "bkt", key: "dir/log 1", position: 6, body: ByteBuffer(string: "world"), attributes: .init())
        _ = try await first.put(bucket: "bkt", key: "normal", body: ByteBuffer(string: "n"), attributes: .init())
        let before = try #require(first.head(bucket: "bkt", key: "dir/log 1"))

        let second = try open(directory)
        #expect(second.head(bucket: "bkt", key: "dir/log 1") == before)
        #expect(try await bytes(second, "dir/log 1") == Array("hello world".utf8))
        #expect(second.head(bucket: "bkt", key: "normal")?.type == .normal)
        // Appending continues from the reloaded state.
        let outcome = try await second.append(bucket: "bkt", key: "dir/log 1", position: 11, body: ByteBuffer(string: "!"), attributes: .init())
        guard case .applied(let record, _) = outcome else {
            Issue.record("append after restart: \(outcome)")
            return
        }
        #expect(record.crc64 == CRC64.checksum(Array("hello world!".utf8)))
    }

    @Test func crashBetweenDataWriteAndPublishLeavesOldState() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try open(directory)
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "abc"), attributes: .init())
        let published = try #require(first.head(bucket: "bkt", key: "k"))
        let backend = try #require(first.backend as? DirectoryBackend)
        // The first half of an append: bytes written and fsync'd at the published length, record not published.
        try DirectoryBackend.writeFile(
            backend.dataPath("bkt", published), flags: O_WRONLY, offset: published.length, body: ByteBuffer(string: "TORN-APPEND")
        )
        // A crash here; a new process opens the directory.
        let second = try open(directory)
        #expect(second.head(bucket: "bkt", key: "k") == published)
        #expect(try await bytes(second, "k") == Array("abc".utf8))
        #expect(try DirectoryBackend.fileSize(backend.dataPath("bkt", published)) == 3)
        let retry = try await second.append(bucket: "bkt", key: "k", position: 3, body: ByteBuffer(string: "d"), attributes: .init())
        guard case .applied(let record, _) = retry else {
            Issue.record("retry after crash: \(retry)")
            return
        }
        #expect(record.crc64 == CRC64.checksum(Array("abcd".utf8)))
        #expect(try await bytes(second, "k") == Array("abcd".utf8))
    }

    @Test func crashDuringPutKeepsOldObjectAndRemovesOrphan() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try open(directory)
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "old"), attributes: .init())
        let published = try #require(first.head(bucket: "bkt", key: "k"))
        let backend = try #require(first.backend as? DirectoryBackend)
        // PutObject wrote its new generation file but crashed before publishing the record.
        var unpublished = published
        unpublished.generation = backend.nextGeneration()
        let orphan = backend.dataPath("bkt", unpublished)
        try DirectoryBackend.writeFile(orphan, flags: O_WRONLY | O_CREAT | O_TRUNC, offset: 0, body: ByteBuffer(string: "new content"))
        // And a leftover temp record from an interrupted publish.
        let temporary = directory + "/bkt/" + DirectoryBackend.objectID("k") + ".json.tmp"
        try Data("{garbage".utf8).write(to: URL(fileURLWithPath: temporary))

        let second = try open(directory)
        #expect(second.head(bucket: "bkt", key: "k") == published)
        #expect(try await bytes(second, "k") == Array("old".utf8))
        #expect(try DirectoryBackend.fileSize(orphan) == nil)
        #expect(!FileManager.default.fileExists(atPath: temporary))
    }

    @Test func deleteSurvivesRestart() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try open(directory)
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "x"), attributes: .init())
        try await first.delete(bucket: "bkt", key: "k")
        let second = try open(directory)
        #expect(second.head(bucket: "bkt", key: "k") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/bkt").isEmpty)
    }

    @Test func missingPublishedBytesAreReportedNotHidden() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try open(directory)
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "abcdef"), attributes: .init())
        let backend = try #require(first.backend as? DirectoryBackend)
        let published = try #require(first.head(bucket: "bkt", key: "k"))
        #expect(truncate(backend.dataPath("bkt", published), 2) == 0)
        #expect(throws: OSSEmulatorStorageError.self) { _ = try open(directory) }
    }
}
