import Foundation
import KafkaBridge
import Logging
import SinkTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The operator's setup, as processes: `mock-kafka`, `emulator` and `run --config`, stopped with SIGTERM and
/// started again. On librdkafka's mock cluster a member that joins after the last one left waits
/// session.timeout.ms - 1 s; with the short session timeout of the mock-facing configs that is ~3 s.
@Suite(.serialized) struct RestartTests {
    typealias Stack = ProcessStack
    typealias Sink = SinkProcess

    static let mockGroupTiming = ["session.timeout.ms": "4000", "heartbeat.interval.ms": "500"]

    @Test("after a clean SIGTERM, the restarted sink is assigned its partitions within 5 s")
    func cleanRestartRejoinsWithinFiveSeconds() async throws {
        let stack = try await Stack.start(partitions: 4)
        let config = try stack.config(name: "sink", properties: Self.mockGroupTiming)
        var processes: [RunningProcess] = []
        do {
            let first = try Sink(config: config)
            processes.append(first.process)
            let firstPort = try await first.port()
            _ = try await first.waitForAssignment(4, port: firstPort, from: .now)
            try await stack.produce(40)
            first.process.signal(SIGTERM)
            #expect(try await first.process.waitForExit(timeout: .seconds(30)) == 0)

            let restarted = ContinuousClock.now
            let second = try Sink(config: config)
            processes.append(second.process)
            let waited = try await second.waitForAssignment(4, port: try await second.port(), from: restarted)
            #expect(waited < .seconds(5), "restart to assignment took \(waited)")
            second.process.signal(SIGTERM)
            #expect(try await second.process.waitForExit(timeout: .seconds(30)) == 0)
            // One line per event: one listening line, one "partitions assigned" line per assignment.
            let log = first.process.stderr
            #expect(log.components(separatedBy: "listening").count - 1 == 1, "\(log)")
            #expect(!log.contains("Server started"))
            #expect(log.components(separatedBy: "partitions assigned").count - 1 == 1, "\(log)")
        } catch {
            for process in processes { await process.stop() }
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test("a sink stopped while OSS rejects its secret leaves at once, and the next one rejoins within 5 s")
    func stopOnConfigurationErrorLeavesAtOnce() async throws {
        let stack = try await Stack.start(partitions: 4)
        let bad = try stack.config(name: "bad", secret: "wrong-secret-for-this-test-0001", properties: Self.mockGroupTiming,
                                   shutdownTimeout: "30s")
        let good = try stack.config(name: "good", properties: Self.mockGroupTiming)
        var processes: [RunningProcess] = []
        do {
            let first = try Sink(config: bad)
            processes.append(first.process)
            let port = try await first.port()
            _ = try await first.waitForAssignment(4, port: port, from: .now)
            try await stack.produce(40)
            // OSS refuses the appends: consumption pauses with records buffered, /readyz names the error.
            try await first.process.waitForLine(on: .stderr) { $0.contains("OSS rejects the sink's requests; consumption is paused") }
            let readyz = try? await httpGet(port: port, path: "/readyz")
            #expect(readyz?.body.hasPrefix("not ready: configuration error: ") == true, "\(readyz?.body ?? "")")
            let stopped = ContinuousClock.now
            first.process.signal(SIGTERM)
            // Before: the full shutdown_timeout (30 s) and exit 1; now nothing to flush, so it leaves at once.
            #expect(try await first.process.waitForExit(timeout: .seconds(30)) == 0)
            #expect(ContinuousClock.now - stopped < .seconds(5))
            #expect(first.process.stderr.contains("stopping without flushing"))

            let restarted = ContinuousClock.now
            let second = try Sink(config: good)
            processes.append(second.process)
            let waited = try await second.waitForAssignment(4, port: try await second.port(), from: restarted)
            #expect(waited < .seconds(5), "restart to assignment took \(waited)")
            second.process.signal(SIGTERM)
            #expect(try await second.process.waitForExit(timeout: .seconds(30)) == 0)
        } catch {
            for process in processes { await process.stop() }
            await stack.stop()
            throw error
        }
        await stack.stop()
    }
}
