import Foundation
import NIOCore
import OSSSigning
import Synchronization
import Testing
@testable import OSSEmulator

/// A clock the test moves by hand, from the current second (requests are signed with the real time, and the
/// emulator allows 15 minutes of skew).
final class ManualClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

@Suite("Emulator: SealAppendObject and object tagging")
struct SealAndTaggingTests {
    static func seal(_ client: SignedClient, _ key: String, position: String?, bareSeal: Bool = false) async throws -> SignedClient.Reply {
        var query = [OSSQueryItem(name: "seal", value: bareSeal ? nil : "")]
        if let position { query.append(OSSQueryItem(name: "position", value: position)) }
        // What alibabacloud-oss-v2 sends: Content-Type application/xml and the MD5 of the empty body.
        return try await client.send("POST", bucket: "test-bucket", key: key, query: query,
                                     headers: ["content-type": "application/xml", "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="])
    }

    static func putTags(_ client: SignedClient, _ key: String, _ tags: [(String, String)]) async throws -> SignedClient.Reply {
        var xml = "<Tagging><TagSet>"
        for (k, v) in tags { xml += "<Tag><Key>\(XMLWriter.escape(k))</Key><Value>\(XMLWriter.escape(v))</Value></Tag>" }
        xml += "</TagSet></Tagging>"
        return try await client.send("PUT", bucket: "test-bucket", key: key, query: [OSSQueryItem(name: "tagging", value: "")],
                                     headers: ["content-type": "application/xml"], body: Array(xml.utf8))
    }

    @Test func sealAtTheLengthSetsTheTimeOnceAndRefusesAppends() async throws {
        let clock = ManualClock()
        try await withEmulator(now: { clock.now }) { server, client in
            _ = try await client.append("test-bucket", "s", position: 0, Array("abc".utf8))
            let before = try await client.send("HEAD", bucket: "test-bucket", key: "s")
            #expect(before.header("x-oss-sealed-time") == nil)
            clock.advance(300)
            let sealTime = OSSDateFormat.rfc1123(clock.now)

            let wrong = try await Self.seal(client, "s", position: "2")
            #expect(wrong.status == 409)
            #expect(wrong.xmlValue("Code") == "PositionNotEqualToLength")
            #expect(wrong.xmlValue("EC") == "0026-00000016")
            #expect(wrong.header("x-oss-next-append-position") == "3")
            #expect(server.store.head(bucket: "test-bucket", key: "s")?.sealedTime == nil)

            let sealed = try await Self.seal(client, "s", position: "3")
            #expect(sealed.status == 200)
            #expect(sealed.body.isEmpty)
            #expect(sealed.header("x-oss-sealed-time") == sealTime)
            #expect(sealed.header("x-oss-object-type") == "Appendable")
            #expect(sealed.header("etag") == before.header("etag"))
            #expect(sealed.header("last-modified") == before.header("last-modified"))

            clock.advance(60)
            let again = try await Self.seal(client, "s", position: "3", bareSeal: true)
            #expect(again.status == 200)
            #expect(again.header("x-oss-sealed-time") == sealTime)

            for head in [try await client.send("HEAD", bucket: "test-bucket", key: "s"),
                         try await client.send("GET", bucket: "test-bucket", key: "s")] {
                #expect(head.header("x-oss-sealed-time") == sealTime)
                #expect(head.header("x-oss-object-type") == "Appendable")
                #expect(head.header("last-modified") == before.header("last-modified"))
                #expect(head.header("content-length") == "3")
            }
            for position: UInt64 in [3, 0, 7] {
                let append = try await client.append("test-bucket", "s", position: position, Array("d".utf8))
                #expect(append.status == 409)
                #expect(append.xmlValue("Code") == "AppendSealedObjectNotAllowed")
            }
            #expect(server.store.head(bucket: "test-bucket", key: "s")?.length == 3)
            // A different position on a sealed object is still a length mismatch.
            #expect(try await Self.seal(client, "s", position: "4").xmlValue("Code") == "PositionNotEqualToLength")
        }
    }

