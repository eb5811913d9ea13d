import ArgumentParser
import Foundation
import HealthServer
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SinkConfig
import SinkService
import UnixSignals
#if canImport(Glibc)
import Glibc
#endif

/// What a benchmark sink child process reports when it exits (JSON in the file named by `--report`).
struct BenchChildReport: Codable, Sendable {
    /// CLOCK_MONOTONIC when the sink first counted consumed records (nil: it consumed nothing).
    var firstRecordNanoseconds: UInt64?
    /// CLOCK_MONOTONIC when the sink last counted consumed records.
    var lastRecordNanoseconds: UInt64?
    /// CLOCK_MONOTONIC of every acknowledged offset commit, in order.
    var commitAckNanoseconds: [UInt64] = []
    /// Appends that landed (outcome `ok` or `lost_response_resolved` in the sink's appends counter).
    var appends: Int?
    /// `VmHWM` of the child's own address space, read just before exit. `wait4`'s `ru_maxrss` cannot be used:
    /// Linux folds the spawning parent's RSS (the bench process, holding the mock cluster's log and the
    /// emulator's objects) into the child's maximum when the child execs.
    var peakRSSBytes: Int64?
    /// The largest `RssAnon` (heap, stacks, anonymous mappings: what the process allocated, without the
    /// file-backed pages of its code and libraries) seen by sampling every 20 ms.
    var peakAnonymousRSSBytes: Int64?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case firstRecordNanoseconds = "first_record_ns", lastRecordNanoseconds = "last_record_ns",
             commitAckNanoseconds = "commit_ack_ns", appends, peakRSSBytes = "peak_rss_bytes",
             peakAnonymousRSSBytes = "peak_anonymous_rss_bytes", error
    }
}

/// `VmHWM` (peak resident set) of this process from `/proc/self/status`, in bytes; nil when unreadable.
func processPeakRSSBytes() -> Int64? {
    processStatusBytes("VmHWM:")
}

/// A `/proc/self/status` field given in kB, in bytes; nil when unreadable.
func processStatusBytes(_ field: String) -> Int64? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix(field) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let kib = Int64(fields[1]) else { return nil }
        return kib * 1024
    }
    return nil
}

