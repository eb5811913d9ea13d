import Foundation
import SinkTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The sink, `oss` and `verify` over HTTPS to `emulator --tls-cert/--tls-key`, trusting a CA made in the test
/// through `oss.ca_file`.
@Suite(.serialized) struct TLSEndToEndTests {
    static let timing = ["session.timeout.ms": "4000", "heartbeat.interval.ms": "500"]

    static func certificates(_ prefix: String) throws -> TestCertificates {
        try TestCertificates.make(
            in: FileManager.default.temporaryDirectory.appendingPathComponent("e2e-tls-\(UUID().uuidString)"), prefix: prefix,
            commonName: "\(prefix) CA")
    }

    @Test("the sink archives and commits over HTTPS; oss and verify read it back")
    func archivesOverHTTPS() async throws {
        let certificates = try Self.certificates("e2e")
        let stack = try await ProcessStack.start(partitions: 4, tls: certificates)
        var sink: SinkProcess?
        do {
            #expect(stack.endpoint.hasPrefix("https://127.0.0.1:"))
            let config = try stack.config(name: "tls", properties: Self.timing, oss: ["ca_file: \"\(certificates.caFile)\""])
            let running = try SinkProcess(config: config)
            sink = running
            let port = try await running.port()
            _ = try await running.waitForAssignment(4, port: port, from: .now)
            try await stack.produce(200)
            let committed = await eventually(timeout: .seconds(60)) {
                let consumed = await running.metric("kafka_oss_sink_records_consumed_total", port: port)
                let ready = (try? await httpGet(port: port, path: "/readyz"))?.status
                return consumed == 200 && ready == 200
            }
            #expect(committed, "\(running.process.stderr.suffix(3000))")
            running.process.signal(SIGTERM)
            #expect(try await running.process.waitForExit(timeout: .seconds(30)) == 0)

            let verify = try await CLIProcess.run(["verify", "--config", config], in: stack.directory)
            #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
            #expect(verify.stdout.contains("verify: 4 partitions, 4 segments, 0 problems"), "\(verify.stdout)")
            for partition in 0..<4 {
                #expect(verify.stdout.contains("events[\(partition)]: 1 segment(s), committed offset 50 (v2 key="), "\(verify.stdout)")
            }
            let list = try await CLIProcess.run(["oss", "ls", "--config", config], in: stack.directory)
            #expect(list.status == 0, "\(list.stderr)")
            #expect(list.stdout.contains("events/"), "\(list.stdout)")
        } catch {
            await sink?.process.stop()
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test("a wrong CA is reported naming oss.ca_file, on /readyz and by oss ls")
    func wrongCAIsAClearError() async throws {
        let served = try Self.certificates("served")
        let other = try Self.certificates("other")
        let stack = try await ProcessStack.start(partitions: 1, tls: served)
        var sink: SinkProcess?
        do {
            let config = try stack.config(name: "wrong-ca", properties: Self.timing, oss: ["ca_file: \"\(other.caFile)\""])
            let running = try SinkProcess(config: config)
            sink = running
            let port = try await running.port()
            try await running.process.waitForLine(on: .stderr) { $0.contains("OSS check failed") }
            let line = running.process.stderr.split(separator: "\n").first { $0.contains("OSS check failed") } ?? ""
            #expect(line.contains("the TLS handshake with \(stack.endpoint) failed"), "\(line)")
            #expect(line.contains("set oss.ca_file"), "\(line)")
            let ready = (try? await httpGet(port: port, path: "/readyz"))
            #expect(ready?.status == 503)
            #expect(ready?.body.hasPrefix("not ready: configuration error: the TLS handshake") == true, "\(ready?.body ?? "")")
            running.process.signal(SIGTERM)
            #expect(try await running.process.waitForExit(timeout: .seconds(30)) == 0)

            let list = try await CLIProcess.run(["oss", "ls", "--config", config], in: stack.directory)
            #expect(list.status == 1)
            #expect(list.stderr.contains("oss.ca_file"), "\(list.stderr)")
        } catch {
            await sink?.process.stop()
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
