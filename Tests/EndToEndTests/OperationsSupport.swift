import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HealthServer
import KafkaBridge
import Logging
import OSSSigning
import Prometheus
import ServiceLifecycle
import SinkConfig
import SinkCore
import SinkService
import Testing

/// The metrics, health state and captured log lines of one sink run.
final class ObservedSink: Sendable {
    let registry = PrometheusCollectorRegistry()
    let metrics: SinkMetrics
    let health: HealthState
    let logs = LogCapture()
    let logger: Logger

    /// `level`: the lowest level captured (`.trace` records every append with its position and size).
    init(level: Logger.Level = .info) {
        metrics = SinkMetrics(registry: registry)
        health = HealthState(metrics: metrics)
        let logs = logs
        var logger = Logger(label: "e2e-operations") { _ in CapturingLogHandler(capture: logs) }
        logger.logLevel = level
        self.logger = logger
    }

    /// The registry in the Prometheus text format, read directly (no HTTP).
    func exposition() -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The sum of every series of `name` whose labels include `labels`, read from the registry.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        PrometheusText.sum(exposition(), name, labels)
    }
}

/// One captured log line.
struct CapturedLine: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

/// Log lines kept in memory, in order.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [CapturedLine] = []

    func append(_ line: CapturedLine) {
        lock.withLock { stored.append(line) }
    }

    var lines: [CapturedLine] {
        lock.withLock { stored }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        capture.append(CapturedLine(level: event.level, message: event.message.description,
                                    metadata: merged.mapValues { "\($0)" }))
    }
}

/// Sums of series in the Prometheus text exposition format.
enum PrometheusText {
    /// The sum of the samples of `name` (exactly that name, no `_bucket`/`_sum` suffix) whose labels include
    /// every pair of `labels`; 0 when none.
    static func sum(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
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
func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
    let (data, response) = try await URLSession.shared.data(from: url)
    let status = (response as? HTTPURLResponse)?.statusCode ?? -1
    return (status, String(decoding: data, as: UTF8.self))
}

/// Waits until `condition` holds (checked every 100 ms) or `timeout` passes; returns whether it held.
@discardableResult
func waitUntil(_ timeout: Duration = .seconds(30), _ condition: @Sendable () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return await condition()
}

extension LocalStack {
    /// Runs the sink (and, with `healthServer`, a ``HealthServer`` on 127.0.0.1 port 0) with `observed`'s
    /// metrics and health, runs `body` with the health server's port, then stops everything gracefully.
    func runObserved(
        _ configuration: SinkConfiguration,
        _ observed: ObservedSink,
        healthServer: Bool = false,
        body: @escaping @Sendable (_ port: Int?) async throws -> Void
    ) async throws {
        let sink = SinkService(configuration: configuration, logger: observed.logger, metrics: observed.metrics,
                               health: observed.health)
        var services: [any Service] = [sink]
        let server = healthServer
            ? HealthServer(host: "127.0.0.1", port: 0, state: observed.health, registry: observed.registry, logger: logger)
            : nil
        if let server { services.append(server) }
        let serviceGroup = ServiceGroup(configuration: .init(services: services, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serviceGroup.run() }
            var failure: (any Error)?
            do {
                let port = try await server?.listeningPort()
                try await body(port)
            } catch {
                failure = error
            }
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
            if let failure { throw failure }
        }
    }

    /// Produces one record per value to `partition` (offsets from `startOffset`) with `compression`, and
    /// returns the records the sink must archive.
    func produce(values: [[UInt8]], partition: Int32, startOffset: Int64 = 0,
                 compression: KafkaTestProducer.Compression = .lz4) async throws -> [SinkRecord] {
        let producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, compression: compression,
                                             logger: logger)
        defer { producer.close() }
        var expected: [SinkRecord] = []
        var records: [KafkaProducerRecord] = []
        for (index, value) in values.enumerated() {
            let offset = startOffset + Int64(index)
            let timestamp: Int64 = 1_763_900_000_000 + offset * 1000
            let key = Array("key-\(offset)".utf8)
            records.append(KafkaProducerRecord(topic: topic, partition: partition, key: key, value: value,
                                               headers: [], timestampMilliseconds: timestamp))
            expected.append(SinkRecord(topic: topic, partition: partition, offset: offset, timestampMs: timestamp,
                                       timestampType: .createTime, key: key, value: value, headers: []))
        }
        try await producer.produce(records)
        try await producer.flush(timeout: .seconds(30))
        #expect(producer.deliveredCount == values.count)
        return expected
    }

    /// Archived bytes of every object under the topic's prefix.
    func archivedBytes() async -> Int {
        ((try? await objects()) ?? []).reduce(0) { $0 + $1.bytes.count }
    }

    /// The group's committed offsets read without joining the group (safe while the sink runs).
    func committedOffsets(partitions: Int) throws -> [Int32: Int64] {
        let reader = try BenchOffsetReader(bootstrapServers: cluster.bootstrapServers, group: group)
        defer { reader.close() }
        return try reader.committed(topic: topic, partitions: (0..<Int32(partitions)).map { $0 })
    }

    /// The partition's low and high watermarks.
    func watermarks(partition: Int32) throws -> (low: Int64, high: Int64) {
        let reader = try BenchOffsetReader(bootstrapServers: cluster.bootstrapServers, group: group)
        defer { reader.close() }
        return try reader.watermarks(topic: topic, partition: partition)
    }
}

/// `count` small JSON values tagged with `wave`.
func smallValues(_ count: Int, wave: Int) -> [[UInt8]] {
    (0..<count).map { Array("{\"wave\":\(wave),\"n\":\($0),\"pad\":\"\(String(repeating: "x", count: 40))\"}".utf8) }
}

/// A value behind a lock, for state shared with the closure that runs during the sink's run.
final class SharedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        try lock.withLock { try body(&value) }
    }
}
