import Foundation
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning
import Testing

/// SealAppendObject and object tagging through the client, against the emulator.
@Suite("Client: SealAppendObject and object tagging")
struct SealAndTaggingClientTests {

    func withEmulator<T>(
        signatureVersion: OSSSignatureVersion = .v4, sealEnabled: Bool = true,
        _ body: (OSSClient, OSSEmulatorServer) async throws -> T
    ) async throws -> T {
        try await withEmulatorClient(signatureVersion: signatureVersion, sealEnabled: sealEnabled, body)
    }

    @Test("seal at the length, sealed time on HEAD and GET, tags round-trip", arguments: [OSSSignatureVersion.v4, .v1])
    func sealAndTags(version: OSSSignatureVersion) async throws {
        try await withEmulator(signatureVersion: version) { client, _ in
            let key = "events/0/seg 1+é.jsonl"
            let bytes = Array("{\"offset\":0}\n".utf8)
            _ = try await client.appendObject(key: key, position: 0, bytes: bytes, previousCRC: 0,
                                              create: OSSCreateOptions(tags: ["team": "data"]))
            #expect(try await client.headObject(key: key).sealedTime == nil)
            #expect(try await client.getObjectTagging(key: key) == [OSSTag(key: "team", value: "data")])

            let sealed = try await client.sealAppendObject(key: key, position: UInt64(bytes.count))
            let time = try #require(sealed.sealedTime)
            let again = try await client.sealAppendObject(key: key, position: UInt64(bytes.count))
            #expect(again.sealedTime == time)
            let head = try await client.headObject(key: key)
            #expect(head.sealedTime == time && head.isSealed)
            #expect(head.objectType == .appendable && head.contentLength == UInt64(bytes.count))
            #expect(try await client.getObject(key: key).metadata.sealedTime == time)

            let tags = [OSSTag(key: "team", value: "data"), OSSTag(key: "segment.first-offset", value: "0"),
                        OSSTag(key: "a b", value: "x+y/z:=")]
            try await client.putObjectTagging(key: key, tags: tags)
            #expect(try await client.getObjectTagging(key: key) == tags)
            #expect(try await client.headObject(key: key).taggingCount == 3)
            try await client.deleteObjectTagging(key: key)
            #expect(try await client.getObjectTagging(key: key).isEmpty)
        }
    }

    @Test func sealErrorsCarryTheirCodes() async throws {
        try await withEmulator { client, _ in
            _ = try await client.appendObject(key: "a", position: 0, bytes: [1, 2, 3], previousCRC: 0)
            await #expect { try await client.sealAppendObject(key: "a", position: 2) } throws: { error in
                let error = error as! OSSError
                return error.code == .positionNotEqualToLength && error.nextAppendPosition == 3 && error.statusCode == 409
            }
            await #expect { try await client.sealAppendObject(key: "missing", position: 0) } throws: { error in
                (error as! OSSError).code == .noSuchKey
            }
            _ = try await client.putObject(key: "normal", bytes: [1])
            await #expect { try await client.sealAppendObject(key: "normal", position: 1) } throws: { error in
                (error as! OSSError).code == .appendSealedObjectNotAllowed
            }
            await #expect { try await client.putObjectTagging(key: "a", tags: [OSSTag(key: "bad%", value: "v")]) } throws: { error in
                let error = error as! OSSError
                return error.code == "InvalidTag" && error.statusCode == 400
            }
        }
    }

    @Test func sealNotEnabledNamesTheFix() async throws {
        try await withEmulator(sealEnabled: false) { client, _ in
            _ = try await client.appendObject(key: "a", position: 0, bytes: [1], previousCRC: 0)
            await #expect { try await client.sealAppendObject(key: "a", position: 1) } throws: { error in
                let error = error as! OSSError
                return error.code == .operationNotSupported && error.statusCode == 400
                    && error.description.contains("sink.rollover.seal: false") && error.message == "SealAppendable is not supported."
            }
        }
    }

    @Test func sealIsRetriedAndIdempotentAcrossALostResponse() async throws {
        try await withEmulator { client, server in
            _ = try await client.appendObject(key: "a", position: 0, bytes: [1, 2], previousCRC: 0)
            server.faults.failNext(1, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST"))
            server.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST"))
            let result = try await client.sealAppendObject(key: "a", position: 2)
            #expect(server.faults.injected.failed == 1 && server.faults.injected.droppedAfterApply == 1)
            #expect(result.sealedTime == server.store.head(bucket: "sink-bucket", key: "a")?.sealedTime.map {
                Date(timeIntervalSince1970: $0.timeIntervalSince1970)
            })
        }
    }

    @Test func appendsToASealedObjectAreClassifiedSealedUnlessTheyLandedBeforeTheSeal() async throws {
        try await withEmulator { client, _ in
            let first = Array("one\n".utf8)
            let second = Array("two\n".utf8)
            _ = try await client.appendObject(key: "s", position: 0, bytes: first, previousCRC: 0)
            // Our second append landed (its response lost), then the object was sealed at the new length.
            let landed = try await client.appendObject(key: "s", position: UInt64(first.count), bytes: second, previousCRC: CRC64.checksum(first))
            _ = try await client.sealAppendObject(key: "s", position: landed.nextPosition)
            let retried = await client.appendExactlyOnce(
                key: "s", position: UInt64(first.count), data: ByteBuffer(bytes: second), previousCRC: CRC64.checksum(first),
                earlierAttemptMayHaveLanded: true)
            guard case .landedEarlier(let result) = retried else {
                Issue.record("expected landedEarlier, got \(retried)")
                return
            }
            #expect(result.nextPosition == landed.nextPosition)
            // Anything else on a sealed object is refused as sealed.
            let refused = await client.appendExactlyOnce(
                key: "s", position: landed.nextPosition, data: ByteBuffer(bytes: Array("three\n".utf8)), previousCRC: landed.crc64)
            guard case .sealed(let error) = refused else {
                Issue.record("expected sealed, got \(refused)")
                return
            }
            #expect(error.code == .appendSealedObjectNotAllowed && refused.label == "sealed")
            let stale = await client.appendExactlyOnce(
                key: "s", position: UInt64(first.count), data: ByteBuffer(bytes: Array("TWO\n".utf8)), previousCRC: CRC64.checksum(first),
                earlierAttemptMayHaveLanded: true)
            guard case .sealed = stale else {
                Issue.record("expected sealed, got \(stale)")
                return
            }
        }
    }
}

@Suite("Client: reading objects in cold storage")
struct ColdStorageMessageTests {
    @Test func invalidObjectStateSaysTheObjectNeedsARestore() {
        let error = OSSError(
            code: .invalidObjectState, statusCode: 403, message: "The operation is not valid for the object's state",
            requestId: "5C3D9175B6FC201293AD****",
            context: OSSError.Context(operation: "GetObject", bucket: "archive", key: "events/0/seg.jsonl"))
        #expect(error.description.hasPrefix("OSS refused GetObject on oss://archive/events/0/seg.jsonl (InvalidObjectState"))
        #expect(error.description.contains("must be restored before it can be read (RestoreObject;"))
        #expect(!error.description.contains("\n"))
    }
}
