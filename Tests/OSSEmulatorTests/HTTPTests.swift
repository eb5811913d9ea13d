import Foundation
@testable import OSSEmulator
import OSSSigning
import Testing

@Suite("Emulator over HTTP: routing, errors, authentication")
struct HTTPTests {
    @Test func appendSequenceAndPositionMismatchHeaders() async throws {
        try await withEmulator { _, client in
            let first = try await client.append("test-bucket", "logs/a.log", position: 0, Array("abc".utf8))
            #expect(first.status == 200)
            #expect(first.header("x-oss-next-append-position") == "3")
            #expect(first.header("x-oss-hash-crc64ecma") == "3231342946509354535")
            #expect(first.header("x-oss-request-id")?.count == 24)
            #expect(first.header("server") == "AliyunOSS")
            let mismatch = try await client.append("test-bucket", "logs/a.log", position: 1, Array("x".utf8))
            #expect(mismatch.status == 409)
            #expect(mismatch.header("x-oss-next-append-position") == "3")
            #expect(mismatch.header("x-oss-ec") == "0026-00000016")
            #expect(mismatch.xmlValue("Code") == "PositionNotEqualToLength")
            #expect(mismatch.xmlValue("RequestId") == mismatch.header("x-oss-request-id"))
            #expect(mismatch.xmlValue("EC") == "0026-00000016")
        }
    }

    @Test func appendAfterPutIsNotAppendableBeforePositionCheck() async throws {
        try await withEmulator { _, client in
            let put = try await client.send("PUT", bucket: "test-bucket", key: "n", body: Array("12345".utf8))
            #expect(put.status == 200)
            #expect(put.header("etag") == "\"827CCB0EEA8A706C4C34A16891F84E7B\"")
            #expect(put.header("content-md5") == "gnzLDuqKcGxMNKFokfhOew==")
            for position: UInt64 in [5, 0, 9] {
                let append = try await client.append("test-bucket", "n", position: position, Array("x".utf8))
                #expect(append.status == 409)
                #expect(append.xmlValue("Code") == "ObjectNotAppendable")
            }
        }
    }

