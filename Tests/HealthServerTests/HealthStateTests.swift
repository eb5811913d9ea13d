import HealthServer
import Observability
import Prometheus
import Synchronization
import Testing
import Foundation

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

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

@Suite("HealthState waiting")
struct HealthStateWaitingTests {
    @Test("each condition remembers since when it holds; a new reason keeps the time")
    func sinceTimes() throws {
        let clock = ManualClock()
        let start = clock.now
        let state = HealthState(now: { clock.now })
        #expect(state.waiting() == .init(condition: .ossUnreachable, reason: "OSS unreachable: OSS not reached yet", since: start))
        clock.advance(2)
        state.markOSSReachable()
        #expect(state.waiting() == .init(condition: .groupNotJoined, reason: "consumer group not joined yet", since: start))
        clock.advance(3)
        state.setGroupWait("JoinGroup sent; the coordinator holds it until the group's rebalance completes")
        #expect(state.waiting()?.reason == "consumer group not joined yet: JoinGroup sent; the coordinator holds it until the group's rebalance completes")
        #expect(state.waiting()?.since == start, "the detail changes, the wait does not")

        clock.advance(1)
        state.markKafkaBrokersDown(reason: "1/1 brokers are down")
        #expect(state.waiting() == .init(condition: .kafkaBrokersDown, reason: "Kafka brokers down: 1/1 brokers are down", since: start + 6))
        state.markKafkaBrokersUp()
        state.markGroupJoined(assignedPartitions: 2)
        #expect(state.waiting() == nil)
        #expect(state.readiness == .ready)

        clock.advance(10)
        state.reportConfigError("403 InvalidAccessKeyId")
        clock.advance(10)
        state.reportConfigError("403 SignatureDoesNotMatch")
        #expect(state.waiting() == .init(condition: .configurationError, reason: "configuration error: 403 SignatureDoesNotMatch", since: start + 16))
        state.clearConfigError()
        clock.advance(5)
        state.reportConfigError("404 NoSuchBucket")
        #expect(state.waiting()?.since == start + 31, "a cleared condition starts again")
    }
}