    @Test func sealErrors() async throws {
        try await withEmulator { _, client in
            let missing = try await Self.seal(client, "nope", position: "0")
            #expect(missing.status == 404)
            #expect(missing.xmlValue("Code") == "NoSuchKey")
            _ = try await client.send("PUT", bucket: "test-bucket", key: "normal", body: Array("x".utf8))
            let normal = try await Self.seal(client, "normal", position: "1")
            #expect(normal.status == 409)
            #expect(normal.xmlValue("Code") == "AppendSealedObjectNotAllowed")
            _ = try await client.append("test-bucket", "a", position: 0, [1])
            let noPosition = try await Self.seal(client, "a", position: nil)
            #expect(noPosition.status == 400)
            #expect(noPosition.xmlValue("Code") == "MissingArgument")
            let badPosition = try await Self.seal(client, "a", position: "one")
            #expect(badPosition.status == 400)
            #expect(badPosition.xmlValue("Code") == "InvalidArgument")
            let noBucket = try await client.send("POST", bucket: "no-such-bucket", key: "a",
                                                 query: [OSSQueryItem(name: "seal"), OSSQueryItem(name: "position", value: "1")])
            #expect(noBucket.status == 404)
            #expect(noBucket.xmlValue("Code") == "NoSuchBucket")
        }
    }