/// Samples `RssAnon` every 20 ms on its own thread and keeps the largest value (the kernel keeps no peak of it).
final class AnonymousRSSSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak: Int64?
    private var stopped = false

    init() {
        Thread.detachNewThread { [self] in
            while true {
                let sample = processStatusBytes("RssAnon:")
                lock.lock()
                if let sample, sample > (peak ?? 0) { peak = sample }
                let done = stopped
                lock.unlock()
                if done { return }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// Stops sampling and returns the peak.
    func stop() -> Int64? {
        let last = processStatusBytes("RssAnon:")
        lock.lock()
        defer { lock.unlock() }
        stopped = true
        if let last, last > (peak ?? 0) { peak = last }
        return peak
    }
}

/// The child side: the production sink (`SinkService` with Prometheus metrics, as `run` wires it) for one
/// configuration file, until SIGTERM. Records when records first and last reached the sink and when each offset
/// commit was acknowledged, so the parent can time from the first record instead of from process start and group
/// join, to the commit that completed the topic, without polling the broker at a fine grain.
enum BenchSinkChild {
    static func run(configPath: String, reportPath: String) async throws {
        let loaded = try loadConfigurationOrExit(path: configPath)
        SinkLogging.bootstrap(level: .warning, format: .text, redactor: LogRedactor(secrets: loaded.secrets))
        let logger = Logger(label: "kafka-oss-sink-bench")
        let probe = BenchProbe()
        let factory = BenchMetricsFactory(
            wrapping: MetricsBootstrap.makePrometheusFactory(registry: PrometheusCollectorRegistry()), probe: probe)
        AllocatorSettings.fit(maxBufferedBytes: loaded.configuration.sink.maxBufferedBytes)
        let service = SinkService(configuration: loaded.configuration, logger: logger, metrics: SinkMetrics(factory: factory))
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var report = BenchChildReport()
        let sampler = AnonymousRSSSampler()
        do {
            try await group.run()
        } catch {
            report.error = "\(error)"
        }
        (report.firstRecordNanoseconds, report.lastRecordNanoseconds, report.commitAckNanoseconds) = probe.values
        report.appends = probe.appends
        report.peakRSSBytes = processPeakRSSBytes()
        report.peakAnonymousRSSBytes = sampler.stop()
        let data = try JSONEncoder().encode(report)
        try data.write(to: URL(fileURLWithPath: reportPath))
        if report.error != nil { throw ExitCode(1) }
    }
}

/// What the bench reads off the sink's own metrics: when consumed records were counted (first and last), when
/// offset commits were acknowledged, and how many appends landed.
final class BenchProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var firstRecord: UInt64?
    private var lastRecord: UInt64?
    private var commitAcks: [UInt64] = []
    private var landedAppends = 0

    func recordsCounted() {
        let now = monotonicNanoseconds()
        lock.lock()
        if firstRecord == nil { firstRecord = now }
        lastRecord = now
        lock.unlock()
    }

    func commitAcknowledged() {
        let now = monotonicNanoseconds()
        lock.lock()
        commitAcks.append(now)
        lock.unlock()
    }

    func appendLanded() {
        lock.lock()
        landedAppends += 1
        lock.unlock()
    }

    var appends: Int {
        lock.lock()
        defer { lock.unlock() }
        return landedAppends
    }

    var values: (firstRecord: UInt64?, lastRecord: UInt64?, commitAcks: [UInt64]) {
        lock.lock()
        defer { lock.unlock() }
        return (firstRecord, lastRecord, commitAcks)
    }
}

/// Forwards every metric to `wrapped`; tells `probe` about increments of the records-consumed counter, of the
/// successful-commit counter and of the appends counter for appends that landed.
struct BenchMetricsFactory: MetricsFactory {
    let wrapped: any MetricsFactory
    let probe: BenchProbe

    init(wrapping wrapped: any MetricsFactory, probe: BenchProbe) {
        self.wrapped = wrapped
        self.probe = probe
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let handler = wrapped.makeCounter(label: label, dimensions: dimensions)
        if label == SinkMetricName.recordsConsumed {
            return ProbedCounter(wrapped: handler) { [probe] in probe.recordsCounted() }
        }
        if label == SinkMetricName.commits, dimensions.contains(where: { $0 == ("outcome", CommitMetricOutcome.ok.rawValue) }) {
            return ProbedCounter(wrapped: handler) { [probe] in probe.commitAcknowledged() }
        }
        if label == SinkMetricName.appends, dimensions.contains(where: {
            $0 == ("outcome", AppendMetricOutcome.ok.rawValue) || $0 == ("outcome", AppendMetricOutcome.lostResponseResolved.rawValue)
        }) {
            return ProbedCounter(wrapped: handler) { [probe] in probe.appendLanded() }
        }
        return handler
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        wrapped.makeFloatingPointCounter(label: label, dimensions: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        wrapped.makeMeter(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        wrapped.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        wrapped.makeTimer(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        wrapped.destroyCounter((handler as? ProbedCounter)?.wrapped ?? handler)
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { wrapped.destroyFloatingPointCounter(handler) }
    func destroyMeter(_ handler: any MeterHandler) { wrapped.destroyMeter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { wrapped.destroyRecorder(handler) }
    func destroyTimer(_ handler: any TimerHandler) { wrapped.destroyTimer(handler) }

    final class ProbedCounter: CounterHandler, @unchecked Sendable {
        let wrapped: any CounterHandler
        let incremented: @Sendable () -> Void

        init(wrapped: any CounterHandler, incremented: @escaping @Sendable () -> Void) {
            self.wrapped = wrapped
            self.incremented = incremented
        }

        func increment(by amount: Int64) {
            if amount > 0 { incremented() }
            wrapped.increment(by: amount)
        }

        func reset() { wrapped.reset() }
    }
}
