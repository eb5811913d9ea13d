import Foundation
import OSSSigning
import Testing

@Suite("Presigned URLs and query parsing")
struct PresignTests {
    static func value(_ name: String, in query: [OSSQueryItem]) -> String? {
        query.first { $0.name == name }?.value
    }

    static func vectorRequest() -> OSSRequestParts {
        OSSRequestParts(
            method: "PUT", bucket: "bucket", key: "1234+-/123/1.txt",
            query: [
                OSSQueryItem(name: "param1", value: "value1"), OSSQueryItem(name: "+param1", value: "value3"),
                OSSQueryItem(name: "|param1", value: "value4"), OSSQueryItem(name: "+param2", value: ""),
                OSSQueryItem(name: "|param2", value: ""), OSSQueryItem(name: "param2", value: ""),
            ],
            headers: ["x-oss-head1": "value", "abc": "value", "ZAbc": "value", "XYZ": "value",
                      "content-type": "application/octet-stream"]
        )
    }

    @Test("(d) V4 presign vector of the official SDK tests")
    func v4PresignVector() {
        var request = Self.vectorRequest()
        let headersBefore = request.headers
        OSSSignerV4(region: "cn-hangzhou").presign(
            &request, credentials: OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk"),
            date: Date(timeIntervalSince1970: 1_702_781_677), expires: 599
        )
        #expect(Self.value("x-oss-signature-version", in: request.query) == "OSS4-HMAC-SHA256")
        #expect(Self.value("x-oss-date", in: request.query) == "20231217T025437Z")
        #expect(Self.value("x-oss-expires", in: request.query) == "599")
        #expect(Self.value("x-oss-credential", in: request.query) == "ak/20231217/cn-hangzhou/oss/aliyun_v4_request")
        #expect(Self.value("x-oss-signature", in: request.query) == "a39966c61718be0d5b14e668088b3fa07601033f6518ac7b523100014269c0fe")
        #expect(Self.value("x-oss-additional-headers", in: request.query) == nil)
        #expect(request.query.last?.name == "x-oss-signature")
        #expect(request.headers == headersBefore)
        #expect(OSSQueryItem.encode(request.query).contains("x-oss-credential=ak%2F20231217%2Fcn-hangzhou%2Foss%2Faliyun_v4_request"))
    }

    @Test("V4 presign is idempotent: re-presigning replaces the owned parameters")
    func v4PresignTwice() {
        let signer = OSSSignerV4(region: "cn-hangzhou")
        let credentials = OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "token")
        var once = Self.vectorRequest()
        signer.presign(&once, credentials: credentials, date: Date(timeIntervalSince1970: 1_702_785_388), expires: 599,
                       additionalHeaders: ["abc"])
        var twice = once
        signer.presign(&twice, credentials: credentials, date: Date(timeIntervalSince1970: 1_702_785_388), expires: 599,
                       additionalHeaders: ["abc"])
        #expect(once.query == twice.query)
        #expect(Self.value("x-oss-security-token", in: once.query) == "token")
        #expect(Self.value("x-oss-additional-headers", in: once.query) == "abc")
    }

    @Test("V1 presign: Go SDK TestV1AuthQuery vectors")
    func v1PresignVectors() {
        var plain = OSSRequestParts(method: "GET", bucket: "bucket", key: "key",
                                    query: [OSSQueryItem(name: "versionId", value: "versionId")])
        OSSSignerV1().presign(&plain, credentials: OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk"),
                              expiration: Date(timeIntervalSince1970: 1_699_807_420))
        #expect(Self.value("Signature", in: plain.query) == "dcLTea+Yh9ApirQ8o8dOPqtvJXQ=")
        #expect(Self.value("Expires", in: plain.query) == "1699807420")
        #expect(Self.value("OSSAccessKeyId", in: plain.query) == "ak")

        var token = OSSRequestParts(method: "GET", bucket: "bucket", key: "key+123",
                                    query: [OSSQueryItem(name: "versionId", value: "versionId")])
        OSSSignerV1().presign(&token, credentials: OSSCredentials(accessKeyId: "ak", accessKeySecret: "sk", securityToken: "token"),
                              expiration: Date(timeIntervalSince1970: 1_699_808_204))
        #expect(Self.value("Signature", in: token.query) == "jzKYRrM5y6Br0dRFPaTGOsbrDhY=")
        #expect(Self.value("security-token", in: token.query) == "token")
        #expect(OSSQueryItem.encode(token.query).contains("Signature=jzKYRrM5y6Br0dRFPaTGOsbrDhY%3D"))
    }

    @Test("query parsing: flags, empty values, escapes, plus handling, malformed input")
    func parseQuery() throws {
        let items = try #require(OSSQueryItem.parse(query: "append&position=0&k%2Fey=v%20a+l&e=&&x=%F0%9F%98%80"))
        #expect(items == [
            OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: "0"),
            OSSQueryItem(name: "k/ey", value: "v a+l"), OSSQueryItem(name: "e", value: ""),
            OSSQueryItem(name: "x", value: "😀"),
        ])
        #expect(OSSQueryItem.parse(query: "a=b+c", plusAsSpace: true) == [OSSQueryItem(name: "a", value: "b c")])
        #expect(OSSQueryItem.parse(query: "a=b=c") == [OSSQueryItem(name: "a", value: "b=c")])
        #expect(OSSQueryItem.parse(query: "") == [])
        #expect(OSSQueryItem.parse(query: "a=%ZZ") == nil)
        #expect(OSSQueryItem.parse(query: "%FF=1") == nil)
        let original = [OSSQueryItem(name: "a b+", value: "c/d&e=f"), OSSQueryItem(name: "flag"), OSSQueryItem(name: "é", value: "")]
        #expect(OSSQueryItem.parse(query: OSSQueryItem.encode(original)) == original)
    }
}
