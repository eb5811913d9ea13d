import Foundation
import NIOCore
@testable import OSSEmulator
import OSSSigning
import Testing

/// Objects in Archive, ColdArchive and DeepColdArchive storage: GET needs a restore (403 InvalidObjectState),
/// HEAD does not, RestoreObject makes a readable copy (the emulator restores at once).
@Suite("Emulator: cold storage and RestoreObject")
struct ColdStorageTests {
    @Test func getNeedsARestoreAndHeadDoesNot() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await withEmulator(now: { clock.now }) { server, signer in
            var client = signer
            client.date = clock.now
            _ = try await client.append("test-bucket", "seg", position: 0, Array("abc".utf8))
            try await server.store.transition(bucket: "test-bucket", key: "seg", storageClass: "ColdArchive")

            let head = try await client.send("HEAD", bucket: "test-bucket", key: "seg")
            #expect(head.status == 200)
            #expect(head.header("x-oss-storage-class") == "ColdArchive")
            #expect(head.header("x-oss-restore") == nil)
            let refused = try await client.send("GET", bucket: "test-bucket", key: "seg")
            #expect(refused.status == 403)
            #expect(refused.xmlValue("Code") == "InvalidObjectState")
            #expect(refused.xmlValue("Message") == "The operation is not valid for the object&apos;s state")

            let restore = try await client.send(
                "POST", bucket: "test-bucket", key: "seg", query: [OSSQueryItem(name: "restore")],
                body: Array("<RestoreRequest><Days>2</Days><JobParameters><Tier>Expedited</Tier></JobParameters></RestoreRequest>".utf8))
            #expect(restore.status == 202)
            let restoredHead = try await client.send("HEAD", bucket: "test-bucket", key: "seg")
            let expiry = OSSDateFormat.rfc1123(clock.now.addingTimeInterval(2 * 86_400))
            #expect(restoredHead.header("x-oss-restore") == "ongoing-request=\"false\", expiry-date=\"\(expiry)\"")
            let read = try await client.send("GET", bucket: "test-bucket", key: "seg")
            #expect(read.status == 200)
            #expect(read.text == "abc")
            let again = try await client.send("POST", bucket: "test-bucket", key: "seg", query: [OSSQueryItem(name: "restore")])
            #expect(again.status == 200)

            // The restored copy expires (one day after the last restore).
            clock.advance(by: 2 * 86_400)
            client.date = clock.now
            #expect(try await client.send("GET", bucket: "test-bucket", key: "seg").status == 403)
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "seg").header("x-oss-restore") == nil)
        }
    }

    @Test func aRestoreTakesTheStoresRestoreTime() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        try await withEmulator(now: { clock.now }) { server, signer in
            var client = signer
            client.date = clock.now
            server.store.restoreTime = 60
            _ = try await client.append("test-bucket", "seg", position: 0, Array("abc".utf8))
            try await server.store.transition(bucket: "test-bucket", key: "seg", storageClass: "Archive")
            let restore = { try await client.send("POST", bucket: "test-bucket", key: "seg", query: [OSSQueryItem(name: "restore")]) }
            #expect(try await restore().status == 202)

            // Running: HEAD says so, GET is refused, another restore is refused with 409.
            clock.advance(by: 59)
            client.date = clock.now
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "seg").header("x-oss-restore") == "ongoing-request=\"true\"")
            #expect(try await client.send("GET", bucket: "test-bucket", key: "seg").status == 403)
            let running = try await restore()
            #expect(running.status == 409)
            #expect(running.xmlValue("Code") == "RestoreAlreadyInProgress")
            #expect(running.xmlValue("EC") == "0016-00000701")

            // Done after the restore time; the copy is kept one day from then.
            clock.advance(by: 1)
            client.date = clock.now
            let expiry = OSSDateFormat.rfc1123(clock.now.addingTimeInterval(86_400))
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "seg").header("x-oss-restore")
                    == "ongoing-request=\"false\", expiry-date=\"\(expiry)\"")
            #expect(try await client.send("GET", bucket: "test-bucket", key: "seg").text == "abc")
            #expect(try await restore().status == 200)
        }
    }

    @Test func restoreOfAnObjectNotInColdStorageIsRefused() async throws {
        try await withEmulator { _, client in
            _ = try await client.append("test-bucket", "hot", position: 0, [1])
            let restore = try await client.send("POST", bucket: "test-bucket", key: "hot", query: [OSSQueryItem(name: "restore")])
            #expect(restore.status == 400)
            #expect(restore.xmlValue("Code") == "OperationNotSupported")
            let missing = try await client.send("POST", bucket: "test-bucket", key: "none", query: [OSSQueryItem(name: "restore")])
            #expect(missing.status == 404)
            let badDays = try await client.send(
                "POST", bucket: "test-bucket", key: "hot", query: [OSSQueryItem(name: "restore")],
                body: Array("<RestoreRequest><Days>0</Days></RestoreRequest>".utf8))
            #expect(badDays.status == 400)
        }
    }

    @Test func storageClassAndRestoreSurviveARestartOfTheDirectoryStore() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try OSSObjectStore(storage: .directory(directory))
        try first.createBucket("bkt")
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "x"), attributes: .init())
        let moved = try await first.transition(bucket: "bkt", key: "k", storageClass: "Archive")
        #expect(moved?.needsRestore(at: now) == true)
        #expect(try await first.restore(bucket: "bkt", key: "k", days: 1, now: now) == .restored)
        let second = try OSSObjectStore(storage: .directory(directory))
        try second.createBucket("bkt")
        let record = try #require(second.head(bucket: "bkt", key: "k"))
        #expect(record.attributes.storageClass == "Archive")
        #expect(record.restoredUntil == now.addingTimeInterval(86_400))
        #expect(!record.needsRestore(at: now))
    }
}

/// A settable clock for the emulator's `now`.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(by seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// Bit rot at rest: the stored byte changes, the recorded CRC-64 does not.
@Suite("Emulator: corruption at rest")
struct CorruptionTests {
    @Test(arguments: [false, true])
    func aFlippedByteKeepsTheWrittenCRC(directory: Bool) async throws {
        let path = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try OSSObjectStore(storage: directory ? .directory(path) : .memory)
        try store.createBucket("bkt")
        for part in ["hello ", "world"] {
            let position = store.head(bucket: "bkt", key: "k")?.length ?? 0
            _ = try await store.append(bucket: "bkt", key: "k", position: position, body: ByteBuffer(string: part), attributes: .init())
        }
        let before = try #require(store.head(bucket: "bkt", key: "k"))
        #expect(try await store.corrupt(bucket: "bkt", key: "k", at: 7))
        #expect(store.head(bucket: "bkt", key: "k") == before)
        let read = try #require(try await store.read(bucket: "bkt", key: "k"))
        #expect(String(buffer: read.body.reduce(into: ByteBuffer()) { $0.writeImmutableBuffer($1) }) == "hello wOrld")
        #expect(try await store.corrupt(bucket: "bkt", key: "missing", at: 0) == false)
    }
}
