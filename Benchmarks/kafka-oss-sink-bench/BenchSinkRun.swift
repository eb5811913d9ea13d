import Foundation
import KafkaBridge
import OSSSigning
#if canImport(Glibc)
import Glibc
#endif

/// The sink settings of one benchmark run (the `sink:` section; everything else is the default).
struct BenchSinkSettings: Sendable {
    var format = "jsonl"
    var compression = "none"
    var linger = "200ms"
    var maxBufferedBytes: String?

    func yaml(prefix: String) -> String {
        var lines = [
            "sink:", "  prefix: \"\(prefix)\"", "  format: \(format)", "  compression: \(compression)",
            "  batch:", "    linger: \(linger)",
        ]
        if let maxBufferedBytes { lines.append("  max_buffered_bytes: \(maxBufferedBytes)") }
        return lines.joined(separator: "\n")
    }
}

/// What one child sink run measured.
struct BenchSinkOutcome: Sendable {
    /// From the sink's first consumed record until the acknowledgement of the commit that completed the topic.
    var seconds: Double
    /// From the sink's last consumed record until that acknowledgement: the batches still buffered at the end
    /// waiting for `linger`, their appends and commits.
    var drainSeconds: Double
    var usage: BenchUsage
    /// The child's peak `RssAnon` (sampled every 20 ms).
    var peakAnonymousRSSBytes: Int64?
    /// Appends that landed over the child's life (nil: the child did not report them).
    var appends: Int?
    var prefix: String
}

/// A sink in a child process (`bench sink-child`) against the bench stack, for one consumer group.
final class BenchSinkChildRun: @unchecked Sendable {
    let stack: BenchStack
    let label: String
    let group: String
    let prefix: String
    let directory: String
    let process: BenchProcess
    let reader: KafkaOffsetReader