    @Test func faultsCanTargetSealRequestsOnly() async throws {
        try await withEmulator { server, client in
            server.faults.failNext(1, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST", query: "seal"))
            let append = try await client.append("test-bucket", "a", position: 0, [1])
            #expect(append.status == 200)
            let refused = try await Self.seal(client, "a", position: "1")
            #expect(refused.status == 503)
            let sealed = try await Self.seal(client, "a", position: "1")
            #expect(sealed.status == 200)
        }
    }

    @Test func sealDisabledAnswersOperationNotSupported() async throws {
        try await withEmulator(sealEnabled: false) { server, client in
            _ = try await client.append("test-bucket", "a", position: 0, [1])
            let reply = try await Self.seal(client, "a", position: "1")
            #expect(reply.status == 400)
            #expect(reply.xmlValue("Code") == "OperationNotSupported")
            #expect(reply.xmlValue("Message") == "SealAppendable is not supported.")
            #expect(reply.xmlValue("EC") == "0016-00000513")
            #expect(server.store.head(bucket: "test-bucket", key: "a")?.sealedTime == nil)
            #expect(try await client.append("test-bucket", "a", position: 1, [2]).status == 200)
        }
    }

    @Test func taggingReplacesTagsWithoutTouchingLastModified() async throws {
        let clock = ManualClock()
        try await withEmulator(now: { clock.now }) { _, client in
            _ = try await client.append("test-bucket", "t", position: 0, [1], headers: ["x-oss-tagging": "owner=sink&a%20b=c%2Fd"])
            let created = try await client.send("GET", bucket: "test-bucket", key: "t", query: [OSSQueryItem(name: "tagging")])
            #expect(created.status == 200)
            #expect(created.text.hasSuffix("<Tagging><TagSet><Tag><Key>owner</Key><Value>sink</Value></Tag><Tag><Key>a b</Key><Value>c/d</Value></Tag></TagSet></Tagging>"))
            // Tags on later appends are ignored.
            _ = try await client.append("test-bucket", "t", position: 1, [2], headers: ["x-oss-tagging": "x=y"])
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "t").header("x-oss-tagging-count") == "2")
            let before = try await client.send("HEAD", bucket: "test-bucket", key: "t")
            clock.advance(120)

            let put = try await Self.putTags(client, "t", [("segment.first-offset", "0"), ("k", ""), ("+-=._:/ ", "v")])
            #expect(put.status == 200)
            let got = try await client.send("GET", bucket: "test-bucket", key: "t", query: [OSSQueryItem(name: "tagging")])
            #expect(got.text.contains("<Tag><Key>segment.first-offset</Key><Value>0</Value></Tag><Tag><Key>k</Key><Value></Value></Tag>"))
            #expect(!got.text.contains("owner"))
            let head = try await client.send("HEAD", bucket: "test-bucket", key: "t")
            #expect(head.header("x-oss-tagging-count") == "3")
            #expect(head.header("last-modified") == before.header("last-modified"))
            #expect(head.header("etag") == before.header("etag"))

            // Sealed objects take tags too.
            #expect(try await Self.seal(client, "t", position: "2").status == 200)
            #expect(try await Self.putTags(client, "t", [("sealed", "true")]).status == 200)

            let deleted = try await client.send("DELETE", bucket: "test-bucket", key: "t", query: [OSSQueryItem(name: "tagging")])
            #expect(deleted.status == 204)
            let empty = try await client.send("GET", bucket: "test-bucket", key: "t", query: [OSSQueryItem(name: "tagging")])
            #expect(empty.text.hasSuffix("<Tagging><TagSet></TagSet></Tagging>"))
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "t").header("x-oss-tagging-count") == nil)
        }
    }

    @Test func taggingLimits() async throws {
        try await withEmulator { _, client in
            _ = try await client.append("test-bucket", "t", position: 0, [1])
            let eleven = (0..<11).map { ("k\($0)", "v") }
            let cases: [([(String, String)], String)] = [
                (eleven, "0010-00000218"),
                ([("a", "1"), ("a", "2")], "0010-00000218"),
                ([(String(repeating: "k", count: 129), "v")], "0010-00000209"),
                ([("", "v")], "0010-00000209"),
                ([("k", String(repeating: "v", count: 257))], "0010-00000217"),
                ([("k%", "v")], "0010-00000217"),
                ([("k", "v?")], "0010-00000217"),
            ]
            for (tags, ec) in cases {
                let reply = try await Self.putTags(client, "t", tags)
                #expect(reply.status == 400)
                #expect(reply.xmlValue("Code") == "InvalidTag")
                #expect(reply.xmlValue("EC") == ec)
            }
            #expect(try await Self.putTags(client, "t", [(String(repeating: "k", count: 128), String(repeating: "v", count: 256))]).status == 200)
            let malformed = try await client.send("PUT", bucket: "test-bucket", key: "t", query: [OSSQueryItem(name: "tagging")],
                                                  body: Array("<Tags/>".utf8))
            #expect(malformed.xmlValue("Code") == "MalformedXML")
            let missing = try await Self.putTags(client, "nope", [("a", "b")])
            #expect(missing.status == 404)
            #expect(missing.xmlValue("Code") == "NoSuchKey")
            let badHeader = try await client.append("test-bucket", "u", position: 0, [1], headers: ["x-oss-tagging": "aa=bb=cc"])
            #expect(badHeader.status == 400)
            #expect(badHeader.xmlValue("EC") == "0010-00000219")
        }
    }

    @Test func sealAndTagsSurviveARestartOfTheDirectoryStore() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try OSSObjectStore(storage: .directory(directory))
        try first.createBucket("bkt")
        _ = try await first.append(bucket: "bkt", key: "k", position: 0, body: .init(string: "abc"), attributes: .init())
        _ = try await first.setTagging(bucket: "bkt", key: "k", tagging: "a=1")
        let outcome = try await first.seal(bucket: "bkt", key: "k", position: 3, now: Date(timeIntervalSince1970: 1_000.5))
        #expect(outcome == .sealed(try #require(first.head(bucket: "bkt", key: "k")), first: true))

        let second = try OSSObjectStore(storage: .directory(directory))
        try second.createBucket("bkt")
        let record = try #require(second.head(bucket: "bkt", key: "k"))
        #expect(record.sealedTime == Date(timeIntervalSince1970: 1_000))
        #expect(record.attributes.tagging == "a=1")
        #expect(try await second.append(bucket: "bkt", key: "k", position: 3, body: .init(string: "d"), attributes: .init()) == .sealed)
    }
}
