import Foundation
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning
import Testing

/// The client against the project's OSS emulator (real V1/V4 verification, real append semantics,
/// fault injection), on 127.0.0.1 with a free port.
@Suite("Client against the OSS emulator")
struct EmulatorIntegrationTests {
    static let bucket = "sink-bucket"

    func withEmulator<T>(
        signatureVersion: OSSSignatureVersion = .v4, secret: String = TestSecrets.accessKeySecret, bucket: String = Self.bucket,
        sts: Bool = false, retry: OSSRetryPolicy = SleepRecorder().policy(),
        _ body: (OSSClient, OSSEmulatorServer) async throws -> T
    ) async throws -> T {
        try await withEmulatorClient(signatureVersion: signatureVersion, secret: secret, bucket: bucket, sts: sts, retry: retry, body)
    }

    @Test("Every operation round-trips, signed with V4, V1 and an STS token", arguments: [
        (OSSSignatureVersion.v4, false), (.v1, false), (.v4, true), (.v1, true),
    ])
    func roundTrip(version: OSSSignatureVersion, sts: Bool) async throws {
        try await withEmulator(signatureVersion: version, sts: sts) { client, _ in
            let key = "events/0/2024 01+é%.jsonl"
            let a = Array("{\"offset\":1}\n".utf8)
            let b = Array("{\"offset\":2}\n".utf8)
            let first = try await client.appendObject(
                key: key, position: 0, bytes: a, previousCRC: 0,
                create: OSSCreateOptions(contentType: "application/x-ndjson", metadata: ["topic": "events"], tags: ["t": "1"]))
            let second = try await client.appendObject(key: key, position: first.nextPosition, bytes: b, previousCRC: first.crc64)
            #expect(second.nextPosition == UInt64(a.count + b.count))
            #expect(second.crc64 == CRC64.checksum(a + b))

            let head = try await client.headObject(key: key)
            #expect(head.objectType == .appendable)
            #expect(head.contentLength == UInt64(a.count + b.count))
            #expect(head.nextAppendPosition == second.nextPosition)
            #expect(head.crc64 == second.crc64)
            #expect(head.userMetadata["topic"] == "events")
            #expect(head.contentType == "application/x-ndjson")

            let whole = try await client.getObject(key: key)
            #expect(Array(whole.body.readableBytesView) == a + b)
            let tail = try await client.getObject(key: key, range: .from(UInt64(a.count)))
            #expect(Array(tail.body.readableBytesView) == b)
            #expect(tail.statusCode == 206)

            _ = try await client.putObject(key: "plain/x y.txt", bytes: Array("hello".utf8))
            let listing = try await client.listAllObjects(prefix: "")
            #expect(listing.objects.map(\.key) == [key, "plain/x y.txt"])
            let grouped = try await client.listObjectsV2(delimiter: "/")
            #expect(grouped.commonPrefixes == ["events/", "plain/"])

            let info = try await client.getBucketInfo()
            #expect(info.name == Self.bucket)

            try await client.deleteObject(key: key)
            await #expect { _ = try await client.headObject(key: key) } throws: { ($0 as? OSSError)?.code == .noSuchKey }
        }
    }

    @Test("Paging through more keys than one page")
    func paging() async throws {
        try await withEmulator { client, _ in
            for index in 0..<7 {
                _ = try await client.putObject(key: "p/\(index)", bytes: [UInt8(index)])
            }
            var pages = 0
            let seen = try await client.forEachListPage(prefix: "p/", pageSize: 3) { _ in pages += 1 }
            #expect(seen == 7)
            #expect(pages == 3)
        }
    }

    @Test("Lost append response (applied, connection dropped): landedEarlier, bytes present exactly once")
    func lostAppend() async throws {
        try await withEmulator { client, server in
            let a = Array("aaaa".utf8)
            let b = Array("bbbbbb".utf8)
            let first = try await client.appendObject(key: "seg", position: 0, bytes: a, previousCRC: 0)
            server.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST"))
            let outcome = await client.appendExactlyOnce(
                key: "seg", position: first.nextPosition, data: ByteBuffer(bytes: b), previousCRC: first.crc64)
            guard case .landedEarlier(let result) = outcome else {
                Issue.record("expected landedEarlier, got \(outcome)")
                return
            }
            #expect(result.crc64 == CRC64.checksum(a + b))
            #expect(server.faults.injected.droppedAfterApply == 1)
            let content = try await client.getObject(key: "seg")
            #expect(Array(content.body.readableBytesView) == a + b)
        }
    }