    /// Writes the configuration and starts the child; it joins a new group on `topic` from the earliest offset.
    init(stack: BenchStack, label: String, topic: String, settings: BenchSinkSettings) throws {
        self.stack = stack
        self.label = label
        let unique = "\(label)-\(stack.runID)-\(UInt16.random(in: 0...UInt16.max))"
        group = "bench-\(unique)"
        prefix = "\(unique)/"
        directory = NSTemporaryDirectory() + "kafka-oss-sink-bench-\(unique)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let yaml = """
            kafka:
              bootstrap_servers: "\(stack.cluster.bootstrapServers)"
              group_id: "\(group)"
              topics: ["\(topic)"]
              auto_offset_reset: earliest
              properties:
                session.timeout.ms: "6000"
                heartbeat.interval.ms: "500"
            \(stack.sinkKafkaProperties.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }.joined(separator: "\n"))
            oss:
              endpoint: "\(stack.endpoint)"
              region: "cn-hangzhou"
              bucket: "\(stack.bucket)"
              path_style: true
              credentials:
                provider: static
                access_key_id: "\(BenchStack.credentials.accessKeyId)"
                access_key_secret: "\(BenchStack.credentials.accessKeySecret)"
            \(settings.yaml(prefix: prefix))
            shutdown_timeout: 60s
            """
        try yaml.write(toFile: directory + "/sink.yaml", atomically: true, encoding: .utf8)
        reader = try KafkaOffsetReader(bootstrapServers: stack.cluster.bootstrapServers, group: group)
        process = try BenchProcess(
            executable: BenchProcess.currentExecutable,
            arguments: ["sink-child", "--config", directory + "/sink.yaml", "--report", directory + "/report.json"],
            stdoutPath: directory + "/stdout.log", stderrPath: directory + "/stderr.log")
    }

    /// Polls the group's commits every `interval` until each partition's commit reaches `endOffsets`.
    /// - Throws: `BenchFailure` when the child exits first or `timeout` passes (the child is killed).
    func waitUntilCommitted(topic: String, endOffsets: [Int32: Int64], interval: Duration, timeout: Duration) async throws {
        let partitions = endOffsets.keys.sorted()
        let deadline = ContinuousClock.now + timeout
        var lastSeen: [Int32: Int64] = [:]
        while ContinuousClock.now < deadline {
            if let exit = process.poll() {
                throw BenchFailure("the sink child (\(label)) exited early with status \(exit.status):\n\(process.stderrTail())")
            }
            let reader = self.reader
            let committed = (try? await onBenchThread("bench-committed") {
                try reader.committed(topic: topic, partitions: partitions, timeout: .seconds(2))
            }) ?? lastSeen
            lastSeen = committed
            if partitions.allSatisfy({ (committed[$0] ?? -1) >= endOffsets[$0]! }) { return }
            try await Task.sleep(for: interval)
        }
        process.signal(SIGKILL)
        _ = await process.wait(timeout: .seconds(10))
        let done = partitions.reduce(0) { $0 + Int(lastSeen[$1] ?? 0) }
        let total = endOffsets.values.reduce(0) { $0 + Int($1) }
        throw BenchFailure("the sink (\(label)) committed \(done) of \(total) records within \(timeout); see \(directory)/stderr.log")
    }

    /// Stops the child gracefully (SIGTERM) and returns its report and usage. Call it once the group's commits
    /// reached the end offsets: the run ends at the last commit the child saw acknowledged before the signal (later
    /// ones belong to its graceful stop).
    func stop() async throws -> BenchSinkOutcome {
        // The broker stores a commit before the child reads its acknowledgement: let one that is on its way land.
        try? await Task.sleep(for: .milliseconds(100))
        let signalled = monotonicNanoseconds()
        process.signal(SIGTERM)
        let exit = await process.wait(timeout: .seconds(90))
        reader.close()
        let reportData = try? Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))
        let report = reportData.flatMap { try? JSONDecoder().decode(BenchChildReport.self, from: $0) }
        guard !exit.killed, exit.status == 0, let report, report.error == nil else {
            throw BenchFailure("the sink child (\(label)) did not stop cleanly (status \(exit.status)\(exit.killed ? ", killed" : "")): "
                + "\(report?.error ?? "")\n\(process.stderrTail())")
        }
        guard let first = report.firstRecordNanoseconds, let last = report.lastRecordNanoseconds else {
            throw BenchFailure("the sink child (\(label)) consumed no records")
        }
        guard let committedAt = report.commitAckNanoseconds.last(where: { $0 <= signalled }), committedAt >= last else {
            throw BenchFailure("the sink child (\(label)) saw no commit acknowledged after its last record")
        }
        guard let peak = report.peakRSSBytes else {
            throw BenchFailure("the sink child (\(label)) could not read its peak RSS (VmHWM in /proc/self/status)")
        }
        try? FileManager.default.removeItem(atPath: directory)
        var usage = exit.usage
        usage.maxRSSBytes = peak
        return BenchSinkOutcome(
            seconds: Double(committedAt - first) / 1e9, drainSeconds: Double(committedAt - last) / 1e9, usage: usage,
            peakAnonymousRSSBytes: report.peakAnonymousRSSBytes, appends: report.appends, prefix: prefix)
    }

    /// Waits until every partition of `topic` is committed up to `endOffsets`, then stops the child; kills it when
    /// either step fails. `interval` only decides how soon the child is stopped: the time comes from the child.
    func complete(topic: String, endOffsets: [Int32: Int64], interval: Duration, timeout: Duration) async throws -> BenchSinkOutcome {
        do {
            try await waitUntilCommitted(topic: topic, endOffsets: endOffsets, interval: interval, timeout: timeout)
            return try await stop()
        } catch {
            await abandon()
            throw error
        }
    }

    /// Kills the child (after a failure).
    func abandon() async {
        if process.poll() == nil {
            process.signal(SIGKILL)
            _ = await process.wait(timeout: .seconds(10))
        }
        reader.close()
    }
}
