import HealthServer
import Observability
import Prometheus
import Testing

@Suite("HealthState")
struct HealthStateTests {
    @Test("starts alive and not ready; ready needs joined + OSS reachable + no config error")
    func readinessConditions() {
        let state = HealthState()
        #expect(state.liveness == .alive)
        #expect(state.readiness == .notReady("OSS unreachable: OSS not reached yet"))

        state.markOSSReachable()
        #expect(state.readiness == .notReady("consumer group not joined yet"))

        state.markGroupJoined(assignedPartitions: 0)
        #expect(state.readiness == .ready, "joined with nothing to assign is ready (more replicas than partitions)")

        state.setAssignedPartitions(4)
        #expect(state.readiness == .ready)
        #expect(state.snapshot().assignedPartitions == 4)

        state.reportConfigError("oss: 403 AccessDenied on PUT examplebucket")
        #expect(state.readiness == .notReady("configuration error: oss: 403 AccessDenied on PUT examplebucket"))
        state.clearConfigError()
        #expect(state.readiness == .ready)

        state.markOSSUnreachable(reason: "connection refused")
        #expect(state.readiness == .notReady("OSS unreachable: connection refused"))
        state.markOSSReachable()

        state.markGroupLeft()
        #expect(state.readiness == .notReady("consumer group not joined yet"))
        #expect(state.snapshot().assignedPartitions == 0)
    }

    @Test("shutdown and fatal states; fatal also fails liveness")
    func shutdownAndFatal() {
        let state = HealthState()
        state.markOSSReachable()
        state.markGroupJoined(assignedPartitions: 1)
        state.markShuttingDown()
        #expect(state.readiness == .notReady("shutting down"))
        #expect(state.liveness == .alive)
        state.markFatal(reason: "consumer closed\nby broker")
        #expect(state.liveness == .failed("consumer closed by broker"))
        #expect(state.readiness == .notReady("fatal: consumer closed by broker"))
    }

    @Test("reasons are redacted and kept on one line")
    func reasonsRedacted() {
        let redactor = LogRedactor(secrets: ["s3cr3t-KEY"])
        let state = HealthState(redact: { redactor.redact($0) })
        state.reportConfigError("signature mismatch for secret s3cr3t-KEY\r\nretrying")
        let reason = state.snapshot().configError
        #expect(reason == "signature mismatch for secret *** retrying")
    }

    @Test("readiness and config-error gauges follow the state")
    func gaugesFollow() {
        let registry = PrometheusCollectorRegistry()
        let metrics = SinkMetrics(registry: registry)
        let state = HealthState(onChange: { ready, configError in metrics.setHealth(ready: ready, configError: configError) })
        #expect(registry.emitToString().contains("kafka_oss_sink_ready 0"))
        state.markOSSReachable()
        state.markGroupJoined(assignedPartitions: 2)
        #expect(registry.emitToString().contains("kafka_oss_sink_ready 1"))
        #expect(registry.emitToString().contains("kafka_oss_sink_config_error 0"))
        state.reportConfigError("NoSuchBucket")
        #expect(registry.emitToString().contains("kafka_oss_sink_ready 0"))
        #expect(registry.emitToString().contains("kafka_oss_sink_config_error 1"))
    }
}