    @Test func appendArgumentAndKeyValidation() async throws {
        try await withEmulator { _, client in
            let missing = try await client.send("POST", bucket: "test-bucket", key: "k", query: [OSSQueryItem(name: "append")])
            #expect(missing.status == 400)
            #expect(missing.xmlValue("Code") == "MissingArgument")
            let bad = try await client.send("POST", bucket: "test-bucket", key: "k",
                                            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: "-1")])
            #expect(bad.status == 400)
            #expect(bad.xmlValue("Code") == "InvalidArgument")
            let longKey = String(repeating: "k", count: 1024)
            let long = try await client.append("test-bucket", longKey, position: 0, [1])
            #expect(long.status == 400)
            #expect(long.xmlValue("Code") == "InvalidObjectName")
            let digest = try await client.append("test-bucket", "k", position: 0, [1], headers: ["content-md5": "1B2M2Y8AsgTpgAmY7PhCfg=="])
            #expect(digest.status == 400)
            #expect(digest.xmlValue("Code") == "InvalidDigest")
            let noBucket = try await client.append("no-such-bucket", "k", position: 0, [1])
            #expect(noBucket.status == 404)
            #expect(noBucket.xmlValue("Code") == "NoSuchBucket")
            #expect(noBucket.xmlValue("BucketName") == "no-such-bucket")
        }
    }

    @Test func headReportsFieldsAndErrorsInHeader() async throws {
        try await withEmulator { _, client in
            _ = try await client.append("test-bucket", "h", position: 0, Array("test".utf8),
                                        headers: ["x-oss-meta-owner": "me", "content-type": "text/plain"])
            let head = try await client.send("HEAD", bucket: "test-bucket", key: "h")
            #expect(head.status == 200)
            #expect(head.header("content-length") == "4")
            #expect(head.header("x-oss-object-type") == "Appendable")
            #expect(head.header("x-oss-next-append-position") == "4")
            #expect(head.header("x-oss-hash-crc64ecma") == "18020588380933092773")
            #expect(head.header("x-oss-storage-class") == "Standard")
            #expect(head.header("x-oss-meta-owner") == "me")
            #expect(head.header("content-type") == "text/plain")
            #expect(head.header("content-md5") == nil)
            let missing = try await client.send("HEAD", bucket: "test-bucket", key: "nope")
            #expect(missing.status == 404)
            #expect(missing.body.isEmpty)
            #expect(missing.header("x-oss-ec") == "0026-00000001")
            #expect(missing.xmlValue("Code") == "NoSuchKey")
            #expect(missing.xmlValue("Key") == "nope")
        }
    }

    @Test func rangedGetDefaultAndStandard() async throws {
        try await withEmulator { _, client in
            _ = try await client.append("test-bucket", "r", position: 0, Array("0123456789".utf8))
            let partial = try await client.send("GET", bucket: "test-bucket", key: "r", headers: ["range": "bytes=2-4"])
            #expect(partial.status == 206)
            #expect(partial.text == "234")
            #expect(partial.header("content-range") == "bytes 2-4/10")
            #expect(partial.header("x-oss-hash-crc64ecma") == String(CRC64.checksum(Array("0123456789".utf8))))
            let suffix = try await client.send("GET", bucket: "test-bucket", key: "r", headers: ["range": "bytes=-3"])
            #expect(suffix.text == "789")
            let beyond = try await client.send("GET", bucket: "test-bucket", key: "r", headers: ["range": "bytes=5-100"])
            #expect(beyond.status == 200)
            #expect(beyond.text == "0123456789")
            let clipped = try await client.send("GET", bucket: "test-bucket", key: "r",
                                                headers: ["range": "bytes=5-100", "x-oss-range-behavior": "standard"])
            #expect(clipped.status == 206)
            #expect(clipped.text == "56789")
            let unsatisfiable = try await client.send("GET", bucket: "test-bucket", key: "r",
                                                      headers: ["range": "bytes=50-", "x-oss-range-behavior": "standard"])
            #expect(unsatisfiable.status == 416)
            #expect(unsatisfiable.xmlValue("Code") == "InvalidRange")
        }
    }

    @Test func deleteIsAlways204() async throws {
        try await withEmulator { _, client in
            _ = try await client.append("test-bucket", "d", position: 0, [1])
            #expect(try await client.send("DELETE", bucket: "test-bucket", key: "d").status == 204)
            #expect(try await client.send("DELETE", bucket: "test-bucket", key: "d").status == 204)
            #expect(try await client.send("GET", bucket: "test-bucket", key: "d").status == 404)
        }
    }

    @Test func listV2EncodesKeysAndPaginates() async throws {
        try await withEmulator { _, client in
            for key in ["p/a b", "p/a+b", "p/é", "p/sub/1", "p/sub/2", "q"] {
                _ = try await client.send("PUT", bucket: "test-bucket", key: key, body: [1])
            }
            var keys: [String] = []
            var prefixes: [String] = []
            var token: String?
            var pages = 0
            repeat {
                var query = [OSSQueryItem(name: "list-type", value: "2"), OSSQueryItem(name: "prefix", value: "p/"),
                             OSSQueryItem(name: "delimiter", value: "/"), OSSQueryItem(name: "max-keys", value: "2"),
                             OSSQueryItem(name: "encoding-type", value: "url")]
                if let token { query.append(OSSQueryItem(name: "continuation-token", value: token)) }
                let reply = try await client.send("GET", bucket: "test-bucket", query: query)
                #expect(reply.status == 200)
                for part in reply.text.components(separatedBy: "<Key>").dropFirst() {
                    keys.append(String(part.prefix { $0 != "<" }))
                }
                for part in reply.text.components(separatedBy: "<CommonPrefixes><Prefix>").dropFirst() {
                    prefixes.append(String(part.prefix { $0 != "<" }))
                }
                token = reply.xmlValue("IsTruncated") == "true" ? reply.xmlValue("NextContinuationToken") : nil
                pages += 1
            } while token != nil && pages < 10
            #expect(keys == ["p/a%20b", "p/a%2Bb", "p/%C3%A9"])
            #expect(prefixes == ["p/sub/"])
            #expect(pages == 2)
        }
    }

    @Test func wrongSecretCarriesStringToSign() async throws {
        try await withEmulator { _, client in
            for version in [SignedClient.Version.v4, .v1] {
                var wrong = client
                wrong.version = version
                wrong.credentials = OSSCredentials(accessKeyId: "test-ak", accessKeySecret: "not-the-secret")
                let reply = try await wrong.append("test-bucket", "k", position: 0, [1])
                #expect(reply.status == 403)
                #expect(reply.xmlValue("Code") == "SignatureDoesNotMatch")
                let stringToSign = try #require(reply.xmlValue("StringToSign"))
                #expect(stringToSign.contains(version == .v4 ? "OSS4-HMAC-SHA256" : "/test-bucket/k?append&amp;position=0"))
                #expect(reply.xmlValue("StringToSignBytes")?.isEmpty == false)
                #expect(!reply.text.contains("not-the-secret"))
                #expect(!reply.text.contains("test-secret"))
            }
            var unknown = client
            unknown.credentials = OSSCredentials(accessKeyId: "nobody", accessKeySecret: "x")
            let reply = try await unknown.append("test-bucket", "k", position: 0, [1])
            #expect(reply.xmlValue("Code") == "InvalidAccessKeyId")
            let anonymous = try await client.send("GET", bucket: "test-bucket", key: "k", sign: false)
            #expect(anonymous.status == 403)
            #expect(anonymous.xmlValue("Code") == "AccessDenied")
        }
    }

    @Test func clockSkewBeyondFifteenMinutesIsRejected() async throws {
        try await withEmulator { _, client in
            for version in [SignedClient.Version.v4, .v1] {
                var skewed = client
                skewed.version = version
                skewed.date = Date().addingTimeInterval(16 * 60)
                let reply = try await skewed.append("test-bucket", "k", position: 0, [1])
                #expect(reply.status == 403)
                #expect(reply.xmlValue("Code") == "RequestTimeTooSkewed")
                var close = client
                close.version = version
                close.date = Date().addingTimeInterval(-14 * 60)
                #expect(try await close.send("GET", bucket: "test-bucket", query: [OSSQueryItem(name: "bucketInfo")]).status == 200)
            }
        }
    }

    @Test func stsTokenIsRequiredForStsCredentials() async throws {
        let sts = OSSCredentials(accessKeyId: "sts-ak", accessKeySecret: "sts-secret", securityToken: "token-1")
        try await withEmulator(credentials: [OSSCredentials(accessKeyId: "test-ak", accessKeySecret: "test-secret"), sts]) { _, client in
            var good = client
            good.credentials = sts
            #expect(try await good.append("test-bucket", "s", position: 0, [1]).status == 200)
            var badToken = client
            badToken.credentials = OSSCredentials(accessKeyId: "sts-ak", accessKeySecret: "sts-secret", securityToken: "other")
            let reply = try await badToken.append("test-bucket", "s", position: 1, [1])
            #expect(reply.status == 403)
            #expect(reply.xmlValue("Code") == "InvalidSecurityToken")
        }
    }

    @Test func virtualHostedAndEncodedSlashAddressing() async throws {
        try await withEmulator { server, client in
            var virtual = client
            virtual.host = "test-bucket.localhost:\(server.port!)"
            let reply = try await virtual.send("PUT", bucket: "test-bucket", key: "v/key", body: Array("v".utf8), pathStyle: false)
            #expect(reply.status == 200)
            // The client's path encodes '/' as %2F (as oss2 does); the emulator decodes it.
            #expect(server.store.head(bucket: "test-bucket", key: "v/key")?.length == 1)
            let info = try await virtual.send("GET", bucket: "test-bucket", query: [OSSQueryItem(name: "bucketInfo")], pathStyle: false)
            #expect(info.xmlValue("Name") == "test-bucket")
        }
    }

    @Test func faultsFailDropAndForeignWriter() async throws {
        try await withEmulator { server, client in
            server.faults.failNext(2, status: 503, code: "ServiceUnavailable", match: OSSFaultMatch(method: "POST", keyPrefix: "f/"))
            #expect(try await client.append("test-bucket", "other", position: 0, [1]).status == 200)
            #expect(try await client.append("test-bucket", "f/1", position: 0, [1]).status == 503)
            #expect(try await client.append("test-bucket", "f/1", position: 0, [1]).status == 503)
            #expect(server.store.head(bucket: "test-bucket", key: "f/1") == nil)
            #expect(try await client.append("test-bucket", "f/1", position: 0, [1]).status == 200)

            server.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST"))
            await #expect(throws: (any Error).self) {
                _ = try await client.append("test-bucket", "f/1", position: 1, [2, 3])
            }
            // Applied although the client heard nothing: a retry at the old position sees the new length.
            #expect(server.store.head(bucket: "test-bucket", key: "f/1")?.length == 3)
            let retry = try await client.append("test-bucket", "f/1", position: 1, [2, 3])
            #expect(retry.header("x-oss-next-append-position") == "3")

            try await server.foreignAppend(bucket: "test-bucket", key: "f/1", bytes: [9, 9])
            let next = try await client.append("test-bucket", "f/1", position: 3, [4])
            #expect(next.status == 409)
            #expect(next.header("x-oss-next-append-position") == "5")
            #expect(server.faults.injected.failed == 2)
            #expect(server.faults.injected.droppedAfterApply == 1)
        }
    }

    @Test func adminEndpointAcceptsJSONCommands() async throws {
        try await withEmulator { server, client in
            let command = #"{"action":"fail","count":1,"status":500,"code":"InternalError","method":"GET"}"#
            let admin = try await client.send("POST", bucket: "-", key: "faults", body: Array(command.utf8), sign: false)
            #expect(admin.status == 200)
            let failed = try await client.send("GET", bucket: "test-bucket", query: [OSSQueryItem(name: "bucketInfo")])
            #expect(failed.status == 500)
            #expect(failed.xmlValue("Code") == "InternalError")
            let foreign = #"{"action":"foreign-append","bucket":"test-bucket","key":"fw","data":"abc"}"#
            let reply = try await client.send("POST", bucket: "-", key: "faults", body: Array(foreign.utf8), sign: false)
            #expect(reply.status == 200)
            #expect(server.store.head(bucket: "test-bucket", key: "fw")?.length == 3)
            let bad = try await client.send("POST", bucket: "-", key: "faults", body: Array(#"{"action":"nope"}"#.utf8), sign: false)
            #expect(bad.status == 400)
            #expect(bad.text.contains("unknown action"))
        }
    }
}

@Suite("Emulator over HTTP: conditional reads, chaos, latency")
struct HTTPExtraTests {
    @Test func conditionalHeaders() async throws {
        try await withEmulator { _, client in
            let put = try await client.send("PUT", bucket: "test-bucket", key: "c", body: Array("abc".utf8))
            let etag = try #require(put.header("etag"))
            #expect(try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-none-match": etag]).status == 304)
            #expect(try await client.send("HEAD", bucket: "test-bucket", key: "c", headers: ["if-none-match": etag]).status == 304)
            #expect(try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-match": etag]).text == "abc")
            let failed = try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-match": "\"0000\""])
            #expect(failed.status == 412)
            #expect(failed.xmlValue("Code") == "PreconditionFailed")
            let future = OSSDateFormat.rfc1123(Date().addingTimeInterval(3600))
            #expect(try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-modified-since": future]).status == 304)
            let past = OSSDateFormat.rfc1123(Date().addingTimeInterval(-3600))
            #expect(try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-modified-since": past]).status == 200)
            #expect(try await client.send("GET", bucket: "test-bucket", key: "c", headers: ["if-unmodified-since": past]).status == 412)
        }
    }

    @Test func chaosIsDeterministicForASeed() {
        func draw(seed: UInt64) -> [String] {
            let faults = OSSFaultInjector()
            faults.setChaos(OSSChaosSettings(dropAfterApplyProbability: 0.3, serviceUnavailableProbability: 0.3, seed: seed))
            return (0..<200).map { _ in
                let plan = faults.plan(method: "POST", bucket: "b", key: "k")
                return plan.failure != nil ? "503" : plan.dropAfterApply ? "drop" : "ok"
            }
        }
        let first = draw(seed: 42)
        #expect(first == draw(seed: 42))
        #expect(first != draw(seed: 43))
        // Roughly the configured rates (200 draws, 30% each).
        #expect((30...90).contains(first.filter { $0 == "503" }.count))
        #expect((30...90).contains(first.filter { $0 == "drop" }.count))
    }

    @Test func latencyRuleDelaysOnlyMatchingRequests() async throws {
        try await withEmulator { server, client in
            server.faults.addLatency(milliseconds: 300, count: 1, match: OSSFaultMatch(keyPrefix: "slow/"))
            _ = try await client.append("test-bucket", "fast", position: 0, [1])
            #expect(server.faults.injected.delayed == 0)
            let slow = try await ContinuousClock().measure { _ = try await client.append("test-bucket", "slow/1", position: 0, [1]) }
            #expect(slow >= .milliseconds(300))
            #expect(server.faults.injected.delayed == 1)
        }
    }
}