    @Test("A byte array body of several chunks: streamed again on each retry, lost response resolved, bytes intact")
    func chunkedBytesBody() async throws {
        try await withEmulator { client, server in
            var rng = SystemRandomNumberGenerator()
            let a = (0..<(3 * OSSBody.chunkBytes + 123)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let b = (0..<(2 * OSSBody.chunkBytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            server.faults.failNext(1, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST"))
            let first = await client.appendExactlyOnce(key: "big", position: 0, body: .bytes(a), previousCRC: 0)
            #expect(first.success?.attempts == 2)
            let crc = try #require(first.success?.crc64)
            #expect(crc == CRC64.checksum(a))
            server.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST"))
            let second = await client.appendExactlyOnce(key: "big", position: UInt64(a.count), body: .bytes(b), previousCRC: crc)
            guard case .landedEarlier(let result) = second else {
                Issue.record("expected landedEarlier, got \(second)")
                return
            }
            #expect(result.crc64 == CRC64.checksum(a + b))
            let stored = try await client.getObject(key: "big")
            #expect(Array(stored.body.readableBytesView) == a + b)
        }
    }

    @Test("A body of array slices: sent back to back (slices cut from the middle of arrays, empty ones, several chunks long), again on a retry")
    func slicesBody() async throws {
        try await withEmulator { client, server in
            var rng = SystemRandomNumberGenerator()
            let big = (0..<(2 * OSSBody.chunkBytes + 500)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let small = Array("a small piece\n".utf8)
            let slices: [ArraySlice<UInt8>] = [big[7..<(2 * OSSBody.chunkBytes + 9)], small[...], small[2..<2], big[..<3], small[5...]]
            let joined = slices.flatMap { $0 }
            #expect(OSSBody.slices(slices).count == joined.count)
            #expect(OSSBody.slices(slices).crc64(continuing: 0) == CRC64.checksum(joined))
            server.faults.failNext(1, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST"))
            let outcome = await client.appendExactlyOnce(key: "sliced", position: 0, body: .slices(slices), previousCRC: 0)
            #expect(outcome.success?.attempts == 2)
            #expect(outcome.success?.crc64 == CRC64.checksum(joined))
            let stored = try await client.getObject(key: "sliced")
            #expect(Array(stored.body.readableBytesView) == joined)
        }
    }

    @Test("503 before applying: retried, appended once")
    func serviceUnavailable() async throws {
        try await withEmulator { client, server in
            server.faults.failNext(2, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST"))
            let outcome = await client.appendExactlyOnce(key: "seg", position: 0, data: ByteBuffer(bytes: Array("x".utf8)), previousCRC: 0)
            #expect(outcome.success?.attempts == 3)
            let stored = try await client.getObject(key: "seg")
            #expect(Array(stored.body.readableBytesView) == Array("x".utf8))
        }
    }

    @Test("Another writer appended: fenced with the object's length")
    func fenced() async throws {
        try await withEmulator { client, server in
            let first = try await client.appendObject(key: "seg", position: 0, bytes: Array("mine".utf8), previousCRC: 0)
            try await server.foreignAppend(bucket: Self.bucket, key: "seg", bytes: Array("theirs".utf8))
            let outcome = await client.appendExactlyOnce(
                key: "seg", position: first.nextPosition, data: ByteBuffer(bytes: Array("more".utf8)), previousCRC: first.crc64)
            guard case .fenced(let next, _) = outcome else {
                Issue.record("expected fenced, got \(outcome)")
                return
            }
            #expect(next == 10)
        }
    }

    @Test("Appending to a normal object: notAppendable")
    func notAppendable() async throws {
        try await withEmulator { client, _ in
            _ = try await client.putObject(key: "seg", bytes: Array("normal".utf8))
            let outcome = await client.appendExactlyOnce(key: "seg", position: 6, data: ByteBuffer(bytes: Array("x".utf8)), previousCRC: 0)
            guard case .notAppendable = outcome else {
                Issue.record("expected notAppendable, got \(outcome)")
                return
            }
        }
    }

    @Test("Wrong secret: one line naming SignatureDoesNotMatch and the secret to fix; configurationError for appends")
    func wrongSecret() async throws {
        try await withEmulator(secret: "not-the-secret") { client, _ in
            let outcome = await client.appendExactlyOnce(key: "k", position: 0, data: ByteBuffer(bytes: [1]), previousCRC: 0)
            guard case .configurationError(let error) = outcome else {
                Issue.record("expected configurationError, got \(outcome)")
                return
            }
            #expect(error.code == .signatureDoesNotMatch)
            #expect(error.description.contains("access key secret is wrong"))
            #expect(!error.description.contains("\n"))
            #expect(!error.description.contains("not-the-secret"))
        }
    }

    @Test("Missing bucket: one line naming the bucket and oss.bucket")
    func missingBucket() async throws {
        _ = try await withEmulator(bucket: "no-such-bucket") { client, _ in
            await #expect {
                _ = try await client.getBucketInfo()
            } throws: { error in
                guard let error = error as? OSSError else { return false }
                return error.code == .noSuchBucket && error.description.hasPrefix("bucket 'no-such-bucket' does not exist")
                    && error.description.contains("oss.bucket")
            }
        }
    }
}
