import Foundation
import SinkTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What an operator sees while the sink waits: `/readyz` names the reason and since when, the log repeats it
/// every 10 s, and the sink notices by itself when the missing piece comes up.
@Suite(.serialized) struct WaitingTests {
    /// A loopback port nothing listens on (bound, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test("an OSS endpoint that is down is named on /readyz and in the log every 10 s, and noticed when it comes up")
    func waitsForOSSAndNoticesItComingUp() async throws {
        let mock = try RunningProcess(["mock-kafka", "--topic", "events:2"])
        var processes = [mock]
        defer { for process in processes { process.signal(SIGKILL) } }
        let bootstrap = try await mock.waitForLine { $0.hasPrefix("bootstrap: ") }.dropFirst("bootstrap: ".count)
        let ossPort = try Self.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("waiting-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("sink.yaml").path
        try """
            kafka:
              bootstrap_servers: "\(bootstrap)"
              group_id: "waiting-group"
              topics: ["events"]
              properties:
                session.timeout.ms: "4000"
                heartbeat.interval.ms: "500"
            oss:
              endpoint: "http://127.0.0.1:\(ossPort)"
              region: "cn-hangzhou"
              bucket: "waiting-archive"
              credentials:
                provider: static
                access_key_id: "waiting-id"
                access_key_secret: "\(ProcessStack.secret)"
            server:
              listen: "127.0.0.1:0"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let sink = SinkProcess(process: try RunningProcess(["run", "--config", config]))
        processes.append(sink.process)
        let port = try await sink.port()

        // The first OSS check runs beside the probe server: until it failed, the reason is "OSS not reached yet".
        _ = await eventually(timeout: .seconds(10)) {
            (try? await httpGet(port: port, path: "/readyz"))?.body.contains("cannot connect") == true
        }
        let readyz = try await httpGet(port: port, path: "/readyz")
        #expect(readyz.status == 503)
        #expect(readyz.body.hasPrefix("not ready: OSS unreachable: cannot connect to the OSS endpoint http://127.0.0.1:\(ossPort)"), "\(readyz.body)")
        #expect(readyz.body.contains("(since 20"), "\(readyz.body)")
        let line = try await sink.process.waitForLine(on: .stderr, timeout: .seconds(20)) { $0.contains("still waiting: ") }
        #expect(line.contains("warning kafka-oss-sink: still waiting: OSS unreachable: cannot connect"), "\(line)")
        #expect(line.contains("waiting_for=oss_unreachable") && line.contains("waited_s=1"), "\(line)")

        let emulator = try RunningProcess(["emulator", "--port", "\(ossPort)", "--bucket", "waiting-archive",
                                           "--access-key-id", "waiting-id", "--access-key-secret", ProcessStack.secret])
        processes.append(emulator)
        try await emulator.waitForLine { $0.hasPrefix("endpoint: ") }
        try await sink.process.waitForLine(on: .stderr, timeout: .seconds(20)) { $0.contains("OSS answers again") }
        let ready = await eventually(timeout: .seconds(20)) { (try? await httpGet(port: port, path: "/readyz"))?.status == 200 }
        #expect(ready, "\(sink.process.stderr.suffix(3000))")

        sink.process.signal(SIGTERM)
        #expect(try await sink.process.waitForExit(timeout: .seconds(30)) == 0)
        await emulator.stop()
        await mock.stop()
    }
}
