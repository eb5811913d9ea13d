import Foundation
import OSSSigning
import Testing

/// Golden vectors of docs/oss-protocol.md §3.2.
@Suite("Signature V1 golden vectors")
struct SignerV1Tests {
    static let signer = OSSSignerV1()
    static let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk")
    static let go2Date = OSSDateFormat.parseRFC1123("Wed, 28 Dec 2022 10:27:41 GMT")!

    @Test("official documentation example")
    func documentationVector() {
        let request = OSSRequestParts(
            method: "PUT", bucket: "oss-example", key: "nelson",
            headers: [
                "content-md5": "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
                "content-type": "text/html",
                "date": "Thu, 17 Nov 2005 18:49:58 GMT",
                "x-oss-magic": "abracadabra",
                "x-oss-meta-author": "foo@bar.com",
                "host": "oss-example.oss-cn-hangzhou.aliyuncs.com",
            ]
        )
        let expected = "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\nThu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\nx-oss-meta-author:foo@bar.com\n/oss-example/nelson"
        #expect(Self.signer.stringToSign(request) == expected)
        #expect(Self.signer.signature(stringToSign: expected, accessKeySecret: "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV") == "26NBxoKdsyly4EDv6inkoDft/yA=")
    }

    static func go2PutRequest(query: [OSSQueryItem] = []) -> OSSRequestParts {
        OSSRequestParts(
            method: "PUT", bucket: "examplebucket", key: "nelson", query: query,
            headers: [
                "Content-MD5": "eB5eJF1ptWaXm4bijSPyxw==",
                "Content-Type": "text/html",
                "x-oss-meta-author": "alice",
                "x-oss-meta-magic": "abracadabra",
                "x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT",
            ]
        )
    }

    @Test("Go SDK TestV1AuthHeader: object PUT")
    func go2Put() {
        var request = Self.go2PutRequest()
        #expect(Self.signer.stringToSign(request) == "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson")
        Self.signer.sign(&request, credentials: Self.credentials, date: Self.go2Date)
        #expect(request.headers["authorization"] == "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=")
        #expect(request.headers["date"] == "Wed, 28 Dec 2022 10:27:41 GMT")
    }

    @Test("Go SDK TestV1AuthHeader: object PUT ?acl")
    func go2PutAcl() {
        var request = Self.go2PutRequest(query: [OSSQueryItem(name: "acl")])
        Self.signer.sign(&request, credentials: Self.credentials, date: Self.go2Date)
        #expect(request.headers["authorization"] == "OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=")
    }

    @Test("Go SDK TestV1AuthHeader: bucket GET ?acl&resourceGroup, plain params excluded")
    func go2BucketAcl() {
        var request = OSSRequestParts(
            method: "GET", bucket: "examplebucket", key: nil,
            query: [OSSQueryItem(name: "resourceGroup"), OSSQueryItem(name: "prefix", value: "p"),
                    OSSQueryItem(name: "acl", value: ""), OSSQueryItem(name: "max-keys", value: "10")],
            headers: ["x-oss-date": "Wed, 28 Dec 2022 10:27:41 GMT"]
        )
        Self.signer.sign(&request, credentials: Self.credentials, date: Self.go2Date)
        #expect(Self.signer.stringToSign(request) == "GET\n\n\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\n/examplebucket/?acl&resourceGroup")
        #expect(request.headers["authorization"] == "OSS ak:x3E5TgOvl/i7PN618s5mEvpJDYk=")
    }

    @Test("Go SDK TestV1AuthQuery strings (Expires in the date slot)")
    func go2QueryStrings() {
        let plain = OSSRequestParts(method: "GET", bucket: "bucket", key: "key",
                                    query: [OSSQueryItem(name: "versionId", value: "versionId")],
                                    headers: ["date": "1699807420"])
        let plainString = Self.signer.stringToSign(plain)
        #expect(plainString == "GET\n\n\n1699807420\n/bucket/key?versionId=versionId")
        #expect(Self.signer.signature(stringToSign: plainString, accessKeySecret: "sk") == "dcLTea+Yh9ApirQ8o8dOPqtvJXQ=")
        let token = OSSRequestParts(method: "GET", bucket: "bucket", key: "key+123",
                                    query: [OSSQueryItem(name: "versionId", value: "versionId"),
                                            OSSQueryItem(name: "security-token", value: "token")],
                                    headers: ["date": "1699808204"])
        let tokenString = Self.signer.stringToSign(token)
        #expect(tokenString == "GET\n\n\n1699808204\n/bucket/key+123?security-token=token&versionId=versionId")
        #expect(Self.signer.signature(stringToSign: tokenString, accessKeySecret: "sk") == "jzKYRrM5y6Br0dRFPaTGOsbrDhY=")
    }

    @Test("AppendObject example: raw key with a space, append&position")
    func appendVector() {
        var request = OSSRequestParts(
            method: "POST", bucket: "examplebucket", key: "logs/app 1.log",
            query: [OSSQueryItem(name: "position", value: "0"), OSSQueryItem(name: "append")],
            headers: ["content-type": "application/octet-stream", "content-length": "3"]
        )
        Self.signer.sign(&request, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(Self.signer.stringToSign(request) == "POST\n\napplication/octet-stream\nSat, 16 Dec 2023 16:20:57 GMT\n/examplebucket/logs/app 1.log?append&position=0")
        #expect(request.headers["authorization"] == "OSS ak:YO16QEOFu95lNgENxtXeLt28Cwg=")
    }

    @Test("an existing date is kept, a token becomes a signed x-oss-security-token")
    func dateAndToken() {
        var request = OSSRequestParts(method: "GET", bucket: "b", key: "k", headers: ["Date": "Mon, 01 Jan 2024 00:00:00 GMT"])
        let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "tok")
        Self.signer.sign(&request, credentials: credentials, date: Date(timeIntervalSince1970: 0))
        #expect(request.headers["Date"] == "Mon, 01 Jan 2024 00:00:00 GMT")
        #expect(request.headers["date"] == nil)
        #expect(Self.signer.stringToSign(request) == "GET\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-oss-security-token:tok\n/b/k")
    }

    @Test("sub-resources: the documented list, x-oss-* names, decoded values, byte order")
    func subresources() {
        for name in ["append", "position", "seal", "acl", "bucketInfo", "location", "stat", "delete", "tagging",
                     "objectMeta", "uploads", "uploadId", "partNumber", "security-token", "versions", "versioning",
                     "versionId", "symlink", "restore", "callback", "callback-var", "sequential",
                     "continuation-token", "response-content-type", "response-content-language",
                     "response-expires", "response-cache-control", "response-content-disposition",
                     "response-content-encoding", "x-oss-process"] {
            #expect(OSSSignerV1.subresources.contains(name), "\(name)")
        }
        for name in ["prefix", "max-keys", "list-type", "delimiter", "start-after", "encoding-type", "ACL"] {
            #expect(!OSSSignerV1.isSubresource(name), "\(name)")
        }
        let request = OSSRequestParts(
            method: "GET", bucket: "b", key: "k é+%",
            query: [OSSQueryItem(name: "x-oss-zz", value: "a b/c"), OSSQueryItem(name: "prefix", value: "x"),
                    OSSQueryItem(name: "uploadId", value: "2"), OSSQueryItem(name: "uploadId", value: "1"),
                    OSSQueryItem(name: "acl")]
        )
        #expect(Self.signer.canonicalizedResource(request) == "/b/k é+%?acl&uploadId=1&uploadId=2&x-oss-zz=a b/c")
    }
}
