import Foundation
import HealthServer
import Observability
import OSSClient
import Prometheus
import SinkApp
import SinkCore
import SinkTesting
import Testing

/// The composition root maps the service's reports onto metrics and probes: label values are SinkCore's own raw
/// values (no copy of its enums to drift), each documented for operators.
@Suite struct SinkMetricsReporterTests {
    static let operations = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/operations.md")

    /// The documentation row of `metric` in docs/operations.md.
    static func documentation(of metric: String) throws -> String {
        let text = try String(contentsOf: operations, encoding: .utf8)
        return try #require(text.split(separator: "\n").first { $0.hasPrefix("| `\(metric)`") }.map(String.init))
    }

    @Test("every rollover reason and recovery outcome becomes its raw value as a label, and is documented")
    func rolloverAndRecoveryLabels() throws {
        let observed = ObservedSink()
        let reporter = observed.reporter
        let tp = TopicPartition(topic: "events", partition: 3)
        for reason in RolloverReason.allCases {
            reporter.notice(.rolledOver(tp, fromKey: "k", reason: reason))
        }
        for outcome in RecoveryOutcome.allCases {
            reporter.notice(.recovered(tp, outcome: outcome, key: nil))
        }
        let rollovers = try Self.documentation(of: "kafka_oss_sink_rollovers_total")
        let recoveries = try Self.documentation(of: "kafka_oss_sink_recoveries_total")
        for reason in RolloverReason.allCases {
            #expect(observed.value("kafka_oss_sink_rollovers_total", ["topic": "events", "partition": "3", "reason": reason.rawValue]) == 1)
            #expect(rollovers.contains("`\(reason.rawValue)`"), "docs/operations.md does not list rollover reason \(reason.rawValue)")
        }
        for outcome in RecoveryOutcome.allCases {
            #expect(observed.value("kafka_oss_sink_recoveries_total", ["topic": "events", "partition": "3", "outcome": outcome.rawValue]) == 1)
            #expect(recoveries.contains("`\(outcome.rawValue)`"), "docs/operations.md does not list recovery outcome \(outcome.rawValue)")
        }
    }

    @Test("finished segments are counted by outcome (each documented), sealing and pending finishing are gauges")
    func finishedSegments() throws {
        let observed = ObservedSink()
        let reporter = observed.reporter
        let tp = TopicPartition(topic: "events", partition: 3)
        let segment = SegmentDescription(key: "k", length: 10, crc64: 1, firstOffset: 0, lastOffset: 4, recordCount: 5)
        for outcome in FinishOutcome.allCases {
            reporter.notice(.segmentFinished(tp, segment: segment, outcome: outcome, reason: nil))
        }
        let documented = try Self.documentation(of: "kafka_oss_sink_segments_finished_total")
        for outcome in FinishOutcome.allCases {
            #expect(observed.value("kafka_oss_sink_segments_finished_total", ["topic": "events", "partition": "3", "outcome": outcome.rawValue]) == 1)
            #expect(documented.contains("`\(outcome.rawValue)`"), "docs/operations.md does not list finish outcome \(outcome.rawValue)")
        }
        reporter.sealingEnabled(true)
        #expect(observed.value("kafka_oss_sink_sealing_enabled") == 1)
        reporter.sealingEnabled(false)
        #expect(observed.value("kafka_oss_sink_sealing_enabled") == 0)
        reporter.finishingSegments(3)
        #expect(observed.value("kafka_oss_sink_finishing_segments") == 3)
        _ = try Self.documentation(of: "kafka_oss_sink_sealing_enabled")
        _ = try Self.documentation(of: "kafka_oss_sink_finishing_segments")
    }

    @Test("assignment, configuration errors and shutdown reach the probes and the readiness gauges")
    func readiness() {
        let observed = ObservedSink()
        let reporter = observed.reporter
        #expect(observed.health.readiness != .ready)
        reporter.ossReachable()
        reporter.partitionsAssigned([TopicPartition(topic: "t", partition: 0)], total: 1)
        #expect(observed.health.readiness == .ready)
        #expect(observed.value("kafka_oss_sink_ready") == 1)
        #expect(observed.value("kafka_oss_sink_assigned_partitions") == 1)
        reporter.configurationError("403 AccessDenied")
        #expect(observed.health.readiness == .notReady("configuration error: 403 AccessDenied"))
        #expect(observed.value("kafka_oss_sink_config_error") == 1)
        reporter.configurationErrorCleared()
        #expect(observed.health.readiness == .ready)
        reporter.shuttingDown()
        #expect(observed.health.readiness == .notReady("shutting down"))
        reporter.failed(reason: "broker gone")
        #expect(observed.health.liveness == .failed("broker gone"))
    }
}
