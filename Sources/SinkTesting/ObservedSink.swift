import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import HealthServer
public import Logging
public import Observability
public import Prometheus
public import SinkApp

/// The metrics, probes' state and captured log lines of one sink run, wired the way `run` wires them.
public final class ObservedSink: Sendable {
    public let registry = PrometheusCollectorRegistry()
    public let metrics: SinkMetrics
    public let health: HealthState
    public let logs = CapturedLogs()
    public let logger: Logger

    /// `level`: the lowest level captured (`.trace` records every append with its position and size).
    public init(level: Logger.Level = .info) {
        metrics = SinkMetrics(registry: registry)
        health = HealthState(metrics: metrics, redactor: nil)
        logger = logs.logger(label: "e2e-operations", level: level)
    }

    /// What the service reports to.
    public var reporter: SinkMetricsReporter { SinkMetricsReporter(metrics: metrics, health: health) }

    /// A health server for this run on 127.0.0.1, port 0.
    public func healthServer() -> HealthServer {
        HealthServer(host: "127.0.0.1", port: 0, state: health, registry: registry, logger: logger)
    }

    /// The registry in the Prometheus text format, read directly (no HTTP).
    public func exposition() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sum of every series of `name` whose labels include `labels`, read from the registry.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        PrometheusText.sum(exposition(), name, labels)
    }
}

/// Sums of series in the Prometheus text exposition format.
public enum PrometheusText {
    /// The sum of the samples of `name` (exactly that name, no `_bucket`/`_sum` suffix) whose labels include
    /// every pair of `labels`; 0 when none.
    public static func sum(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(name) else { continue }
            let rest = line.dropFirst(name.count)
            var series: [String: String] = [:]
            let valueText: Substring
            if rest.hasPrefix("{") {
                guard let close = rest.lastIndex(of: "}") else { continue }
                for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    series[String(parts[0])] = String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
                }
                valueText = rest[rest.index(after: close)...]
            } else if rest.hasPrefix(" ") {
                valueText = rest
            } else {
                continue
            }
            guard labels.allSatisfy({ series[$0.key] == $0.value }),
                  let value = Double(valueText.trimmingCharacters(in: .whitespaces)) else { continue }
            total += value
        }
        return total
    }
}

/// One HTTP GET on loopback: the status and the body.
public func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw CLIProcessError(description: "bad path \(path)") }
    let (data, response) = try await URLSession.shared.data(from: url)
    let status = (response as? HTTPURLResponse)?.statusCode ?? -1
    return (status, String(decoding: data, as: UTF8.self))
}
