import HealthServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Observability
import Prometheus
import ServiceLifecycle
import Testing

@Suite("HealthServer")
struct HealthServerTests {
    private static let logger = Logger(label: "health-server-test", factory: { _ in SwiftLogNoOpLogHandler() })

    private struct Answer: Equatable {
        var status: HTTPResponse.Status
        var body: String
    }

    private func get(_ client: TestClient, _ path: String) async throws -> Answer {
        let response = try await client.get(path)
        return Answer(status: response.status, body: response.body.map { String(buffer: $0) } ?? "")
    }

    private func expectAnswer(
        _ client: TestClient, _ path: String, status: HTTPResponse.Status, body: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let answer = try await get(client, path)
        #expect(answer.status == status, "GET \(path)", sourceLocation: sourceLocation)
        if let body {
            #expect(answer.body == body, "GET \(path)", sourceLocation: sourceLocation)
        }
    }

    /// Runs a health server on 127.0.0.1 port 0 in a ServiceGroup, hands the client to `body`, then shuts it
    /// down gracefully and checks that `run()` returned.
    private func withServer(
        state: HealthState,
        registry: PrometheusCollectorRegistry,
        _ body: @escaping @Sendable (TestClient, Int) async throws -> Void
    ) async throws {
        let server = HealthServer(host: "127.0.0.1", port: 0, state: state, registry: registry, logger: Self.logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: Self.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.listeningPort()
            #expect(port > 0)
            #expect(server.port == port)
            try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                try await body(client, port)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("each readiness state answers the right status and one-line reason")
    func readinessStates() async throws {
        let state = HealthState()
        try await withServer(state: state, registry: PrometheusCollectorRegistry()) { client, _ in
            try await expectAnswer(client, "/healthz", status: .ok, body: "ok\n")
            try await expectAnswer(client, "/readyz", status: .serviceUnavailable, body: "not ready: OSS unreachable: OSS not reached yet (since \(since(state)))\n")

            state.markOSSReachable()
            try await expectAnswer(client, "/readyz", status: .serviceUnavailable, body: "not ready: consumer group not joined yet (since \(since(state)))\n")

            state.markGroupJoined(assignedPartitions: 0)
            try await expectAnswer(client, "/readyz", status: .ok, body: "ready\n")

            state.reportConfigError("oss: 403 AccessDenied: the bucket policy denies oss:AppendObject")
            try await expectAnswer(client, "/readyz", status: .serviceUnavailable, body: "not ready: configuration error: oss: 403 AccessDenied: the bucket policy denies oss:AppendObject (since \(since(state)))\n")
            try await expectAnswer(client, "/healthz", status: .ok, body: "ok\n")

            state.clearConfigError()
            try await expectAnswer(client, "/readyz", status: .ok, body: "ready\n")

            state.markOSSUnreachable(reason: "connect ECONNREFUSED 10.0.0.1:443")
            try await expectAnswer(client, "/readyz", status: .serviceUnavailable)
            state.markOSSReachable()

            state.markShuttingDown()
            try await expectAnswer(client, "/readyz", status: .serviceUnavailable, body: "not ready: shutting down (since \(since(state)))\n")

            state.markFatal(reason: "librdkafka fatal error")
            try await expectAnswer(client, "/healthz", status: .serviceUnavailable, body: "fatal: librdkafka fatal error\n")
            try await expectAnswer(client, "/nope", status: .notFound)
        }
    }

    @Test("/metrics serves the registry in the Prometheus text format with the recorded values")
    func metricsEndpoint() async throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)
        let state = HealthState(onChange: { ready, configError in metrics.setHealth(ready: ready, configError: configError) })
        metrics.recordConsumed(topic: "events", partition: 0, records: 3, bytes: 300)
        metrics.recordAppend(topic: "events", partition: 0, outcome: .ok, bytes: 280, records: 3, latency: .milliseconds(12))
        metrics.recordRollover(topic: "events", partition: 0, reason: "object_not_appendable")
        metrics.recordAppend(topic: "events", partition: 1, outcome: .fenced, bytes: 10, records: 1, latency: .milliseconds(5))
        try await withServer(state: state, registry: registry) { client, _ in
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = response.body.map { String(buffer: $0) } ?? ""
            #expect(text.contains(#"kafka_oss_sink_records_appended_total{topic="events",partition="0"} 3"#))
            #expect(text.contains(#"kafka_oss_sink_appended_bytes_total{topic="events",partition="0"} 280"#))
            #expect(text.contains(#"kafka_oss_sink_rollovers_total{topic="events",partition="0",reason="object_not_appendable"} 1"#))
            #expect(text.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="fenced"} 1"#))
            #expect(text.contains("kafka_oss_sink_ready 0"))

            // Counters move between scrapes.
            metrics.recordAppend(topic: "events", partition: 0, outcome: .ok, bytes: 20, records: 2, latency: .milliseconds(8))
            let again = try await client.get("/metrics").body.map { String(buffer: $0) } ?? ""
            #expect(again.contains(#"kafka_oss_sink_records_appended_total{topic="events",partition="0"} 5"#))
            #expect(again.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="ok"} 2"#))
        }
    }

    @Test("a port in use fails run() with bindFailed naming the address, and listeningPort() reports it")
    func bindFailure() async throws {
        let state = HealthState()
        try await withServer(state: state, registry: PrometheusCollectorRegistry()) { _, port in
            let second = HealthServer(
                host: "127.0.0.1", port: port, state: state, registry: PrometheusCollectorRegistry(),
                logger: Self.logger)
            let error = await #expect(throws: HealthServerError.self) { try await second.run() }
            #expect(error?.code == .bindFailed)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            await #expect(throws: HealthServerError.self) { _ = try await second.listeningPort() }
            let thirdRun = await #expect(throws: HealthServerError.self) { try await second.run() }
            #expect(thirdRun?.code == .alreadyRunning)
        }
    }
}

/// The `since` time `/readyz` prints for the state's current wait.
private func since(_ state: HealthState) -> String {
    state.waiting()?.since.formatted(.iso8601) ?? "-"
}
