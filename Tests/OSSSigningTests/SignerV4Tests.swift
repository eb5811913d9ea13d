import Foundation
import OSSSigning
import Testing

/// Golden vectors of docs/oss-protocol.md §3.1 (official SDK unit tests and the derived append example).
@Suite("Signature V4 golden vectors")
struct SignerV4Tests {
    static let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk")
    static let signer = OSSSignerV4(region: "cn-hangzhou")

    /// The SDK test request: PUT /bucket/1234+-/123/1.txt with awkward query names and mixed headers.
    static func vectorRequest() -> OSSRequestParts {
        OSSRequestParts(
            method: "PUT",
            bucket: "bucket",
            key: "1234+-/123/1.txt",
            query: [
                OSSQueryItem(name: "param1", value: "value1"),
                OSSQueryItem(name: "+param1", value: "value3"),
                OSSQueryItem(name: "|param1", value: "value4"),
                OSSQueryItem(name: "+param2"),
                OSSQueryItem(name: "|param2"),
                OSSQueryItem(name: "param2"),
            ],
            headers: [
                "x-oss-head1": "value",
                "abc": "value",
                "zabc": "value",
                "xyz": "value",
                "content-type": "text/plain",
                "x-oss-content-sha256": "UNSIGNED-PAYLOAD",
            ]
        )
    }

