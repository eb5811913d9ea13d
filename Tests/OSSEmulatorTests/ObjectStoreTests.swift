import Foundation
import NIOCore
import OSSSigning
import Testing
@testable import OSSEmulator

@Suite("OSSObjectStore semantics (memory and directory)")
struct ObjectStoreTests {
    static let storages: [String] = ["memory", "directory"]

    func makeStore(_ kind: String, maxObjectSize: UInt64 = OSSObjectStore.defaultMaxObjectSize) throws -> (OSSObjectStore, String?) {
        if kind == "memory" {
            let store = try OSSObjectStore(storage: .memory, maxObjectSize: maxObjectSize)
            try store.createBucket("bkt")
            return (store, nil)
        }
        let directory = try makeTemporaryDirectory()
        let store = try OSSObjectStore(storage: .directory(directory), maxObjectSize: maxObjectSize)
        try store.createBucket("bkt")
        return (store, directory)
    }

    func bytes(_ store: OSSObjectStore, _ key: String) async throws -> [UInt8]? {
        guard let result = try await store.read(bucket: "bkt", key: key) else { return nil }
        return result.body.flatMap { Array($0.readableBytesView) }
    }

    @Test(arguments: storages)
    func appendSequenceContinuesLengthAndCRC(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        var expected: [UInt8] = []
        for index in 0..<20 {
            let chunk = Array(repeating: UInt8(index), count: index * 37 + 1)
            let outcome = try await store.append(
                bucket: "bkt", key: "log", position: UInt64(expected.count), body: ByteBuffer(bytes: chunk),
                attributes: .init(contentType: "text/plain")
            )
            expected += chunk
            guard case .applied(let record, let created) = outcome else {
                Issue.record("append \(index) not applied: \(outcome)")
                return
            }
            #expect(created == (index == 0))
            #expect(record.length == UInt64(expected.count))
            #expect(record.crc64 == CRC64.checksum(expected))
        }
        #expect(try await bytes(store, "log") == expected)
        let head = try #require(store.head(bucket: "bkt", key: "log"))
        #expect(head.type == .appendable)
        #expect(head.attributes.contentType == "text/plain")
    }

