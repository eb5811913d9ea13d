import ArchiveReading
public import Foundation
import HealthServer
import KafkaBridge
import Logging
import Observability
import OSSClient
import Replay
import ServiceLifecycle
public import SinkConfig
import Synchronization
import UnixSignals

/// The `replay` command's process: plan, print the plan, produce with progress and metrics, stop cleanly on
/// SIGTERM/SIGINT, print the summary.
public struct ReplayApplication: Sendable {
    public let loaded: SinkConfiguration.Loaded
    public let options: ReplayOptions
    public let environment: [String: String]

    public init(loaded: SinkConfiguration.Loaded, options: ReplayOptions, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.loaded = loaded
        self.options = options
        self.environment = environment
    }

    /// Exit status: 0 when every selected record is in the target (or the run was stopped by a signal: a rerun
    /// resumes), 1 when a partition failed or replay could not start, 2 when the options or configuration
    /// cannot work.
    public func run() async -> Int32 {
        let configuration = loaded.configuration
        let redactor = LogRedactor(secrets: loaded.secrets)
        let terminal = ReplayTerminal(isTTY: isatty(STDERR_FILENO) == 1)
        SinkLogging.bootstrap(
            level: Logger.Level(rawValue: configuration.log.level.rawValue) ?? .info,
            format: SinkLogFormat(rawValue: configuration.log.format.rawValue) ?? .text,
            redactor: redactor, output: LogOutput { terminal.log($0) })
        let logger = Logger(label: "kafka-oss-sink-replay")
        func fail(_ message: String, status: Int32) -> Int32 {
            terminal.finish()
            StandardError.write("error: \(redactor.redact(message.replacingOccurrences(of: "\n", with: " ")))\n")
            return status
        }

        let client: OSSClient
        do {
            var clientConfiguration = try OSSClientConfiguration(configuration.oss, environment: environment)
            clientConfiguration.userAgent = "kafka-oss-sink-replay/1.0"
            client = try OSSClient(configuration: clientConfiguration)
        } catch {
            return fail("oss: \(error)", status: 2)
        }
        defer { Task { try? await client.shutdown() } }
        let commits: (any CommitReader)? = options.readCommits
            ? KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration), timeout: .seconds(10)) : nil
        let replayConfiguration: ReplayConfiguration
        do {
            replayConfiguration = try ReplayConfiguration(
                configuration, options: options, archive: OSSArchiveReader(client: client), commits: commits)
        } catch {
            return fail("sink: \(error)", status: 2)
        }
        let engine = ReplayEngine(configuration: replayConfiguration, logger: logger)

        let plan: ReplayPlan
        do {
            plan = try await engine.plan()
        } catch {
            return fail(error.message, status: error.code == .invalidOptions ? 2 : 1)
        }
        terminal.print(redactor.redact(ReplayReport.plan(plan, targetServers: replayConfiguration.targetBootstrapServers, dryRun: options.dryRun)))
        if options.dryRun { return 0 }

        // Metrics on server.listen when the file sets it, until the summary is printed.
        var metrics: ReplayMetrics?
        var serverGroup: (group: ServiceGroup, task: Task<Void, any Error>)?
        if configuration.server.isSet {
            let registry = MetricsBootstrap.bootstrapPrometheus()
            metrics = ReplayMetrics()
            let health = HealthState(redact: { redactor.redact($0) })
            health.markOSSReachable()
            let serving = HealthServer(
                host: configuration.server.host, port: configuration.server.port, state: health, registry: registry, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [serving], logger: logger))
            let task = Task { try await group.run() }
            do {
                _ = try await serving.listeningPort()
            } catch {
                return fail("\(error) (replay serves /metrics on server.listen; when a sink on this host uses that port, give replay a configuration with another server.listen)", status: 2)
            }
            health.markGroupJoined(assignedPartitions: plan.partitions.count)
            serverGroup = (group, task)
        }

        let signals = Task {
            let sequence = await UnixSignalsSequence(trapping: .sigterm, .sigint)
            for await signal in sequence {
                logger.notice("stopping: the partitions stop at their next record; outstanding records get shutdown_timeout to be acknowledged", metadata: ["signal": "\(signal)"])
                engine.stop()
            }
        }
        defer { signals.cancel() }
        let progress = Task { await Self.report(engine: engine, terminal: terminal, metrics: metrics, logger: logger) }

        let status: ReplayStatus
        do {
            status = try await engine.run(plan)
        } catch {
            progress.cancel()
            return fail(error.message, status: 1)
        }
        progress.cancel()
        _ = await progress.value
        terminal.finish()
        terminal.print(redactor.redact(ReplayReport.summary(status, now: .now)))
        if let serverGroup {
            await serverGroup.group.triggerGracefulShutdown()
            _ = await serverGroup.task.result
        }
        let failed = !status.failedPartitions.isEmpty || status.fatal != nil
            || status.partitions.contains { $0.failedDeliveries > 0 }
        return failed ? 1 : 0
    }

    /// Every second: metrics, and the progress block on a TTY (a log line every 30 s otherwise).
    static func report(engine: ReplayEngine, terminal: ReplayTerminal, metrics: ReplayMetrics?, logger: Logger) async {
        var previous: ReplayStatus?
        defer {
            // The last counts, so /metrics holds the totals until the process exits.
            if let metrics, let status = engine.status { updateMetrics(metrics, status: status, previous: previous) }
        }
        var rateWindow: [(at: ContinuousClock.Instant, counts: [Int32: (records: Int64, bytes: UInt64)])] = []
        var lastLog = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            guard !Task.isCancelled, let status = engine.status else { continue }
            let now = ContinuousClock.now
            if let metrics { updateMetrics(metrics, status: status, previous: previous) }
            previous = status
            // Records and produced bytes per second over the last five seconds.
            rateWindow.append((now, Dictionary(uniqueKeysWithValues: status.partitions.map { ($0.source, ($0.delivered, $0.producedBytes)) })))
            if rateWindow.count > 6 { rateWindow.removeFirst() }
            var rates: [Int32: ReplayReport.Rate] = [:]
            if let first = rateWindow.first, let last = rateWindow.last, first.at < last.at {
                let span = last.at - first.at
                let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
                for (partition, counts) in last.counts {
                    let before = first.counts[partition] ?? (0, 0)
                    rates[partition] = ReplayReport.Rate(
                        recordsPerSecond: Double(counts.records - before.records) / seconds,
                        bytesPerSecond: Double(counts.bytes - before.bytes) / seconds)
                }
            }
            let lines = ReplayReport.progress(status, now: now, rates: rates)
            if terminal.isTTY {
                terminal.show(lines)
            } else if now - lastLog >= .seconds(30) {
                lastLog = now
                logger.info("\(lines.last ?? "")")
            }
        }
    }

    static func updateMetrics(_ metrics: ReplayMetrics, status: ReplayStatus, previous: ReplayStatus?) {
        var states: [String: Int] = [:]
        for (index, partition) in status.partitions.enumerated() {
            let before = previous?.partitions[index]
            metrics.add(
                topic: status.sourceTopic, partition: partition.source,
                produced: partition.delivered - (before?.delivered ?? 0),
                producedBytes: partition.producedBytes - (before?.producedBytes ?? 0),
                read: partition.bytesRead - (before?.bytesRead ?? 0),
                segments: partition.segmentsRead - (before?.segmentsRead ?? 0),
                skipped: [
                    ("already_in_target", partition.alreadyInTarget - (before?.alreadyInTarget ?? 0)),
                    ("outside_range", partition.outsideRange - (before?.outsideRange ?? 0)),
                    ("duplicate", partition.duplicates - (before?.duplicates ?? 0)),
                ])
            metrics.setRemaining(
                topic: status.sourceTopic, partition: partition.source,
                bytes: partition.plannedBytes > partition.bytesRead ? partition.plannedBytes - partition.bytesRead : 0)
            let state: String = switch partition.state {
            case .pending: "pending"
            case .running: "running"
            case .finished: "finished"
            case .failed: "failed"
            case .stopped: "stopped"
            case .upToDate: "up_to_date"
            }
            states[state, default: 0] += 1
        }
        metrics.setPartitions(states)
    }
}

/// Standard output for the plan and summary, standard error for logs and, on a TTY, a progress block redrawn in
/// place (log lines are written above it).
final class ReplayTerminal: Sendable {
    let isTTY: Bool
    private let shown = Mutex<Int>(0)

    init(isTTY: Bool) {
        self.isTTY = isTTY
    }

    /// Text for standard output.
    func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// A log line: above the progress block.
    func log(_ line: String) {
        shown.withLock { count in
            let text = erase(count) + line
            count = 0
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Replaces the progress block with `lines`, each cut to the terminal's width (a wrapped line would throw off
    /// the redraw).
    func show(_ lines: [String]) {
        var size = winsize()
        let width = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 1 ? Int(size.ws_col) - 1 : 200
        shown.withLock { count in
            let text = erase(count) + lines.map { String($0.prefix(width)) + "\n" }.joined()
            count = lines.count
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// Removes the progress block.
    func finish() {
        shown.withLock { count in
            FileHandle.standardError.write(Data(erase(count).utf8))
            count = 0
        }
    }

    /// Moves up `count` lines and clears to the end of the screen.
    private func erase(_ count: Int) -> String {
        guard isTTY, count > 0 else { return "" }
        return "\u{1B}[\(count)A\u{1B}[J"
    }
}
