import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OSSEmulator
import OSSSigning
import Testing

/// Prints append throughput of the memory store (directly and over HTTP with V4 signing on one keep-alive
/// connection). Asserts correctness only, never timing. Runs when OSS_EMULATOR_THROUGHPUT=1.
@Suite("Throughput report (OSS_EMULATOR_THROUGHPUT=1)", .serialized)
struct ThroughputReport {
    static let enabled = ProcessInfo.processInfo.environment["OSS_EMULATOR_THROUGHPUT"] == "1"

    @Test(.enabled(if: enabled), arguments: [(1024, 5000), (1024 * 1024, 300)])
    func memoryStoreDirect(size: Int, count: Int) async throws {
        let store = try OSSObjectStore(storage: .memory)
        try store.createBucket("bkt")
        let body = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0) })
        let clock = ContinuousClock()
        var position: UInt64 = 0
        let elapsed = try await clock.measure {
            for _ in 0..<count {
                guard case .applied(let record, _) = try await store.append(
                    bucket: "bkt", key: "k", position: position, body: body, attributes: .init()
                ) else { Issue.record("append refused"); return }
                position = record.length
            }
        }
        #expect(position == UInt64(size * count))
        report("store direct", size: size, count: count, elapsed: elapsed)
    }

    @Test(.enabled(if: enabled), arguments: [(1024, 300), (1024 * 1024, 50)])
    func directoryStoreDirect(size: Int, count: Int) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try OSSObjectStore(storage: .directory(directory))
        try store.createBucket("bkt")
        let body = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0) })
        var position: UInt64 = 0
        let elapsed = try await ContinuousClock().measure {
            for _ in 0..<count {
                guard case .applied(let record, _) = try await store.append(
                    bucket: "bkt", key: "k", position: position, body: body, attributes: .init()
                ) else { Issue.record("append refused"); return }
                position = record.length
            }
        }
        #expect(position == UInt64(size * count))
        report("directory store direct (fsync)", size: size, count: count, elapsed: elapsed)
    }

    @Test(.enabled(if: enabled), arguments: [(1024, 2000), (1024 * 1024, 200)])
    func memoryStoreOverHTTP(size: Int, count: Int) async throws {
        try await withEmulator { server, signed in
            let body = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0) })
            let credentials = signed.credentials
            let port = server.port!
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                    var position: UInt64 = 0
                    for _ in 0..<count {
                        var parts = OSSRequestParts(
                            method: "POST", bucket: "test-bucket", key: "bench",
                            query: [OSSQueryItem(name: "append"), OSSQueryItem(name: "position", value: String(position))],
                            headers: ["content-type": "application/octet-stream"]
                        )
                        OSSSignerV4(region: "cn-hangzhou").sign(&parts, credentials: credentials, date: Date())
                        var fields = HTTPFields()
                        for (name, value) in parts.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
                        let response = try await client.execute(TestClient.Request(
                            "/test-bucket/bench?append&position=\(position)", method: .post,
                            authority: "127.0.0.1:\(port)", headers: fields, body: body
                        ))
                        guard response.status == .ok, let next = response.headers[HTTPField.Name("x-oss-next-append-position")!] else {
                            Issue.record("append failed: \(response.status)")
                            return
                        }
                        position = UInt64(next)!
                    }
                }
            }
            #expect(server.store.head(bucket: "test-bucket", key: "bench")?.length == UInt64(size * count))
            report("HTTP + V4", size: size, count: count, elapsed: elapsed)
        }
    }

    func report(_ what: String, size: Int, count: Int, elapsed: Duration) {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let perSecond = Double(count) / seconds
        let megabytes = Double(size * count) / 1_048_576 / seconds
        print("THROUGHPUT \(what): \(size) B bodies: \(Int(perSecond)) appends/s, \(String(format: "%.1f", megabytes)) MiB/s (\(count) appends)")
    }
}
