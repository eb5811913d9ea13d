import NIOCore
import OSSClient
import OSSSigning
import SinkTesting
import Testing

@Suite("appendExactlyOnce: outcome classification per the append outcomes of docs/architecture.md")
struct AppendOutcomeTests {
    let first = Array("first-chunk|".utf8)
    let second = Array("second-chunk|".utf8)

    /// Appends `first`, then `second` with `fault` injected on the second append.
    func appendSecond(with fault: FakeBucket.Fault) async throws -> (OSSAppendOutcome, FakeBucket, Int) {
        let bucket = FakeBucket(bucket: "examplebucket")
        let server = try await ScriptedServer.start { bucket.handle($0) }
        let (outcome, count) = try await withClient(server) { client in
            let one = try await client.appendObject(key: "seg", position: 0, bytes: first, previousCRC: 0)
            bucket.inject(fault)
            let outcome = await client.appendExactlyOnce(
                key: "seg", position: one.nextPosition, data: ByteBuffer(bytes: second), previousCRC: one.crc64)
            return (outcome, server.requests.count)
        }
        return (outcome, bucket, count)
    }

    @Test("Server applies the append then drops the connection: resolved as landedEarlier, bytes present once")
    func lostResponseDropped() async throws {
        let (outcome, bucket, requests) = try await appendSecond(with: .applyThenDrop)
        guard case .landedEarlier(let result) = outcome else {
            Issue.record("expected landedEarlier, got \(outcome)")
            return
        }
        #expect(bucket.object("seg")?.bytes == first + second)
        #expect(result.nextPosition == UInt64(first.count + second.count))
        #expect(result.crc64 == CRC64.checksum(first + second))
        #expect(requests == 4, "append, lost append, retried append (409), HEAD")
    }

    @Test("Server applies the append then answers 503: resolved as landedEarlier, bytes present once")
    func lostResponse503() async throws {
        let (outcome, bucket, _) = try await appendSecond(with: .applyThen503)
        guard case .landedEarlier(let result) = outcome else {
            Issue.record("expected landedEarlier, got \(outcome)")
            return
        }
        #expect(bucket.object("seg")?.bytes == first + second)
        #expect(result.crc64 == CRC64.checksum(first + second))
    }

    @Test("503 without applying: the retry appends, bytes present once")
    func transientNotApplied() async throws {
        let (outcome, bucket, _) = try await appendSecond(with: .fail503)
        guard case .appended(let result) = outcome else {
            Issue.record("expected appended, got \(outcome)")
            return
        }
        #expect(result.attempts == 2)
        #expect(bucket.object("seg")?.bytes == first + second)
    }

    @Test("409 on a first attempt is another writer: fenced with the server's next position")
    func fencedFirstAttempt() async throws {
        let bucket = FakeBucket(bucket: "examplebucket")
        bucket.store("seg", bytes: Array("someone else wrote this".utf8), type: "Appendable")
        let server = try await ScriptedServer.start { bucket.handle($0) }
        let outcome = try await withClient(server) { client in
            await client.appendExactlyOnce(key: "seg", position: 0, data: ByteBuffer(bytes: first), previousCRC: 0)
        }
        guard case .fenced(let next, let error) = outcome else {
            Issue.record("expected fenced, got \(outcome)")
            return
        }
        #expect(next == 23)
        #expect(error.nextAppendPosition == 23)
        #expect(error.code == .positionNotEqualToLength)
        #expect(server.requests.count == 1, "no HEAD without an ambiguous attempt")
    }

    @Test("409 after an ambiguous attempt, same length but different bytes (CRC differs): fenced")
    func fencedSameLengthOtherBytes() async throws {
        let bucket = FakeBucket(bucket: "examplebucket")
        let server = try await ScriptedServer.start { request in
            // The first append attempt fails with 503 but meanwhile another writer appends the same length.
            if request.method == "POST", bucket.object("seg") == nil {
                bucket.store("seg", bytes: Array("X".utf8) + Array(repeating: UInt8(ascii: "Z"), count: 11), type: "Appendable")
                return FakeBucket.error(503, "ServiceUnavailable", "busy")
            }
            return bucket.handle(request)
        }
        let outcome = try await withClient(server) { client in
            await client.appendExactlyOnce(key: "seg", position: 0, data: ByteBuffer(bytes: first), previousCRC: 0)
        }
        guard case .fenced(let next, _) = outcome else {
            Issue.record("expected fenced, got \(outcome)")
            return
        }
        #expect(next == 12)
        #expect(server.requests.map(\.method) == ["POST", "POST", "HEAD"])
    }

