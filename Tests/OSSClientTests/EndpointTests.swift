import OSSClient
import OSSSigning
import Testing

@Suite("Endpoint parsing and URL building")
struct EndpointTests {
    @Test("Virtual-hosted style by default: bucket in the host, key percent-encoded with / kept")
    func virtualHosted() throws {
        let endpoint = try OSSEndpoint(parsing: "https://oss-cn-hangzhou.aliyuncs.com", pathStyle: false)
        #expect(!endpoint.pathStyle)
        #expect(
            endpoint.url(bucket: "examplebucket", key: "logs/app 1+2%.log")
                == "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/logs/app%201%2B2%25.log")
        #expect(
            endpoint.url(bucket: "examplebucket", key: "k", query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: "0")])
                == "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/k?append&position=0")
        #expect(
            endpoint.url(bucket: "examplebucket", key: nil, query: [OSSQueryItem(name: "bucketInfo")])
                == "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/?bucketInfo")
        #expect(endpoint.impliedRegion == "cn-hangzhou")
    }

    @Test("Path style when configured: bucket first in the path")
    func pathStyleConfigured() throws {
        let endpoint = try OSSEndpoint(parsing: "http://oss.local:9000", pathStyle: true)
        #expect(endpoint.url(bucket: "b1", key: "a/b.txt") == "http://oss.local:9000/b1/a/b.txt")
        #expect(
            endpoint.url(bucket: "b1", key: nil, query: [OSSQueryItem(name: "prefix", value: "a/b c")])
                == "http://oss.local:9000/b1/?prefix=a%2Fb%20c")
    }

    @Test("Path style automatically for an IP address host, v4 and v6")
    func pathStyleForIP() throws {
        let v4 = try OSSEndpoint(parsing: "http://127.0.0.1:9000", pathStyle: false)
        #expect(v4.pathStyle)
        #expect(v4.url(bucket: "b1", key: "k") == "http://127.0.0.1:9000/b1/k")
        let v6 = try OSSEndpoint(parsing: "http://[::1]:9000", pathStyle: false)
        #expect(v6.pathStyle)
        #expect(v6.host == "::1")
        #expect(v6.url(bucket: "b1", key: "k") == "http://[::1]:9000/b1/k")
        let name = try OSSEndpoint(parsing: "http://localhost:9000", pathStyle: false)
        #expect(!name.pathStyle)
        #expect(name.url(bucket: "b1", key: "k") == "http://b1.localhost:9000/k")
        #expect(!OSSEndpoint.isIPAddress("1.2.3.256"))
        #expect(!OSSEndpoint.isIPAddress("1.2.3"))
    }

    @Test("A bare host is https; regions are implied from Alibaba Cloud endpoint names")
    func bareHostAndRegion() throws {
        let endpoint = try OSSEndpoint(parsing: "oss-cn-beijing-internal.aliyuncs.com", pathStyle: false)
        #expect(endpoint.scheme == "https")
        #expect(endpoint.baseURL == "https://oss-cn-beijing-internal.aliyuncs.com")
        #expect(endpoint.impliedRegion == "cn-beijing")
        #expect(try OSSEndpoint(parsing: "https://cn-shanghai.oss.aliyuncs.com/", pathStyle: false).impliedRegion == "cn-shanghai")
        #expect(try OSSEndpoint(parsing: "http://127.0.0.1:1", pathStyle: false).impliedRegion == nil)
    }

    @Test("Unusable endpoints are configuration errors naming oss.endpoint", arguments: [
        "ftp://host", "http://", "http://host:99999", "http://host/path", "http://user@host",
    ])
    func invalid(_ text: String) {
        #expect {
            _ = try OSSEndpoint(parsing: text, pathStyle: false)
        } throws: { error in
            guard let error = error as? OSSError else { return false }
            return error.code == .invalidConfiguration && error.description.contains("oss.endpoint")
        }
    }

    @Test("Client init: v4 without a region, and invalid bucket names, are refused with a fix")
    func clientValidation() {
        let provider = StaticCredentialsProvider(accessKeyId: "id", accessKeySecret: "secret")
        #expect {
            _ = try OSSClient(
                configuration: OSSClientConfiguration(endpoint: "http://127.0.0.1:1", bucket: "b1b", credentialsProvider: provider))
        } throws: { ($0 as? OSSError)?.description.contains("oss.region") == true }
        #expect {
            _ = try OSSClient(
                configuration: OSSClientConfiguration(
                    endpoint: "http://127.0.0.1:1", region: "cn-hangzhou", bucket: "Bad_Bucket", credentialsProvider: provider))
        } throws: { ($0 as? OSSError)?.description.contains("oss.bucket") == true }
    }
}
