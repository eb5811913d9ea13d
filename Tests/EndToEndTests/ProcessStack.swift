import Foundation
import KafkaBridge
import Logging
import SinkTesting

/// The operator's setup as processes: `mock-kafka` and `emulator` (plain HTTP, or HTTPS with a certificate of
/// a test CA), and config files for `run --config`.
struct ProcessStack {
    static let secret = "process-stack-secret-0123456789"
    static let bucket = "process-archive"

    let mock: RunningProcess
    let emulator: RunningProcess
    let bootstrap: String
    let endpoint: String
    let directory: URL

    static func start(partitions: Int, tls: TestCertificates? = nil) async throws -> ProcessStack {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("process-stack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let mock = try RunningProcess(["mock-kafka", "--topic", "events:\(partitions)"])
        var arguments = ["emulator", "--port", "0", "--bucket", bucket, "--access-key-id", "stack-id", "--access-key-secret", secret]
        if let tls { arguments += ["--tls-cert", tls.certificateChainFile, "--tls-key", tls.keyFile] }
        let emulator = try RunningProcess(arguments)
        do {
            let bootstrap = try await mock.waitForLine { $0.hasPrefix("bootstrap: ") }.dropFirst("bootstrap: ".count)
            let endpoint = try await emulator.waitForLine { $0.hasPrefix("endpoint: ") }.dropFirst("endpoint: ".count)
            return ProcessStack(mock: mock, emulator: emulator, bootstrap: String(bootstrap), endpoint: String(endpoint),
                                directory: directory)
        } catch {
            await mock.stop()
            await emulator.stop()
            throw error
        }
    }

    func stop() async {
        await emulator.stop()
        await mock.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A config file for `run`, `oss` and `verify`; `properties` are `kafka.properties`, `oss` extra lines of
    /// the `oss:` section.
    func config(name: String, secret: String = ProcessStack.secret, properties: [String: String],
                oss: [String] = [], shutdownTimeout: String = "10s") throws -> String {
        let kafka = properties.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }
        let yaml = """
            kafka:
              bootstrap_servers: "\(bootstrap)"
              group_id: "stack-group"
              topics: ["events"]
              properties:
            \((kafka.isEmpty ? ["    client.id: \"stack-test\""] : kafka).joined(separator: "\n"))
            oss:
              endpoint: "\(endpoint)"
              region: "cn-hangzhou"
              bucket: "\(Self.bucket)"
              path_style: true
            \(oss.map { "  \($0)" }.joined(separator: "\n"))
              credentials:
                provider: static
                access_key_id: "stack-id"
                access_key_secret: "\(secret)"
            sink:
              batch:
                linger: 100ms
            server:
              listen: "127.0.0.1:0"
            shutdown_timeout: \(shutdownTimeout)
            """
        let path = directory.appendingPathComponent("\(name).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `count` small JSON records spread over partitions 0-3.
    func produce(_ count: Int) async throws {
        var logger = Logger(label: "process-stack-producer")
        logger.logLevel = .error
        let producer = try KafkaTestProducer(bootstrapServers: bootstrap, logger: logger)
        defer { producer.close() }
        try await producer.produce(count: count) { i in
            KafkaProducerRecord(topic: "events", partition: Int32(i % 4), value: Array("{\"n\":\(i)}".utf8))
        }
        try await producer.flush()
    }
}

/// A `run --config` process: its probe port, and its metrics.
struct SinkProcess {
    let process: RunningProcess

    init(config: String) throws {
        process = try RunningProcess(["run", "--config", config])
    }

    init(process: RunningProcess) {
        self.process = process
    }

    func port() async throws -> Int {
        let line = try await process.waitForLine(on: .stderr) { $0.contains("health server listening") }
        guard let range = line.range(of: "port="), let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else {
            throw RunningProcessError(description: "no port in: \(line)")
        }
        return port
    }

    /// A gauge or counter of /metrics (the sum over its series), or nil while the probe does not answer.
    func metric(_ name: String, port: Int) async -> Double? {
        guard let (status, body) = (try? await httpGet(port: port, path: "/metrics")), status == 200 else { return nil }
        var total: Double?
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            total = (total ?? 0) + (Double(line.split(separator: " ").last ?? "") ?? 0)
        }
        return total
    }

    /// Waits until all `partitions` are assigned; returns how long that took from `start`.
    func waitForAssignment(_ partitions: Int, port: Int, from start: ContinuousClock.Instant,
                           timeout: Duration = .seconds(90)) async throws -> Duration {
        while await metric("kafka_oss_sink_assigned_partitions", port: port) != Double(partitions) {
            if ContinuousClock.now - start > timeout || process.exitStatus != nil {
                throw RunningProcessError(description: "not assigned \(partitions) partitions within \(timeout); stderr: \(process.stderr.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return ContinuousClock.now - start
    }
}
