import Foundation
import HealthServer
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceLifecycle
import Testing

/// deploy/ cannot be exercised here (no container engine, no cluster); these tests tie it to the server instead.
/// deploy/check_deploy.py checks the rest statically (YAML, kustomize, check-config, systemd-analyze).
@Suite("Deploy manifests")
struct DeployManifestTests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func read(_ path: String) throws -> String {
        try String(contentsOf: Self.repository.appendingPathComponent(path), encoding: .utf8)
    }

    private func matches(_ pattern: String, in text: String) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        }
    }

    @Test("every probe and scrape path in deploy/kubernetes is served by the health server")
    func probePathsAreServed() async throws {
        let deployment = try read("deploy/kubernetes/base/deployment.yaml")
        let monitor = try read("deploy/kubernetes/base/podmonitor.yaml")
        let paths = try matches(#"^\s*path:\s*(/\S+)\s*$"#, in: deployment + "\n" + monitor)
        #expect(Set(paths) == ["/readyz", "/healthz", "/metrics"])

        let logger = Logger(label: "deploy-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = HealthServer(
            host: "127.0.0.1", port: 0, state: HealthState(), registry: PrometheusCollectorRegistry(), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = try await server.listeningPort()
            try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                for path in paths {
                    let status = try await client.get(path).status
                    #expect(status == .ok || status == .serviceUnavailable, "GET \(path) answered \(status)")
                }
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("the config path is the same in the Dockerfile, the Deployment and the systemd unit")
    func configPathAgrees() throws {
        let path = "/etc/kafka-oss-sink/config.yaml"
        let dockerfile = try read("deploy/Dockerfile")
        #expect(dockerfile.contains(#"CMD ["run", "--config", "\#(path)"]"#))
        #expect(dockerfile.contains(#"ENTRYPOINT ["kafka-oss-sink"]"#))
        #expect(dockerfile.contains("EXPOSE 9464"))
        let deployment = try read("deploy/kubernetes/base/deployment.yaml")
        #expect(deployment.contains(#"args: ["run", "--config", "\#(path)"]"#))
        #expect(try matches(#"^\s*mountPath:\s*(\S+)\s*$"#, in: deployment) == ["/etc/kafka-oss-sink"])
        let unit = try read("deploy/systemd/kafka-oss-sink.service")
        #expect(unit.contains("ExecStart=/usr/local/bin/kafka-oss-sink run --config \(path)\n"))
    }

    @Test("grace periods exceed the configured shutdown_timeout")
    func gracePeriods() throws {
        let config = try read("deploy/kubernetes/base/configmap.yaml")
        let timeout = try #require(try matches(#"^\s*shutdown_timeout:\s*(\d+)s\s*$"#, in: config).first.flatMap { Int($0) })
        let deployment = try read("deploy/kubernetes/base/deployment.yaml")
        let grace = try #require(
            try matches(#"^\s*terminationGracePeriodSeconds:\s*(\d+)\s*$"#, in: deployment).first.flatMap { Int($0) })
        #expect(grace > timeout)
        let unit = try read("deploy/systemd/kafka-oss-sink.service")
        let stop = try #require(try matches(#"^TimeoutStopSec=(\d+)s$"#, in: unit).first.flatMap { Int($0) })
        #expect(stop > timeout)
    }
}