@Suite("Emulator over HTTP: presigned URLs")
struct PresignedURLTests {
    @Test func presignedV4AndV1GetWorkAndExpire() async throws {
        try await withEmulator { _, client in
            _ = try await client.send("PUT", bucket: "test-bucket", key: "ps/a b", body: Array("presigned".utf8))
            let now = Date()
            var v4 = OSSRequestParts(method: "GET", bucket: "test-bucket", key: "ps/a b")
            OSSSignerV4(region: "cn-hangzhou").presign(&v4, credentials: client.credentials, date: now, expires: 600)
            let ok4 = try await client.send("GET", bucket: "test-bucket", key: "ps/a b", query: v4.query, sign: false)
            #expect(ok4.status == 200)
            #expect(ok4.text == "presigned")
            var expired = OSSRequestParts(method: "GET", bucket: "test-bucket", key: "ps/a b")
            OSSSignerV4(region: "cn-hangzhou").presign(&expired, credentials: client.credentials, date: now.addingTimeInterval(-700), expires: 600)
            let late = try await client.send("GET", bucket: "test-bucket", key: "ps/a b", query: expired.query, sign: false)
            #expect(late.status == 403)
            #expect(late.xmlValue("Message") == "Request has expired.")

            var v1 = OSSRequestParts(method: "GET", bucket: "test-bucket", key: "ps/a b")
            OSSSignerV1().presign(&v1, credentials: client.credentials, expiration: now.addingTimeInterval(600))
            let ok1 = try await client.send("GET", bucket: "test-bucket", key: "ps/a b", query: v1.query, sign: false)
            #expect(ok1.status == 200)
            var tampered = v1
            tampered.query = v1.query.map { $0.name == "Signature" ? OSSQueryItem(name: "Signature", value: "AAAA") : $0 }
            let bad = try await client.send("GET", bucket: "test-bucket", key: "ps/a b", query: tampered.query, sign: false)
            #expect(bad.xmlValue("Code") == "SignatureDoesNotMatch")
        }
    }
}