    @Test(arguments: storages)
    func createTimeAttributesApplyOnlyOnCreate(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "a"),
                                   attributes: .init(contentType: "text/a", userMetadata: ["x": "1"]))
        _ = try await store.append(bucket: "bkt", key: "k", position: 1, body: ByteBuffer(string: "b"),
                                   attributes: .init(contentType: "text/b", userMetadata: ["x": "2"]))
        let head = try #require(store.head(bucket: "bkt", key: "k"))
        #expect(head.attributes.contentType == "text/a")
        #expect(head.attributes.userMetadata == ["x": "1"])
    }

    @Test(arguments: storages)
    func mismatchReportsCurrentLengthAndChangesNothing(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "hello"), attributes: .init())
        let before = store.head(bucket: "bkt", key: "k")
        let outcome = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "x"), attributes: .init())
        #expect(outcome == .positionMismatch(nextAppendPosition: 5))
        #expect(store.head(bucket: "bkt", key: "k") == before)
        #expect(try await bytes(store, "k") == Array("hello".utf8))
    }

    @Test(arguments: storages)
    func zeroByteAppendChangesNothing(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "abc"), attributes: .init(),
                                   now: Date(timeIntervalSince1970: 1000))
        let before = try #require(store.head(bucket: "bkt", key: "k"))
        let outcome = try await store.append(bucket: "bkt", key: "k", position: 3, body: ByteBuffer(), attributes: .init(),
                                             now: Date(timeIntervalSince1970: 2000))
        #expect(outcome == .applied(before, created: false))
        #expect(store.head(bucket: "bkt", key: "k") == before)
        #expect(before.crc64 == 3_231_342_946_509_354_535)
    }

    @Test(arguments: storages)
    func putReplacesAppendableWithNormal(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "abc"), attributes: .init())
        let record = try await store.put(bucket: "bkt", key: "k", body: ByteBuffer(string: ""), attributes: .init())
        #expect(record.type == .normal)
        #expect(record.etag == "D41D8CD98F00B204E9800998ECF8427E")
        #expect(record.contentMD5 == "1B2M2Y8AsgTpgAmY7PhCfg==")
        #expect(record.crc64 == 0)
        let outcome = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "x"), attributes: .init())
        #expect(outcome == .notAppendable)
        #expect(try await bytes(store, "k") == [])
    }

    @Test(arguments: storages)
    func sizeCapRejectsWithoutChange(kind: String) async throws {
        let (store, directory) = try makeStore(kind, maxObjectSize: 10)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "12345678"), attributes: .init())
        let outcome = try await store.append(bucket: "bkt", key: "k", position: 8, body: ByteBuffer(string: "abc"), attributes: .init())
        #expect(outcome == .tooLarge(currentLength: 8))
        #expect(store.head(bucket: "bkt", key: "k")?.length == 8)
    }

    @Test(arguments: storages)
    func racingAppendsAtOnePositionHaveExactlyOneWinner(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "base"), attributes: .init())
        for round in 0..<10 {
            let position = store.head(bucket: "bkt", key: "k")!.length
            let outcomes = try await withThrowingTaskGroup(of: OSSAppendOutcome.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        try await store.append(bucket: "bkt", key: "k", position: position,
                                               body: ByteBuffer(string: "r\(round)w\(writer);"), attributes: .init())
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let winners = outcomes.filter { if case .applied = $0 { return true } else { return false } }
            #expect(winners.count == 1, "round \(round): \(outcomes)")
            guard case .applied(let record, _)? = winners.first else { continue }
            #expect(outcomes.filter { $0 == .positionMismatch(nextAppendPosition: record.length) }.count == 7)
        }
        let all = try #require(try await bytes(store, "k"))
        #expect(store.head(bucket: "bkt", key: "k")?.crc64 == CRC64.checksum(all))
    }

    @Test(arguments: storages)
    func deleteAndListInByteOrder(kind: String) async throws {
        let (store, directory) = try makeStore(kind)
        defer { directory.map { try? FileManager.default.removeItem(atPath: $0) } }
        for key in ["b", "a+", "a b", "é", "Z", "a/"] {
            _ = try await store.put(bucket: "bkt", key: key, body: ByteBuffer(string: key), attributes: .init())
        }
        #expect(store.list(bucket: "bkt").map(\.key) == ["Z", "a b", "a+", "a/", "b", "é"])
        #expect(try await store.delete(bucket: "bkt", key: "a+"))
        #expect(try await store.delete(bucket: "bkt", key: "a+") == false)
        #expect(store.list(bucket: "bkt").map(\.key) == ["Z", "a b", "a/", "b", "é"])
    }

    @Test func foreignAppendBumpsLength() async throws {
        let (store, _) = try makeStore("memory")
        _ = try await store.append(bucket: "bkt", key: "k", position: 0, body: ByteBuffer(string: "abc"), attributes: .init())
        _ = try await store.foreignAppend(bucket: "bkt", key: "k", body: ByteBuffer(string: "zz"))
        let outcome = try await store.append(bucket: "bkt", key: "k", position: 3, body: ByteBuffer(string: "d"), attributes: .init())
        #expect(outcome == .positionMismatch(nextAppendPosition: 5))
    }

    @Test func memoryStoreReadsRangesAcrossChunks() async throws {
        let (store, _) = try makeStore("memory")
        var expected: [UInt8] = []
        for index in 0..<6 {
            // Alternate small (coalesced) and large (own chunk) bodies.
            let chunk = (0..<(index % 2 == 0 ? 100 : 300_000)).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            _ = try await store.append(bucket: "bkt", key: "k", position: UInt64(expected.count), body: ByteBuffer(bytes: chunk), attributes: .init())
            expected += chunk
        }
        for range in [0..<1, 50..<150, 99..<300_200, 300_050..<600_300, 0..<UInt64(expected.count)] as [Range<UInt64>] {
            let result = try #require(try await store.read(bucket: "bkt", key: "k", range: { _ in range }))
            let got = result.body.flatMap { Array($0.readableBytesView) }
            #expect(got == Array(expected[Int(range.lowerBound)..<Int(range.upperBound)]), "range \(range)")
        }
    }
}