    static func appendRequest(position: Int) -> OSSRequestParts {
        OSSRequestParts(
            method: "POST",
            bucket: "examplebucket",
            key: "logs/app 1.log",
            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: String(position))],
            headers: ["content-type": "application/octet-stream", "content-length": "3"]
        )
    }

    @Test("(a) canonical request is byte for byte the documented text")
    func canonicalRequestVectorA() {
        var request = Self.vectorRequest()
        request.headers["x-oss-date"] = "20231216T162057Z"
        let expected = """
            PUT
            /bucket/1234%2B-/123/1.txt
            %2Bparam1=value3&%2Bparam2&%7Cparam1=value4&%7Cparam2&param1=value1&param2
            content-type:text/plain
            x-oss-content-sha256:UNSIGNED-PAYLOAD
            x-oss-date:20231216T162057Z
            x-oss-head1:value


            UNSIGNED-PAYLOAD
            """
        let canonical = Self.signer.canonicalRequest(request, additionalHeaders: [])
        #expect(Array(canonical.utf8) == Array(expected.utf8))
        #expect(canonical.hasSuffix("x-oss-head1:value\n\n\nUNSIGNED-PAYLOAD"))
        let toSign = Self.signer.stringToSign(canonicalRequest: canonical, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(toSign == """
            OSS4-HMAC-SHA256
            20231216T162057Z
            20231216/cn-hangzhou/oss/aliyun_v4_request
            f4613657f1b108998e8dbd10a1aa5da621dc2c6e02c9ddec0f163664848704c4
            """)
    }

    @Test("(a) Authorization header")
    func vectorA() {
        var request = Self.vectorRequest()
        Self.signer.sign(&request, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(request.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
        #expect(request.headers["x-oss-date"] == "20231216T162057Z")
        #expect(request.headers["date"] == "Sat, 16 Dec 2023 16:20:57 GMT")
        #expect(request.headers["x-oss-security-token"] == nil)
    }

    @Test("(b) STS token is added and signed")
    func vectorB() {
        var request = Self.vectorRequest()
        let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "token")
        Self.signer.sign(&request, credentials: credentials, date: Date(timeIntervalSince1970: 1_702_784_856))
        #expect(request.headers["x-oss-security-token"] == "token")
        #expect(request.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea")
    }

    @Test("(c) additional headers are lower-cased, sorted and listed")
    func vectorC() {
        var request = Self.vectorRequest()
        Self.signer.sign(
            &request,
            credentials: Self.credentials,
            date: Date(timeIntervalSince1970: 1_702_747_512),
            additionalHeaders: ["ZAbc", "abc"]
        )
        #expect(request.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f")
        let canonical = Self.signer.canonicalRequest(request, additionalHeaders: ["ZAbc", "abc"])
        #expect(canonical.contains("\nabc:value\ncontent-type:text/plain\n"))
        #expect(canonical.contains("\nx-oss-head1:value\nzabc:value\n\nabc;zabc\nUNSIGNED-PAYLOAD"))
    }

    @Test("(c) default-signed and absent additional headers are dropped")
    func additionalHeaderFiltering() {
        let request = Self.vectorRequest()
        #expect(
            Self.signer.effectiveAdditionalHeaders(
                ["ZAbc", "abc", "x-oss-head1", "Content-Type", "content-md5", "host", "abc"], in: request
            ) == ["abc", "zabc"]
        )
        #expect(Self.signer.effectiveAdditionalHeaders(["host", "x-oss-head1"], in: request).isEmpty)
        var signed = request
        Self.signer.sign(&signed, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657),
                         additionalHeaders: ["host", "x-oss-head1"])
        // Nothing left to list: identical to vector (a).
        #expect(signed.headers["authorization"]?.hasSuffix(",Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe") == true)
    }

    @Test("mixed-case header names are canonicalised like lower-case ones")
    func mixedCaseHeaders() {
        var request = Self.vectorRequest()
        request.headers = ["X-Oss-Head1": "value", "Abc": "value", "ZAbc": "  value ", "XYZ": "value",
                           "Content-Type": "text/plain", "X-OSS-Content-Sha256": "UNSIGNED-PAYLOAD"]
        Self.signer.sign(&request, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_747_512),
                         additionalHeaders: ["ZAbc", "abc"])
        #expect(request.headers["authorization"]?.hasSuffix(",Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f") == true)
        #expect(request.headers["X-OSS-Content-Sha256"] == "UNSIGNED-PAYLOAD")
        #expect(request.headers["x-oss-content-sha256"] == nil)
    }

    @Test("(e) AppendObject at position 0")
    func appendVector() {
        var request = Self.appendRequest(position: 0)
        request.headers["x-oss-date"] = "20231216T162057Z"
        request.headers["x-oss-content-sha256"] = "UNSIGNED-PAYLOAD"
        let canonical = Self.signer.canonicalRequest(request, additionalHeaders: [])
        #expect(canonical == """
            POST
            /examplebucket/logs/app%201.log
            append&position=0
            content-type:application/octet-stream
            x-oss-content-sha256:UNSIGNED-PAYLOAD
            x-oss-date:20231216T162057Z


            UNSIGNED-PAYLOAD
            """)
        let toSign = Self.signer.stringToSign(canonicalRequest: canonical, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(toSign.hasSuffix("\nea7d7fc630bd6af223ffaaa5fa6f978130da180be6153539f61895d781b18962"))

        var signed = Self.appendRequest(position: 0)
        Self.signer.sign(&signed, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(signed.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=b50d947a48eb074cbce6c391fad90ca3bf886a1d87628ce6f09da76d8a1df083")
    }

    @Test("(e) AppendObject at position 3 with an STS token")
    func appendVectorWithToken() {
        var request = Self.appendRequest(position: 3)
        let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "token")
        Self.signer.sign(&request, credentials: credentials, date: Date(timeIntervalSince1970: 1_702_743_657))
        #expect(request.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=83ab2d8304181fb3481a1e8f8a6902de8ba07684ae08f0dffd89019f69ab092d")
    }

    @Test("canonical URI for bucket-level and service-level requests")
    func canonicalURIShapes() {
        let bucketLevel = OSSRequestParts(method: "GET", bucket: "b", key: nil, query: [OSSQueryItem(name: "list-type", value: "2")])
        #expect(Self.signer.canonicalRequest(bucketLevel, additionalHeaders: []).hasPrefix("GET\n/b/\nlist-type=2\n"))
        let service = OSSRequestParts(method: "GET", bucket: nil, key: nil)
        #expect(Self.signer.canonicalRequest(service, additionalHeaders: []).hasPrefix("GET\n/\n\n"))
        let unicode = OSSRequestParts(method: "GET", bucket: "b", key: "a b/%/é/😀",
                                      query: [OSSQueryItem(name: "k/ey", value: "v al+ue"), OSSQueryItem(name: "e", value: "")])
        #expect(Self.signer.canonicalRequest(unicode, additionalHeaders: [])
            .hasPrefix("GET\n/b/a%20b/%25/%C3%A9/%F0%9F%98%80\ne&k%2Fey=v%20al%2Bue\n"))
    }

    @Test("signature depends on region and product through the signing key")
    func scopeAndProduct() {
        let date = Date(timeIntervalSince1970: 1_702_743_657)
        let cloudbox = OSSSignerV4(region: "cn-hangzhou", product: "oss-cloudbox")
        #expect(cloudbox.scope(date: date) == "20231216/cn-hangzhou/oss-cloudbox/aliyun_v4_request")
        #expect(cloudbox.signature(stringToSign: "x", accessKeySecret: "sk", date: date)
            != Self.signer.signature(stringToSign: "x", accessKeySecret: "sk", date: date))
    }

    @Test("a key cache gives the documented signatures and derives a key once per secret and day")
    func keyCacheVectors() {
        let cache = OSSSigningKeyCache()
        let expectedA = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe"
        for _ in 0..<3 {
            var request = Self.vectorRequest()
            Self.signer.sign(&request, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657), keyCache: cache)
            #expect(request.headers["authorization"] == expectedA)
        }
        #expect(cache.derivedKeys == 1)
        // The next UTC day (vector B) derives a new key; going back derives again (one entry).
        var next = Self.vectorRequest()
        let sts = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "token")
        Self.signer.sign(&next, credentials: sts, date: Date(timeIntervalSince1970: 1_702_784_856), keyCache: cache)
        #expect(next.headers["authorization"] == "OSS4-HMAC-SHA256 Credential=ak/20231217/cn-hangzhou/oss/aliyun_v4_request,Signature=b94a3f999cf85bcdc00d332fbd3734ba03e48382c36fa4d5af5df817395bd9ea")
        #expect(cache.derivedKeys == 2)
        var again = Self.vectorRequest()
        Self.signer.sign(&again, credentials: Self.credentials, date: Date(timeIntervalSince1970: 1_702_743_657), keyCache: cache)
        #expect(again.headers["authorization"] == expectedA)
        #expect(cache.derivedKeys == 3)
    }

    @Test("a cached key is never used for another secret, region or product")
    func keyCacheKeys() {
        let cache = OSSSigningKeyCache()
        let date = Date(timeIntervalSince1970: 1_702_743_657)
        let signers = [Self.signer, OSSSignerV4(region: "cn-shanghai"), OSSSignerV4(region: "cn-hangzhou", product: "oss-cloudbox")]
        for secret in ["sk", "rotated-secret", "sk"] {
            for signer in signers {
                let cached = signer.signature(stringToSign: "x", accessKeySecret: secret, date: date, keyCache: cache)
                #expect(cached == signer.signature(stringToSign: "x", accessKeySecret: secret, date: date))
            }
        }
        #expect(cache.derivedKeys == 9)
        #expect(Self.signer.signature(stringToSign: "y", accessKeySecret: "sk", date: date, keyCache: cache)
            != Self.signer.signature(stringToSign: "y", accessKeySecret: "rotated-secret", date: date, keyCache: cache))
    }
}