    @Test("An unresolved earlier call carries its ambiguity into the next call")
    func ambiguityAcrossCalls() async throws {
        let bucket = FakeBucket(bucket: "examplebucket")
        let server = try await ScriptedServer.start { bucket.handle($0) }
        let (firstOutcome, secondOutcome) = try await withClient(server, retry: SleepRecorder().policy(maxAttempts: 1)) { client in
            bucket.inject(.applyThenDrop)
            let a = await client.appendExactlyOnce(key: "seg", position: 0, data: ByteBuffer(bytes: first), previousCRC: 0)
            guard case .unresolved(_, let mayHaveLanded) = a else { return (a, a) }
            let b = await client.appendExactlyOnce(
                key: "seg", position: 0, data: ByteBuffer(bytes: first), previousCRC: 0,
                earlierAttemptMayHaveLanded: mayHaveLanded)
            return (a, b)
        }
        guard case .unresolved(let error, true) = firstOutcome else {
            Issue.record("expected unresolved(mayHaveLanded: true), got \(firstOutcome)")
            return
        }
        #expect(error.isRetryable)
        guard case .landedEarlier = secondOutcome else {
            Issue.record("expected landedEarlier, got \(secondOutcome)")
            return
        }
        #expect(bucket.object("seg")?.bytes == first)
    }

    @Test("409 ObjectNotAppendable: notAppendable")
    func notAppendable() async throws {
        let bucket = FakeBucket(bucket: "examplebucket")
        bucket.store("seg", bytes: Array("normal".utf8), type: "Normal")
        let server = try await ScriptedServer.start { bucket.handle($0) }
        let outcome = try await withClient(server) { client in
            await client.appendExactlyOnce(key: "seg", position: 6, data: ByteBuffer(bytes: first), previousCRC: 0)
        }
        guard case .notAppendable(let error) = outcome else {
            Issue.record("expected notAppendable, got \(outcome)")
            return
        }
        #expect(error.code == .objectNotAppendable)
    }

    @Test("200 with a wrong CRC or next position: integrity error")
    func integrityMismatch() async throws {
        let wrongCRC = try await ScriptedServer.sequence([
            .ok(headers: [("x-oss-next-append-position", "3"), ("x-oss-hash-crc64ecma", "12345")])
        ])
        let outcome = try await withClient(wrongCRC) { client in
            await client.appendExactlyOnce(key: "k", position: 0, data: ByteBuffer(bytes: Array("abc".utf8)), previousCRC: 0)
        }
        guard case .integrityMismatch(let error) = outcome else {
            Issue.record("expected integrityMismatch, got \(outcome)")
            return
        }
        #expect(error.code == .integrityMismatch)
        #expect(error.description.contains("3231342946509354535"))
        #expect(wrongCRC.requests.count == 1, "integrity failures are not retried")

        let wrongPosition = try await ScriptedServer.sequence([
            .ok(headers: [("x-oss-next-append-position", "4"), ("x-oss-hash-crc64ecma", "3231342946509354535")])
        ])
        await #expect {
            try await withClient(wrongPosition) { client in
                try await client.appendObject(key: "k", position: 0, bytes: Array("abc".utf8), previousCRC: 0)
            }
        } throws: { error in
            guard let error = error as? OSSError else { return false }
            return error.code == .integrityMismatch && error.description.contains("next append position 4")
        }
    }

    @Test("403 / 404 / other 4xx: configurationError", arguments: [
        (403, "AccessDenied"), (404, "NoSuchBucket"), (403, "SignatureDoesNotMatch"), (400, "InvalidArgument"),
        (409, "FileImmutable"),
    ])
    func configurationErrors(status: Int, code: String) async throws {
        let server = try await ScriptedServer.sequence([FakeBucket.error(status, code, "no")])
        let outcome = try await withClient(server) { client in
            await client.appendExactlyOnce(key: "k", position: 0, data: ByteBuffer(bytes: Array("abc".utf8)), previousCRC: 0)
        }
        guard case .configurationError(let error) = outcome else {
            Issue.record("expected configurationError, got \(outcome)")
            return
        }
        #expect(error.code == OSSError.Code(code))
    }

    @Test("Retries exhausted on 5xx: unresolved, may have landed")
    func unresolved() async throws {
        let server = try await ScriptedServer.sequence([FakeBucket.error(500, "InternalError", "boom")])
        let outcome = try await withClient(server) { client in
            await client.appendExactlyOnce(key: "k", position: 0, data: ByteBuffer(bytes: Array("abc".utf8)), previousCRC: 0)
        }
        guard case .unresolved(let error, let mayHaveLanded) = outcome else {
            Issue.record("expected unresolved, got \(outcome)")
            return
        }
        #expect(mayHaveLanded)
        #expect(error.statusCode == 500)
        #expect(outcome.success == nil)
    }

    @Test("Cancelling an append in flight: unresolved, may have landed")
    func cancelled() async throws {
        let server = try await ScriptedServer.sequence([.delayed(.seconds(5), .response(status: 200))])
        let outcome = try await withClient(server) { client in
            let task = Task {
                await client.appendExactlyOnce(key: "k", position: 0, data: ByteBuffer(bytes: Array("abc".utf8)), previousCRC: 0)
            }
            // Cancelled once the request reached the server (the reply is held for 5 s).
            #expect(await eventually { !server.requests.isEmpty })
            task.cancel()
            return await task.value
        }
        guard case .unresolved(let error, let mayHaveLanded) = outcome else {
            Issue.record("expected unresolved, got \(outcome)")
            return
        }
        #expect(error.code == .cancelled)
        #expect(mayHaveLanded)
    }
}
