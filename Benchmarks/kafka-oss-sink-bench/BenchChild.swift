import ArgumentParser
import Foundation
import Logging
import Observability
import OSSClient
import Prometheus
import ServiceLifecycle
import SinkApp
import SinkConfig
import SinkCore
import SinkService
import Synchronization
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
        let loaded: SinkConfiguration.Loaded
        let configuration: SinkServiceConfiguration
        do {
            loaded = try ConfigurationFile.load(path: configPath)
            configuration = try SinkServiceConfiguration(loaded.configuration)
        } catch {
            StandardError.write("error: \(configPath): \(error)\n")
            throw ExitCode(2)
        }
        SinkLogging.bootstrap(level: .warning, format: .text, redactor: LogRedactor(secrets: loaded.secrets))
        let logger = Logger(label: "kafka-oss-sink-bench")
        let probe = BenchProbe()
        let metrics = SinkMetrics(registry: PrometheusCollectorRegistry())
        let reporter = ProbingReporter(wrapped: SinkMetricsReporter(metrics: metrics, health: nil), probe: probe)
        AllocatorSettings.fit(maxBufferedBytes: loaded.configuration.sink.maxBufferedBytes)
        let service = SinkService(configuration: configuration, logger: logger, reporter: reporter)
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

/// What the bench reads off the sink's own reports: when consumed records arrived (first and last), when offset
/// commits were acknowledged, and how many appends landed.
final class BenchProbe: Sendable {
    private struct State {
        var firstRecord: UInt64?
        var lastRecord: UInt64?
        var commitAcks: [UInt64] = []
        var landedAppends = 0
    }

    private let state = Mutex(State())

    func recordsCounted() {
        let now = monotonicNanoseconds()
        state.withLock { state in
            if state.firstRecord == nil { state.firstRecord = now }
            state.lastRecord = now
        }
    }

    func commitAcknowledged() {
        let now = monotonicNanoseconds()
        state.withLock { $0.commitAcks.append(now) }
    }

    func appendLanded() {
        state.withLock { $0.landedAppends += 1 }
    }

    var appends: Int { state.withLock { $0.landedAppends } }

    var values: (firstRecord: UInt64?, lastRecord: UInt64?, commitAcks: [UInt64]) {
        state.withLock { ($0.firstRecord, $0.lastRecord, $0.commitAcks) }
    }
}

/// Passes every report on to `wrapped` (the production reporter, so the metrics cost what they cost in `run`)
/// and tells `probe` about consumed records, acknowledged commits and appends that landed.
struct ProbingReporter: SinkReporter {
    let wrapped: SinkMetricsReporter
    let probe: BenchProbe

    func partitionsAssigned(_ partitions: [TopicPartition], total: Int) { wrapped.partitionsAssigned(partitions, total: total) }
    func partitionsUnassigned(_ partitions: [TopicPartition], total: Int, lost: Bool) {
        wrapped.partitionsUnassigned(partitions, total: total, lost: lost)
    }
    func pausedPartitions(_ count: Int) { wrapped.pausedPartitions(count) }
    func consumerLag(_ lag: [TopicPartition: Int64]) { wrapped.consumerLag(lag) }

    func recordsConsumed(_ partition: TopicPartition, records: Int, bytes: Int) {
        if records > 0 { probe.recordsCounted() }
        wrapped.recordsConsumed(partition, records: records, bytes: bytes)
    }

    func commitFinished(_ request: CommitRequest, succeeded: Bool, latency: Duration) {
        if succeeded { probe.commitAcknowledged() }
        wrapped.commitFinished(request, succeeded: succeeded, latency: latency)
    }

    func appendFinished(_ request: AppendRequest, outcome: OSSAppendOutcome, latency: Duration) {
        if outcome.success != nil { probe.appendLanded() }
        wrapped.appendFinished(request, outcome: outcome, latency: latency)
    }

    func notice(_ notice: SinkNotice) { wrapped.notice(notice) }
    func sinkState(bufferedBytes: Int, openSegments: Int) { wrapped.sinkState(bufferedBytes: bufferedBytes, openSegments: openSegments) }
    func archiveFreshness(_ ages: [TopicPartition: Duration]) { wrapped.archiveFreshness(ages) }
}
