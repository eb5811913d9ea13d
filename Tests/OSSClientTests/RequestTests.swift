import Foundation
import NIOCore
import OSSClient
import OSSSigning
import Testing

@Suite("Requests on the wire")
struct RequestTests {
    @Test("AppendObject at 0 sends create-time headers; a later append sends none; both are V4-signed")
    func createHeadersOnlyAtZero() async throws {
        let bucket = FakeBucket(bucket: "examplebucket")
        let server = try await ScriptedServer.start { bucket.handle($0) }
        try await withClient(server, token: TestSecrets.securityToken) { client in
            let create = OSSCreateOptions(
                contentType: "application/x-ndjson", storageClass: "IA", acl: "private",
                metadata: ["Topic": "events"], tags: ["team": "data eng", "env": "prod"])
            let first = try await client.appendObject(
                key: "logs/app 1.log", position: 0, bytes: Array("abc".utf8), previousCRC: 0, create: create)
            #expect(first.nextPosition == 3)
            #expect(first.crc64 == 3_231_342_946_509_354_535)
            let second = try await client.appendObject(
                key: "logs/app 1.log", position: 3, bytes: Array("de".utf8), previousCRC: first.crc64, create: create)
            #expect(second.nextPosition == 5)
            #expect(second.crc64 == CRC64.checksum(Array("abcde".utf8)))
        }
        let requests = server.requests
        try #require(requests.count == 2)
        let (a, b) = (requests[0], requests[1])
        #expect(a.method == "POST")
        #expect(a.uri == "/examplebucket/logs/app%201.log?append&position=0")
        #expect(a.header("content-type") == "application/x-ndjson")
        #expect(a.header("x-oss-storage-class") == "IA")
        #expect(a.header("x-oss-object-acl") == "private")
        #expect(a.header("x-oss-meta-topic") == "events")
        #expect(a.header("x-oss-tagging") == "env=prod&team=data%20eng")
        #expect(a.header("content-length") == "3")
        #expect(a.header("authorization")?.hasPrefix("OSS4-HMAC-SHA256 Credential=LTAI5tTestAccessKey/") == true)
        #expect(a.header("x-oss-date") != nil)
        #expect(a.header("x-oss-content-sha256") == "UNSIGNED-PAYLOAD")
        #expect(a.header("x-oss-security-token") == TestSecrets.securityToken)
        #expect(b.uri == "/examplebucket/logs/app%201.log?append&position=3")
        for name in ["content-type", "x-oss-storage-class", "x-oss-object-acl", "x-oss-meta-topic", "x-oss-tagging"] {
            #expect(b.header(name) == nil, "\(name) must only be sent at position 0")
        }
        #expect(b.body == Array("de".utf8))
    }

    @Test("The signature on the wire is the OSSSigning V4 signature of what was sent")
    func v4SignatureMatchesSigner() async throws {
        let server = try await ScriptedServer.sequence([.ok(headers: [("x-oss-next-append-position", "3"), ("x-oss-hash-crc64ecma", "3231342946509354535")])])
        try await withClient(server) { client in
            _ = try await client.appendObject(key: "logs/app 1.log", position: 0, bytes: Array("abc".utf8), previousCRC: 0)
        }
        let request = try #require(server.requests.first)
        let date = try #require(request.header("x-oss-date").flatMap(OSSDateFormat.parseISO8601Basic))
        var parts = OSSRequestParts(
            method: "POST", bucket: "examplebucket", key: "logs/app 1.log",
            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: "0")],
            headers: ["content-type": try #require(request.header("content-type"))])
        OSSSignerV4(region: "cn-hangzhou").sign(
            &parts, credentials: OSSCredentials(accessKeyId: TestSecrets.accessKeyId, accessKeySecret: TestSecrets.accessKeySecret),
            date: date)
        #expect(request.header("authorization") == parts.headers["authorization"])
    }

    @Test("Sequential requests reuse one keep-alive connection")
    func keepAlive() async throws {
        let server = try await ScriptedServer.sequence([.response(status: 204)])
        try await withClient(server) { client in
            for index in 0..<5 { try await client.deleteObject(key: "k\(index)") }
        }
        #expect(server.requests.count == 5)
        #expect(Set(server.requests.compactMap(\.remotePort)).count == 1)
    }

