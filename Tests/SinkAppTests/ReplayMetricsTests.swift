import Foundation
import Observability
import Prometheus
import Replay
@testable import SinkApp
import SinkTesting
import Testing

/// The replay command's progress becomes Prometheus series: counters by their growth between snapshots, gauges as
/// they stand; every series documented in docs/replay.md.
@Suite struct ReplayMetricsTests {
    static let replayDoc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/replay.md")

    @Test func snapshotsBecomeCountersAndGauges() throws {
        let registry = PrometheusCollectorRegistry()
        let metrics = ReplayMetrics(factory: MetricsBootstrap.makePrometheusFactory(registry: registry))
        var first = ReplayStatus(
            sourceTopic: "events", targetTopic: "events-restored",
            partitions: [
                ReplayStatus.Partition(source: 0, target: 0, plannedBytes: 1000, plannedRecords: 10, segmentsPlanned: 2),
                ReplayStatus.Partition(source: 1, target: 1, plannedBytes: 0, plannedRecords: 0, segmentsPlanned: 0),
            ],
            startedAt: .now)
        first.partitions[0].state = .running
        first.partitions[0].delivered = 4
        first.partitions[0].bytesRead = 600
        first.partitions[0].alreadyInTarget = 3
        first.partitions[1].state = .upToDate
        ReplayApplication.updateMetrics(metrics, status: first, previous: nil)
        var second = first
        second.partitions[0].delivered = 10
        second.partitions[0].bytesRead = 1000
        second.partitions[0].segmentsRead = 2
        second.partitions[0].state = .finished
        ReplayApplication.updateMetrics(metrics, status: second, previous: first)

        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        let p0 = ["topic": "events", "partition": "0"]
        #expect(PrometheusText.sum(text, ReplayMetrics.recordsProduced, p0) == 10)
        #expect(PrometheusText.sum(text, ReplayMetrics.bytesRead, p0) == 1000)
        #expect(PrometheusText.sum(text, ReplayMetrics.segmentsRead, p0) == 2)
        #expect(PrometheusText.sum(text, ReplayMetrics.recordsSkipped, p0.merging(["reason": "already_in_target"]) { $1 }) == 3)
        #expect(PrometheusText.sum(text, ReplayMetrics.remainingBytes, p0) == 0)
        #expect(PrometheusText.sum(text, ReplayMetrics.partitions, ["state": "finished"]) == 1)
        #expect(PrometheusText.sum(text, ReplayMetrics.partitions, ["state": "up_to_date"]) == 1)
        #expect(PrometheusText.sum(text, ReplayMetrics.partitions, ["state": "running"]) == 0)

        let documentation = try String(contentsOf: Self.replayDoc, encoding: .utf8)
        for name in [ReplayMetrics.recordsProduced, ReplayMetrics.bytesProduced, ReplayMetrics.bytesRead, ReplayMetrics.recordsSkipped,
                     ReplayMetrics.segmentsRead, ReplayMetrics.remainingBytes, ReplayMetrics.partitions] {
            #expect(documentation.contains("| `\(name)` |"), "docs/replay.md does not list \(name)")
        }
        for state in ReplayMetrics.partitionStates {
            #expect(documentation.contains("`\(state)`"), "docs/replay.md does not list state \(state)")
        }
    }
}
