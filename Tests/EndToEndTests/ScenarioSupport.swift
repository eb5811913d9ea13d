import Foundation
import KafkaBridge
import Logging
import NIOCore
import OSSEmulator
import OSSSigning
import ServiceLifecycle
import SinkConfig
import SinkCore
import SinkService
import Testing

/// Helpers for the fault scenarios of ``ScenarioTests``: configurations with a chosen shutdown timeout and
/// compression, sink runs that may fail or add a second instance, and object inspection.
extension LocalStack {
    /// The sink configuration with `shutdown_timeout` and `compression` set (the rest as ``configuration(sink:)``).
    func scenarioConfiguration(shutdownTimeout: String = "20s", compression: String = "none") throws -> SinkConfiguration {
        try configuration(compression: compression, shutdownTimeout: shutdownTimeout)
    }

    /// Like ``runSink(_:timeout:until:)`` but returns the error the sink exited with instead of throwing it
    /// (for runs whose graceful stop cannot commit).
    func runSinkCapturingError(_ configuration: SinkConfiguration, timeout: Duration = .seconds(30),
                               until done: @escaping @Sendable () async -> Bool) async -> (any Error)? {
        do {
            try await runSink(configuration, timeout: timeout, until: done)
            return nil
        } catch {
            return error
        }
    }

    /// Runs one sink until `midway()` holds, then starts a second sink instance of the same group (its own
    /// ServiceGroup), calls `afterJoin`, runs both until `done()` holds, and stops both gracefully. Each
    /// instance logs at info level into its own ``ScenarioLog`` as well.
    func runTwoSinks(_ configuration: SinkConfiguration, logs: (ScenarioLog, ScenarioLog), timeout: Duration = .seconds(60),
                     midway: @escaping @Sendable () async -> Bool,
                     afterJoin: @escaping @Sendable () async throws -> Void,
                     until done: @escaping @Sendable () async -> Bool) async throws {
        let first = ServiceGroup(configuration: .init(
            services: [SinkService(configuration: configuration, logger: logs.0.logger(label: "sink-a"))], logger: logger))
        let second = ServiceGroup(configuration: .init(
            services: [SinkService(configuration: configuration, logger: logs.1.logger(label: "sink-b"))], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await first.run() }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, await !midway() {
                try await Task.sleep(for: .milliseconds(100))
            }
            tasks.addTask { try await second.run() }
            try await afterJoin()
            while ContinuousClock.now < deadline, await !done() {
                try await Task.sleep(for: .milliseconds(100))
            }
            await second.triggerGracefulShutdown()
            await first.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// ``runSink(_:timeout:until:)`` with the sink logging at info level into `log` as well.
    func runLoggedSink(_ configuration: SinkConfiguration, log: ScenarioLog, timeout: Duration = .seconds(60),
                       until done: @escaping @Sendable () async -> Bool) async throws {
        let service = SinkService(configuration: configuration, logger: log.logger(label: "sink"))
        let serviceGroup = ServiceGroup(configuration: .init(services: [service], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await serviceGroup.run() }
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, await !done() {
                try await Task.sleep(for: .milliseconds(100))
            }
            await serviceGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The group's committed offsets, read without joining the group (safe while the sink runs).
    func scenarioCommittedOffsets(partitions: Int) throws -> [Int32: Int64] {
        let reader = try BenchOffsetReader(bootstrapServers: cluster.bootstrapServers, group: group)
        defer { reader.close() }
        return try reader.committed(topic: topic, partitions: (0..<Int32(partitions)).map { $0 })
    }

    /// Whether every partition's committed offset has reached `offsets`.
    func scenarioCommitted(_ offsets: [Int32: Int64]) -> Bool {
        guard let committed = try? scenarioCommittedOffsets(partitions: offsets.count) else { return false }
        return offsets.allSatisfy { committed[$0.key] == $0.value }
    }

    /// Total bytes of every object under the topic's prefix.
    func archivedByteCount() async -> Int {
        ((try? await objects()) ?? []).reduce(0) { $0 + $1.bytes.count }
    }

    /// Total decoded bytes of the topic's objects (each object a concatenation of gzip members or zstd frames).
    func decodedByteCount(_ compression: SinkSettings.Compression) async -> Int {
        var total = 0
        for object in (try? await objects()) ?? [] {
            guard let plain = try? AppendCompression.decompress(object.bytes, compression) else { return -1 }
            total += plain.count
        }
        return total
    }

    /// Replaces `key` with a Normal object holding `bytes` (PutObject by another writer).
    func overwrite(key: String, with bytes: [UInt8]) async throws {
        _ = try await emulator.store.put(bucket: bucket, key: key, body: ByteBuffer(bytes: bytes),
                                         attributes: OSSObjectAttributes())
    }
}

/// Byte count of the jsonl rendering of every record in `records`.
func renderedCount(_ records: [Int32: [SinkRecord]]) -> Int {
    records.values.reduce(0) { $0 + rendered($1).count }
}

/// Merges record waves per partition, keeping offset order.
func mergedWaves(_ waves: [Int32: [SinkRecord]]...) -> [Int32: [SinkRecord]] {
    waves.reduce(into: [:]) { result, wave in result.merge(wave) { $0 + $1 } }
}

/// Next offsets per partition after `records`.
func nextOffsets(_ records: [Int32: [SinkRecord]]) -> [Int32: Int64] {
    records.mapValues { Int64($0.count) }
}

/// Pipes `input` through the executable at `path` (e.g. `/usr/bin/zcat`) and returns its standard output.
/// - Throws: when the tool exits non-zero, naming it and its standard error.
func pipeThrough(_ path: String, _ input: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Write on another thread so a tool that fills its output pipe cannot deadlock us.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw ScenarioError("\(path) exited with \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
    }
    return [UInt8](output)
}

struct ScenarioError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Log messages (info and above) of one sink instance, kept for assertions; warnings and errors are also
/// printed so a failing run explains itself.
final class ScenarioLog: @unchecked Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { lock.withLock { stored } }

    /// Entries whose message is `message`.
    func entries(_ message: String) -> [Entry] { entries.filter { $0.message == message } }

    func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }

    func logger(label: String) -> Logger {
        var logger = Logger(label: label) { _ in ScenarioLogHandler(log: self, label: label) }
        logger.logLevel = .info
        return logger
    }
}

struct ScenarioLogHandler: LogHandler {
    let log: ScenarioLog
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let flat = merged.mapValues { "\($0)" }
        log.append(.init(level: event.level, message: "\(event.message)", metadata: flat))
        if event.level >= .warning {
            print("\(label) \(event.level): \(event.message) \(flat.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        }
    }
}