    @Test("Signature V1 is used when configured")
    func v1() async throws {
        let server = try await ScriptedServer.sequence([.response(status: 204)])
        try await withClient(server, signatureVersion: .v1) { client in
            try await client.deleteObject(key: "a/b")
        }
        let request = try #require(server.requests.first)
        #expect(request.method == "DELETE")
        #expect(request.uri == "/examplebucket/a/b")
        #expect(request.header("authorization")?.hasPrefix("OSS LTAI5tTestAccessKey:") == true)
        #expect(request.header("date") != nil)
    }

    @Test("HeadObject returns type, length, next position, CRC, ETag, Last-Modified, content type, class, metadata")
    func head() async throws {
        let server = try await ScriptedServer.sequence([
            .response(
                status: 200,
                headers: [
                    ("Content-Length", "4"), ("Content-Type", "text/plain"), ("ETag", "\"0F72\""),
                    ("Last-Modified", "Wed, 08 Jul 2015 06:57:01 GMT"), ("x-oss-object-type", "Appendable"),
                    ("x-oss-storage-class", "Standard"), ("x-oss-hash-crc64ecma", "18020588380933092773"),
                    ("x-oss-next-append-position", "4"), ("x-oss-meta-topic", "events"), ("x-oss-request-id", "RID"),
                ])
        ])
        let metadata = try await withClient(server) { try await $0.headObject(key: "test") }
        #expect(server.requests.first?.method == "HEAD")
        #expect(metadata.objectType == .appendable)
        #expect(metadata.contentLength == 4)
        #expect(metadata.nextAppendPosition == 4)
        #expect(metadata.crc64 == 18_020_588_380_933_092_773)
        #expect(metadata.etag == "\"0F72\"")
        #expect(metadata.lastModified == OSSDateFormat.parseRFC1123("Wed, 08 Jul 2015 06:57:01 GMT"))
        #expect(metadata.contentType == "text/plain")
        #expect(metadata.storageClass == "Standard")
        #expect(metadata.userMetadata == ["topic": "events"])
        #expect(metadata.requestId == "RID")
    }

    @Test("GetObject with a range sends Range and x-oss-range-behavior: standard and reports the total size")
    func rangedGet() async throws {
        let server = try await ScriptedServer.sequence([
            .response(status: 206, headers: [("Content-Range", "bytes 2-4/10"), ("x-oss-object-type", "Appendable")], body: Array("cde".utf8))
        ])
        let result = try await withClient(server) { try await $0.getObject(key: "k", range: .bounded(first: 2, last: 4)) }
        #expect(server.requests.first?.header("range") == "bytes=2-4")
        #expect(server.requests.first?.header("x-oss-range-behavior") == "standard")
        #expect(result.statusCode == 206)
        #expect(Array(result.body.readableBytesView) == Array("cde".utf8))
        #expect(result.metadata.contentLength == 10)
        #expect(OSSByteRange(parsing: "5-") == .from(5))
        #expect(OSSByteRange(parsing: "-7") == .suffix(7))
        #expect(OSSByteRange(parsing: "bytes=1-2") == .bounded(first: 1, last: 2))
        #expect(OSSByteRange(parsing: "3-1") == nil)
    }

