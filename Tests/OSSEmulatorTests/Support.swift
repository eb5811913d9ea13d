import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OSSEmulator
import OSSSigning

/// Signs requests with OSSSigning and sends them to an emulator over a real socket (one connection each).
struct SignedClient {
    enum Version { case v1, v4 }

    let port: Int
    var credentials = OSSCredentials(accessKeyId: "test-ak", accessKeySecret: "test-secret")
    var version: Version = .v4
    var date: Date = Date()
    var region = "cn-hangzhou"
    /// Host header; nil sends none (path-style).
    var host: String?

    struct Reply {
        var status: Int
        var headers: HTTPFields
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
        /// `<name>value</name>` from the XML body (or from x-oss-err on HEAD errors).
        func xmlValue(_ name: String) -> String? {
            var source = text
            if body.isEmpty, let err = header("x-oss-err"), let data = Data(base64Encoded: err) {
                source = String(decoding: data, as: UTF8.self)
            }
            guard let start = source.range(of: "<\(name)>"), let end = source.range(of: "</\(name)>", range: start.upperBound..<source.endIndex) else {
                return nil
            }
            return String(source[start.upperBound..<end.lowerBound])
        }
    }

    func send(
        _ method: String,
        bucket: String?,
        key: String? = nil,
        query: [OSSQueryItem] = [],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        pathStyle: Bool = true,
        sign: Bool = true
    ) async throws -> Reply {
        var parts = OSSRequestParts(method: method, bucket: bucket, key: key, query: query, headers: headers)
        if sign {
            switch version {
            case .v4: OSSSignerV4(region: region).sign(&parts, credentials: credentials, date: date)
            case .v1: OSSSignerV1().sign(&parts, credentials: credentials, date: date)
            }
        }
        var path = "/"
        if pathStyle, let bucket { path += bucket + "/" }
        if let key { path += OSSPercentEncoding.encode(key, keepSlash: false) }
        if !query.isEmpty {
            path += "?" + query.map { item in
                let name = OSSPercentEncoding.encode(item.name, keepSlash: false)
                guard let value = item.value else { return name }
                return name + "=" + OSSPercentEncoding.encode(value, keepSlash: false)
            }.joined(separator: "&")
        }
        var fields = HTTPFields()
        for (name, value) in parts.headers.sorted(by: { $0.key < $1.key }) {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        let request = TestClient.Request(
            path, method: HTTPRequest.Method(method)!, authority: host ?? "127.0.0.1:\(port)", headers: fields,
            body: method == "PUT" || method == "POST" ? ByteBuffer(bytes: body) : nil
        )
        let response = try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await client.execute(request)
        }
        return Reply(
            status: response.status.code,
            headers: response.headers,
            body: response.body.map { Array($0.readableBytesView) } ?? []
        )
    }

    func append(_ bucket: String, _ key: String, position: UInt64, _ body: [UInt8], headers: [String: String] = [:]) async throws -> Reply {
        try await send(
            "POST", bucket: bucket, key: key,
            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: String(position))],
            headers: ["content-type": "application/octet-stream"].merging(headers) { $1 }, body: body
        )
    }
}

/// Starts an in-memory (or directory) emulator for one test and always shuts it down.
func withEmulator<T>(
    storage: OSSEmulatorStorage = .memory,
    credentials: [OSSCredentials] = [OSSCredentials(accessKeyId: "test-ak", accessKeySecret: "test-secret")],
    now: @escaping @Sendable () -> Date = { Date() },
    sealEnabled: Bool = true,
    _ body: (OSSEmulatorServer, SignedClient) async throws -> T
) async throws -> T {
    let server = try OSSEmulatorServer(configuration: OSSEmulatorConfiguration(
        buckets: ["test-bucket"], credentials: credentials, storage: storage, sealEnabled: sealEnabled, now: now
    ))
    try await server.start()
    do {
        let result = try await body(server, SignedClient(port: server.port!))
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// A fresh directory under the system temp directory, removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "oss-emulator-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
