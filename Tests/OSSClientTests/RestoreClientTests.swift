import Foundation
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning
import Testing

/// RestoreObject through the client, against the emulator (which restores at once).
@Suite("Client: RestoreObject")
struct RestoreClientTests {
    @Test("an Archive segment: GET refused, restore started, then read; a second restore extends", arguments: [OSSSignatureVersion.v4, .v1])
    func archiveObjectIsReadAfterARestore(version: OSSSignatureVersion) async throws {
        try await withEmulatorClient(signatureVersion: version) { client, _ in
            let key = "events/0/seg 1+é.jsonl"
            let bytes = Array("{\"offset\":0}\n".utf8)
            _ = try await client.appendObject(key: key, position: 0, bytes: bytes, previousCRC: 0,
                                              create: OSSCreateOptions(storageClass: "Archive"))
            #expect(try await client.headObject(key: key).storageClass == "Archive")
            await #expect { try await client.getObject(key: key, range: .bounded(first: 0, last: 3)) } throws: { error in
                guard let error = error as? OSSError else { return false }
                return error.code == .invalidObjectState && error.statusCode == 403 && !error.isRetryable && !error.isConfigurationError
            }
            #expect(try await client.restoreObject(key: key) == .started)
            var read = try await client.getObject(key: key, range: .bounded(first: 0, last: 3))
            #expect(read.body.readString(length: read.body.readableBytes) == "{\"of")
            #expect(try await client.restoreObject(key: key, days: 2) == .restored)
        }
    }

    @Test("a restore still running, a missing object, an object not in cold storage")
    func otherAnswers() async throws {
        try await withEmulatorClient(signatureVersion: .v4) { client, server in
            _ = try await client.appendObject(key: "hot", position: 0, bytes: [1], previousCRC: 0)
            server.faults.failNext(1, status: 409, code: "RestoreAlreadyInProgress", match: OSSFaultMatch(method: "POST", query: "restore"))
            #expect(try await client.restoreObject(key: "hot") == .inProgress)
            await #expect { try await client.restoreObject(key: "hot") } throws: { error in
                (error as? OSSError).map { $0.code == .operationNotSupported && $0.statusCode == 400 } ?? false
            }
            await #expect { try await client.restoreObject(key: "missing") } throws: { error in
                (error as? OSSError)?.code == .noSuchKey
            }
        }
    }
}
