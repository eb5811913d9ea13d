import Observability
import Prometheus
import Testing

@Suite("SinkMetrics")
struct SinkMetricsTests {
    @Test("counters move per topic and partition, only landed appends count as appended")
    func countersMove() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)

        metrics.recordConsumed(topic: "events", partition: 3, records: 10, bytes: 1000)
        metrics.recordConsumed(topic: "events", partition: 3, records: 5, bytes: 500)
        metrics.recordAppend(topic: "events", partition: 3, outcome: .retried, bytes: 700, records: 7, latency: .milliseconds(30))
        metrics.recordAppend(topic: "events", partition: 3, outcome: .ok, bytes: 700, records: 7, latency: .milliseconds(20))
        metrics.recordAppend(topic: "events", partition: 3, outcome: .lostResponseResolved, bytes: 300, records: 3, latency: .milliseconds(3))
        metrics.recordAppend(topic: "events", partition: 4, outcome: .fenced, bytes: 100, records: 1, latency: .milliseconds(3))

        let text = registry.emitToString()
        #expect(text.contains(#"kafka_oss_sink_records_consumed_total{topic="events",partition="3"} 15"#))
        #expect(text.contains(#"kafka_oss_sink_consumed_bytes_total{topic="events",partition="3"} 1500"#))
        #expect(text.contains(#"kafka_oss_sink_records_appended_total{topic="events",partition="3"} 10"#))
        #expect(text.contains(#"kafka_oss_sink_appended_bytes_total{topic="events",partition="3"} 1000"#))
        #expect(!text.contains(#"kafka_oss_sink_records_appended_total{topic="events",partition="4"}"#))
        #expect(text.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="ok"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="retried"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="lost_response_resolved"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_appends_total{topic="events",outcome="fenced"} 1"#))
        #expect(text.contains("# TYPE kafka_oss_sink_records_appended_total counter"))
    }

    @Test("append and commit latency are histograms with the sink's buckets, in seconds")
    func latencyHistograms() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)
        metrics.recordAppend(topic: "events", partition: 0, outcome: .ok, bytes: 1, records: 1, latency: .milliseconds(20))
        metrics.recordAppend(topic: "events", partition: 1, outcome: .ok, bytes: 1, records: 1, latency: .seconds(3))
        metrics.recordCommit(outcome: .ok, latency: .milliseconds(4))
        metrics.recordCommit(outcome: .error, latency: .milliseconds(40))

        let text = registry.emitToString()
        #expect(text.contains("# TYPE kafka_oss_sink_append_duration_seconds histogram"))
        // 20 ms falls in le=0.025, 3 s in le=5; the smallest and largest buckets are the sink's own (1 ms, 30 s).
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_bucket{topic="events",le="0.01"} 0"#))
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_bucket{topic="events",le="0.025"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_bucket{topic="events",le="5.0"} 2"#))
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_bucket{topic="events",le="0.001"} 0"#))
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_bucket{topic="events",le="30.0"} 2"#))
        #expect(text.contains(#"kafka_oss_sink_append_duration_seconds_count{topic="events"} 2"#))
        #expect(text.contains(#"kafka_oss_sink_commit_duration_seconds_bucket{le="0.005"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_commit_duration_seconds_count 2"#))
        #expect(text.contains(#"kafka_oss_sink_commits_total{outcome="ok"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_commits_total{outcome="error"} 1"#))
    }

    @Test("rollovers by reason, recoveries by outcome, integrity errors")
    func rolloversAndRecoveries() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)
        metrics.recordRollover(topic: "logs-a", partition: 0, reason: "size")
        metrics.recordRollover(topic: "logs-a", partition: 0, reason: "size")
        metrics.recordRollover(topic: "logs-a", partition: 0, reason: "time_bucket")
        metrics.recordRecovery(topic: "logs-a", partition: 0, outcome: "tail_proven")
        metrics.recordRecovery(topic: "logs-a", partition: 1, outcome: "missing")
        metrics.recordIntegrityError(topic: "logs-a", partition: 1)

        let text = registry.emitToString()
        #expect(text.contains(#"kafka_oss_sink_rollovers_total{topic="logs-a",partition="0",reason="size"} 2"#))
        #expect(text.contains(#"kafka_oss_sink_rollovers_total{topic="logs-a",partition="0",reason="time_bucket"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_recoveries_total{topic="logs-a",partition="0",outcome="tail_proven"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_recoveries_total{topic="logs-a",partition="1",outcome="missing"} 1"#))
        #expect(text.contains(#"kafka_oss_sink_integrity_errors_total{topic="logs-a",partition="1"} 1"#))
    }

    @Test("gauges hold the last value; a forgotten partition's lag disappears")
    func gauges() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)
        metrics.setConsumerLag(topic: "events", partition: 0, lag: 42)
        metrics.setConsumerLag(topic: "events", partition: 1, lag: 7)
        metrics.setConsumerLag(topic: "events", partition: 1, lag: -3)
        metrics.setBufferedBytes(1_048_576)
        metrics.setPausedPartitions(2)
        metrics.setOpenSegments(5)
        metrics.setAssignedPartitions(6)
        metrics.setBuildInfo(version: "1.2.3", librdkafkaVersion: "2.3.0")

        var text = registry.emitToString()
        #expect(text.contains(#"kafka_oss_sink_consumer_lag_records{topic="events",partition="0"} 42"#))
        #expect(text.contains(#"kafka_oss_sink_consumer_lag_records{topic="events",partition="1"} 0"#))
        #expect(text.contains("kafka_oss_sink_buffered_bytes 1048576"))
        #expect(text.contains("kafka_oss_sink_paused_partitions 2"))
        #expect(text.contains("kafka_oss_sink_open_segments 5"))
        #expect(text.contains("kafka_oss_sink_assigned_partitions 6"))
        #expect(text.contains(#"kafka_oss_sink_build_info{version="1.2.3",librdkafka_version="2.3.0"} 1"#))

        metrics.forgetPartition(topic: "events", partition: 0)
        text = registry.emitToString()
        #expect(!text.contains(#"kafka_oss_sink_consumer_lag_records{topic="events",partition="0"}"#))
        #expect(text.contains(#"kafka_oss_sink_consumer_lag_records{topic="events",partition="1"} 0"#))

        // The partition comes back (reassigned): a new series starts.
        metrics.setConsumerLag(topic: "events", partition: 0, lag: 9)
        text = registry.emitToString()
        #expect(text.contains(#"kafka_oss_sink_consumer_lag_records{topic="events",partition="0"} 9"#))
    }

    @Test("every documented name is a valid Prometheus name with the sink's prefix, counters end in _total")
    func names() {
        #expect(Set(SinkMetricName.all).count == SinkMetricName.all.count)
        for name in SinkMetricName.all {
            #expect(name.hasPrefix("kafka_oss_sink_"))
            #expect(name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }, "\(name)")
        }
        #expect(SinkMetricName.appends.hasSuffix("_total"))
        #expect(SinkMetricName.appendDuration.hasSuffix("_seconds"))
    }

    @Test("append outcome label values are the documented ones")
    func labelValues() {
        #expect(AppendMetricOutcome.allCases.map(\.rawValue)
            == ["ok", "retried", "lost_response_resolved", "fenced", "not_appendable", "sealed", "error"])
    }
}
