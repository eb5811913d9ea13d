import Foundation
import OSSSigning
import Testing

@Suite("Authorization header parsing")
struct AuthorizationParseTests {
    static let signature = "4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f"
    static let expectedV4 = OSSAuthorization.v4(
        accessKeyId: "ak", date: "20231216", region: "cn-hangzhou", product: "oss",
        additionalHeaders: ["abc", "zabc"], signature: signature
    )

    @Test("Go/Python v2 SDK style: ',' and AdditionalHeaders before Signature")
    func go2Style() throws {
        let header = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=abc;zabc,Signature=\(Self.signature)"
        #expect(try OSSAuthorization.parse(header) == Self.expectedV4)
    }

    @Test("oss2 style: ', ' and AdditionalHeaders last; extra whitespace")
    func oss2Style() throws {
        let header = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request, Signature=\(Self.signature), AdditionalHeaders=abc;zabc"
        #expect(try OSSAuthorization.parse(header) == Self.expectedV4)
        let spaced = "  OSS4-HMAC-SHA256   Signature = \(Self.signature) ,\tCredential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request ,AdditionalHeaders=ABC; zabc "
        #expect(try OSSAuthorization.parse(spaced) == Self.expectedV4)
    }

    @Test("without AdditionalHeaders; round trip of what the signer emits")
    func signerOutput() throws {
        var request = OSSRequestParts(method: "GET", bucket: "b", key: "k", headers: ["range": "bytes=0-1"])
        OSSSignerV4(region: "us-west-1").sign(
            &request, credentials: OSSCredentials(accessKeyId: "LTAIabc", accessKeySecret: "s"),
            date: Date(timeIntervalSince1970: 1_702_743_657), additionalHeaders: ["Range"]
        )
        let parsed = try OSSAuthorization.parse(try #require(request.headers["authorization"]))
        guard case let .v4(ak, date, region, product, additional, signature) = parsed else {
            Issue.record("expected V4, got \(parsed)")
            return
        }
        #expect(ak == "LTAIabc" && date == "20231216" && region == "us-west-1" && product == "oss")
        #expect(additional == ["range"] && signature.count == 64)
        let plain = "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=\(Self.signature)"
        #expect(try OSSAuthorization.parse(plain) == .v4(accessKeyId: "ak", date: "20231216", region: "cn-hangzhou",
                                                       product: "oss", additionalHeaders: [], signature: Self.signature))
    }

    @Test("V1")
    func v1() throws {
        #expect(try OSSAuthorization.parse("OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=") == .v1(accessKeyId: "ak", signature: "kSHKmLxlyEAKtZPkJhG9bZb5k7M="))
        #expect(try OSSAuthorization.parse(" OSS  LTAI5t:/afkugFbmWDQ967j1vr6zygBLQk= ") == .v1(accessKeyId: "LTAI5t", signature: "/afkugFbmWDQ967j1vr6zygBLQk="))
    }

    @Test(
        "malformed headers are rejected with a message",
        arguments: [
            "",
            "OSS",
            "Bearer abc",
            "AWS4-HMAC-SHA256 Credential=ak/20231216/us-east-1/s3/aws4_request,Signature=abc",
            "OSS ak",
            "OSS :sig",
            "OSS ak:",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request",
            "OSS4-HMAC-SHA256 Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host;,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=a;;b,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/2023-12-16/cn-hangzhou/oss/aliyun_v4_request,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aws4_request,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/oss/aliyun_v4_request,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=xyz",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Extra=1,Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
            "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request Signature=4a4183c187c07c8947db7620deb0a6b38d9fbdd34187b6dbaccb316fa251212f",
        ]
    )
    func malformed(header: String) {
        #expect(throws: OSSAuthorizationParseError.self) { try OSSAuthorization.parse(header) }
        do {
            _ = try OSSAuthorization.parse(header)
        } catch {
            #expect(!error.message.isEmpty)
        }
    }
}

@Suite("Credentials")
struct CredentialsTests {
    @Test("description masks the secret and the token")
    func masked() {
        let credentials = OSSCredentials(accessKeyId: "LTAIid", accessKeySecret: "super-secret-value", securityToken: "sts-token-value")
        var dumped = ""
        dump(credentials, to: &dumped)
        let text = "\(credentials) \(String(reflecting: credentials)) \(dumped)"
        #expect(text.contains("LTAIid"))
        #expect(!text.contains("super-secret-value"))
        #expect(!text.contains("sts-token-value"))
    }
}
