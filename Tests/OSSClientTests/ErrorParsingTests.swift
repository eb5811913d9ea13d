import Foundation
import NIOHTTP1
import Testing

@testable import OSSClient

@Suite("OSSError parsing")
struct ErrorParsingTests {
    let context = OSSError.Context(operation: "AppendObject", endpoint: "http://127.0.0.1:1", bucket: "b", key: "k")

    @Test("XML error body: Code, Message, RequestId, HostId, EC, extras and next append position")
    func xmlBody() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error xmlns="http://doc.oss-cn-hangzhou.aliyuncs.com">
              <Code>PositionNotEqualToLength</Code>
              <Message>Position is not equal to file length</Message>
              <RequestId>5C3D8D2A0ACA54D87B43AAAA</RequestId>
              <HostId>examplebucket.oss-cn-hangzhou.aliyuncs.com</HostId>
              <EC>0026-00000016</EC>
              <RecommendDoc>https://api.aliyun.com/troubleshoot?q=0026-00000016&amp;x=1</RecommendDoc>
            </Error>
            """
        let headers = HTTPHeaders([("x-oss-next-append-position", "32"), ("x-oss-request-id", "ignored-when-body-has-one")])
        let error = OSSError.fromResponse(status: 409, headers: headers, body: Array(xml.utf8), context: context)
        #expect(error.code == .positionNotEqualToLength)
        #expect(error.statusCode == 409)
        #expect(error.message == "Position is not equal to file length")
        #expect(error.requestId == "5C3D8D2A0ACA54D87B43AAAA")
        #expect(error.hostId == "examplebucket.oss-cn-hangzhou.aliyuncs.com")
        #expect(error.ec == "0026-00000016")
        #expect(error.extras["RecommendDoc"] == "https://api.aliyun.com/troubleshoot?q=0026-00000016&x=1")
        #expect(error.nextAppendPosition == 32)
        #expect(!error.isRetryable)
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains("PositionNotEqualToLength"))
        #expect(error.description.contains("next append position 32"))
    }

    @Test("SignatureDoesNotMatch drops StringToSign and friends, which can echo the security token")
    func dropsSigningMaterial() {
        let xml = """
            <Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>
            <RequestId>R1</RequestId><HostId>h</HostId><SignatureProvided>abc</SignatureProvided>
            <StringToSign>POST\n\nx-oss-security-token:\(TestSecrets.securityToken)\n/b/k</StringToSign>
            <StringToSignBytes>50 4f</StringToSignBytes><OSSAccessKeyId>LTAI5tTestAccessKey</OSSAccessKeyId>
            <BucketName>b</BucketName></Error>
            """
        let error = OSSError.fromResponse(status: 403, headers: [:], body: Array(xml.utf8), context: context)
        #expect(error.code == .signatureDoesNotMatch)
        #expect(error.extras["StringToSign"] == nil)
        #expect(error.extras["StringToSignBytes"] == nil)
        #expect(error.extras["SignatureProvided"] == nil)
        #expect(error.extras["BucketName"] == "b")
        #expect(!containsSecret("\(error) \(error.extras) \(error.message)"))
    }

    @Test("Body-less error: XML decoded from the base64 x-oss-err header")
    func xOSSErrHeader() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>
            <RequestId>5C3D8D2A0ACA54D87B43BBBB</RequestId><HostId>b.oss</HostId><Key>missing.log</Key>
            <EC>0026-00000001</EC></Error>
            """
        let headers = HTTPHeaders([
            ("x-oss-err", Data(xml.utf8).base64EncodedString()), ("x-oss-ec", "0026-00000001"),
            ("x-oss-request-id", "5C3D8D2A0ACA54D87B43BBBB"),
        ])
        let error = OSSError.fromResponse(status: 404, headers: headers, body: [], context: context)
        #expect(error.code == .noSuchKey)
        #expect(error.message == "The specified key does not exist.")
        #expect(error.extras["Key"] == "missing.log")
        #expect(error.ec == "0026-00000001")
        #expect(error.requestId == "5C3D8D2A0ACA54D87B43BBBB")
    }

    @Test("A body that is not an OSS error document gives BadErrorResponse with the status")
    func badBody() {
        let error = OSSError.fromResponse(
            status: 502, headers: [:], body: Array("<html>Bad Gateway</html>".utf8), context: context)
        #expect(error.code == .badErrorResponse)
        #expect(error.statusCode == 502)
        #expect(error.isRetryable)
        #expect(error.message.contains("Bad Gateway"))
        let empty = OSSError.fromResponse(status: 500, headers: [:], body: [], context: context)
        #expect(empty.code == .badErrorResponse)
        #expect(empty.isRetryable)
    }

    @Test("A HEAD 404 without x-oss-err is NoSuchKey for an object request")
    func headWithoutErrHeader() {
        let error = OSSError.fromResponse(status: 404, headers: [:], body: [], context: context)
        #expect(error.code == .noSuchKey)
    }

    @Test(
        "Retry classification: 5xx, 429, RequestTimeTooSkewed and transport errors retry; other 4xx never",
        arguments: [
            (500, "InternalError", true), (503, "ServiceUnavailable", true), (429, "TooManyRequests", true),
            (403, "RequestTimeTooSkewed", true), (403, "AccessDenied", false), (403, "SignatureDoesNotMatch", false),
            (404, "NoSuchBucket", false), (409, "PositionNotEqualToLength", false), (409, "ObjectNotAppendable", false),
            (400, "InvalidArgument", false), (408, "RequestTimeout", false),
        ])
    func retryClassification(status: Int, code: String, retryable: Bool) {
        let error = OSSError(code: OSSError.Code(code), statusCode: status, message: "m")
        #expect(error.isRetryable == retryable)
    }

    @Test("Client-side codes: transport errors retry, integrity/configuration/credentials do not")
    func clientCodes() {
        for code in [OSSError.Code.timeout, .connectionFailed, .connectionClosed, .transport, .nameResolutionFailed] {
            #expect(OSSError(code: code, message: "m").isRetryable, "\(code)")
        }
        for code in [OSSError.Code.integrityMismatch, .invalidConfiguration, .credentialsUnavailable, .cancelled, .invalidResponse] {
            #expect(!OSSError(code: code, message: "m").isRetryable, "\(code)")
        }
        #expect(OSSError(code: .timeout, message: "m").mayHaveBeenApplied)
        #expect(!OSSError(code: .connectionFailed, message: "m").mayHaveBeenApplied)
        #expect(OSSError(code: "InternalError", statusCode: 500, message: "m").mayHaveBeenApplied)
        #expect(!OSSError(code: "TooManyRequests", statusCode: 429, message: "m").mayHaveBeenApplied)
    }

    @Test("XML parser: entities, CDATA, self-closing elements, comments")
    func xmlParser() throws {
        let xml = "<?xml version=\"1.0\"?><!-- c --><A x='1'><B>a &lt;&amp;&gt; &#65;&#x42;</B><C/><D><![CDATA[<raw>]]></D></A>"
        let root = try #require(XMLNode.parse(Array(xml.utf8)))
        #expect(root.name == "A")
        #expect(root.attributes["x"] == "1")
        #expect(root.string("B") == "a <&> AB")
        #expect(root.child("C") != nil)
        #expect(root.string("D") == "<raw>")
        #expect(XMLNode.parse(Array("<A><B></A>".utf8)) == nil)
    }
}
