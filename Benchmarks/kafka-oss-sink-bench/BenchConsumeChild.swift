import ArgumentParser
import Foundation
import KafkaBridge
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The consumers of section 1, each measured in a process of its own like the sink: `bench consume-child`.
enum BenchConsumer: String, CaseIterable, Sendable {
    case floor, bridge

    var displayName: String {
        switch self {
        case .floor: BenchConsumerName.floor
        case .bridge: BenchConsumerName.bridge
        }
    }
}

/// What a consume-only child reports (JSON in the file named by `--report`).
struct BenchConsumeChildReport: Codable, Sendable {
    var records: Int?
    var bytes: Int?
    /// First record to last, in the child.
    var seconds: Double?
    var error: String?
}

/// The child side: one consume-only run of `consumer` with the sink's allocator settings, then exit.
enum BenchConsumeChild {
    static func run(
        consumer: BenchConsumer, bootstrapServers: String, group: String, topic: String, expected: Int, reportPath: String
    ) async throws {
        var logger = Logger(label: "kafka-oss-sink-bench")
        logger.logLevel = .warning
        var report = BenchConsumeChildReport()
        do {
            let result = switch consumer {
            case .floor:
                try await LibrdkafkaFloorBenchmark.consume(
                    bootstrapServers: bootstrapServers, group: group, topic: topic, expected: expected)
            case .bridge:
                try await KafkaBridgeBenchmark.consume(
                    bootstrapServers: bootstrapServers, group: group, topic: topic, expected: expected, logger: logger)
            }
            report.records = result.records
            report.bytes = result.bytes
            report.seconds = result.seconds
        } catch {
            report.error = "\(error)"
        }
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportPath))
        if report.error != nil { throw ExitCode(1) }
    }
}

/// One consume-only round in a child process, seen from the bench process.
struct BenchConsumeRound: Sendable {
    var result: LibrdkafkaFloorBenchmark.Result
    /// The child's whole life: start, group join, the run, close (nil for a run inside the bench process, whose
    /// CPU time includes the mock cluster's).
    var usage: BenchUsage?
}

extension BenchStack {
    /// Runs `consumer` over the whole of `topic` in a child process (`bench consume-child`) as group `group`.
    /// - Throws: `BenchFailure` with the child's error and standard error when it fails or runs past `timeout`.
    func consumeInChild(_ consumer: BenchConsumer, topic: BenchTopic, group: String, timeout: Duration) async throws -> BenchConsumeRound {
        let directory = NSTemporaryDirectory() + "kafka-oss-sink-bench-\(group)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reportPath = directory + "/report.json"
        let process = try BenchProcess(
            executable: BenchProcess.currentExecutable,
            arguments: ["consume-child", "--consumer", consumer.rawValue, "--bootstrap-servers", cluster.bootstrapServers,
                        "--group", group, "--topic", topic.name, "--expected", "\(topic.records)", "--report", reportPath],
            stdoutPath: directory + "/stdout.log", stderrPath: directory + "/stderr.log")
        let exit = await process.wait(timeout: timeout)
        let report = (try? Data(contentsOf: URL(fileURLWithPath: reportPath)))
            .flatMap { try? JSONDecoder().decode(BenchConsumeChildReport.self, from: $0) }
        guard !exit.killed, exit.status == 0, let report, report.error == nil,
              let records = report.records, let bytes = report.bytes, let seconds = report.seconds else {
            throw BenchFailure("the \(consumer.displayName) consume child on \(topic.name) failed (status \(exit.status)"
                + "\(exit.killed ? ", killed after \(timeout)" : "")): \(report?.error ?? "no report")\n\(process.stderrTail())")
        }
        return BenchConsumeRound(result: .init(records: records, bytes: bytes, seconds: seconds), usage: exit.usage)
    }
}
