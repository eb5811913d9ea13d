import Foundation
import OSSClient
import OSSSigning
import Testing

@Suite("Retries against a scripted server")
struct RetryBehaviorTests {
    static let appendOK: ScriptedReply = .ok(headers: [
        ("x-oss-next-append-position", "3"), ("x-oss-hash-crc64ecma", "3231342946509354535"),
    ])

    @Test("5xx and 429 are retried with jittered backoff, resending the same bytes at the same position")
    func retriesServerErrors() async throws {
        let recorder = SleepRecorder()
        let server = try await ScriptedServer.sequence([
            FakeBucket.error(503, "ServiceUnavailable", "busy"), FakeBucket.error(429, "TooManyRequests", "slow down"),
            Self.appendOK,
        ])
        let result = try await withClient(server, retry: recorder.policy(maxAttempts: 3, random: 1)) { client in
            try await client.appendObject(key: "k", position: 0, bytes: Array("abc".utf8), previousCRC: 0)
        }
        #expect(result.attempts == 3)
        #expect(server.requests.count == 3)
        #expect(Set(server.requests.map(\.uri)) == ["/examplebucket/k?append&position=0"])
        #expect(server.requests.allSatisfy { $0.body == Array("abc".utf8) })
        #expect(recorder.sleeps == [.milliseconds(200), .milliseconds(400)])
    }

    @Test("A dropped connection is retried")
    func retriesDroppedConnection() async throws {
        let server = try await ScriptedServer.sequence([.dropConnection, .response(status: 204)])
        try await withClient(server) { try await $0.deleteObject(key: "k") }
        #expect(server.requests.count == 2)
    }

    @Test("A request that outlives the timeout is retried")
    func retriesTimeout() async throws {
        let server = try await ScriptedServer.sequence([.delayed(.seconds(3), .response(status: 204)), .response(status: 204)])
        try await withClient(server, timeout: .milliseconds(300)) { try await $0.deleteObject(key: "k") }
        #expect(server.requests.count == 2)
    }

    @Test("Other 4xx are never retried", arguments: [
        (403, "AccessDenied"), (404, "NoSuchBucket"), (400, "InvalidArgument"), (409, "ObjectNotAppendable"),
    ])
    func noRetryOn4xx(status: Int, code: String) async throws {
        let recorder = SleepRecorder()
        let server = try await ScriptedServer.sequence([FakeBucket.error(status, code, "no")])
        await #expect {
            try await withClient(server, retry: recorder.policy(maxAttempts: 5)) { try await $0.deleteObject(key: "k") }
        } throws: { ($0 as? OSSError)?.code == OSSError.Code(code) }
        #expect(server.requests.count == 1)
        #expect(recorder.sleeps.isEmpty)
    }

    @Test("Retries stop after maxAttempts and the last error is thrown")
    func exhausted() async throws {
        let recorder = SleepRecorder()
        let server = try await ScriptedServer.sequence([FakeBucket.error(500, "InternalError", "boom")])
        await #expect {
            try await withClient(server, retry: recorder.policy(maxAttempts: 4, random: 0)) { try await $0.deleteObject(key: "k") }
        } throws: { error in
            guard let error = error as? OSSError else { return false }
            return error.code == "InternalError" && error.statusCode == 500
        }
        #expect(server.requests.count == 4)
        #expect(recorder.sleeps.count == 3)
    }

    @Test("RequestTimeTooSkewed: the clock offset is learned from the response Date and the request re-signed")
    func clockSkew() async throws {
        let localNow = Date(timeIntervalSince1970: 1_702_743_657)  // 2023-12-16T16:20:57Z
        let serverNow = localNow.addingTimeInterval(3600)
        let skewed = FakeBucket.error(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.", headers: [("Date", OSSDateFormat.rfc1123(serverNow))])
        let server = try await ScriptedServer.sequence([skewed, .response(status: 204)])
        let recorder = SleepRecorder()
        let correction = try await withClient(server, retry: recorder.policy(), now: { localNow }) { client in
            try await client.deleteObject(key: "k")
            return client.clockCorrection
        }
        #expect(correction == 3600)
        #expect(server.requests.count == 2)
        #expect(recorder.sleeps.isEmpty, "the skew retry is immediate")
        #expect(server.requests[0].header("x-oss-date") == "20231216T162057Z")
        #expect(server.requests[1].header("x-oss-date") == "20231216T172057Z")
    }
}