    @Test("PutObject verifies the CRC-64 OSS returns")
    func putCRC() async throws {
        let server = try await ScriptedServer.sequence([.ok(headers: [("x-oss-hash-crc64ecma", "1")])])
        await #expect {
            _ = try await withClient(server) { try await $0.putObject(key: "k", bytes: Array("abc".utf8)) }
        } throws: { ($0 as? OSSError)?.code == .integrityMismatch }
    }

    @Test("ListObjectsV2 asks for encoding-type=url and decodes every encoded field")
    func listDecoding() async throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult><Name>examplebucket</Name><Prefix>logs%2Fa%20b%2B</Prefix><MaxKeys>2</MaxKeys>
            <Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
            <NextContinuationToken>tok%2B1</NextContinuationToken>
            <Contents><Key>logs%2Fa%20b%2B%2F%01x.log</Key><LastModified>2020-05-18T05:45:43.000Z</LastModified>
            <ETag>"35A2"</ETag><Type>Appendable</Type><Size>25</Size><StorageClass>Standard</StorageClass></Contents>
            <CommonPrefixes><Prefix>logs%2Fa%20b%2B%2F2024%2F</Prefix></CommonPrefixes><KeyCount>2</KeyCount>
            </ListBucketResult>
            """
        let server = try await ScriptedServer.sequence([.xml(200, xml)])
        let page = try await withClient(server) {
            try await $0.listObjectsV2(prefix: "logs/a b+", delimiter: "/", startAfter: "logs/a", maxKeys: 2)
        }
        let query = try #require(server.requests.first?.query)
        #expect(query == "list-type=2&delimiter=%2F&encoding-type=url&max-keys=2&prefix=logs%2Fa%20b%2B&start-after=logs%2Fa")
        #expect(server.requests.first?.path == "/examplebucket/")
        #expect(page.prefix == "logs/a b+")
        #expect(page.delimiter == "/")
        #expect(page.isTruncated)
        #expect(page.nextContinuationToken == "tok+1")
        #expect(page.objects.map(\.key) == ["logs/a b+/\u{01}x.log"])
        #expect(page.objects.first?.type == .appendable)
        #expect(page.objects.first?.size == 25)
        #expect(page.objects.first?.lastModified != nil)
        #expect(page.commonPrefixes == ["logs/a b+/2024/"])
        #expect(page.keyCount == 2)
    }

    @Test("The paging helper follows continuation tokens until the listing is complete")
    func listAllPages() async throws {
        func page(_ keys: [String], next: String?) -> ScriptedReply {
            let contents = keys.map { "<Contents><Key>\($0)</Key><Size>1</Size><Type>Normal</Type></Contents>" }.joined()
            let truncated = next.map { "<IsTruncated>true</IsTruncated><NextContinuationToken>\($0)</NextContinuationToken>" }
                ?? "<IsTruncated>false</IsTruncated>"
            return .xml(200, "<ListBucketResult><Name>examplebucket</Name><EncodingType>url</EncodingType>\(truncated)\(contents)</ListBucketResult>")
        }
        let server = try await ScriptedServer.sequence([page(["a", "b"], next: "t1"), page(["c"], next: "t%2F2"), page(["d"], next: nil)])
        let all = try await withClient(server) { try await $0.listAllObjects(prefix: "") }
        #expect(all.objects.map(\.key) == ["a", "b", "c", "d"])
        let queries = server.requests.map(\.query)
        #expect(queries.count == 3)
        #expect(!queries[0].contains("continuation-token"))
        #expect(queries[1].hasPrefix("list-type=2&continuation-token=t1&"))
        #expect(queries[2].hasPrefix("list-type=2&continuation-token=t%2F2&"))
    }

    @Test("GetBucketInfo parses the bucket fields")
    func bucketInfo() async throws {
        let xml = """
            <BucketInfo><Bucket><Name>examplebucket</Name><Location>oss-cn-hangzhou</Location>
            <CreationDate>2013-07-31T10:56:21.000Z</CreationDate><ExtranetEndpoint>oss-cn-hangzhou.aliyuncs.com</ExtranetEndpoint>
            <IntranetEndpoint>oss-cn-hangzhou-internal.aliyuncs.com</IntranetEndpoint><StorageClass>Standard</StorageClass>
            <Versioning>Enabled</Versioning></Bucket></BucketInfo>
            """
        let server = try await ScriptedServer.sequence([.xml(200, xml)])
        let info = try await withClient(server) { try await $0.getBucketInfo() }
        #expect(server.requests.first?.uri == "/examplebucket/?bucketInfo")
        #expect(info.name == "examplebucket")
        #expect(info.location == "oss-cn-hangzhou")
        #expect(info.extranetEndpoint == "oss-cn-hangzhou.aliyuncs.com")
        #expect(info.versioning == "Enabled")
    }
}
