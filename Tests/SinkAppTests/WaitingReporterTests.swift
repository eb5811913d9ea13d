import Foundation
import HealthServer
import Logging
import SinkApp
import Synchronization
import Testing

/// A clock the test moves by hand.
private final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
}

@Suite struct WaitingReporterTests {
    @Test("every 10 s of waiting is logged with what the sink waits for and since when")
    func logsWhatItWaitsFor() {
        let clock = TestClock()
        let start = clock.now
        let health = HealthState(now: { clock.now })
        let reporter = WaitingReporter(health: health, logger: Logger(label: "test"), now: { clock.now })
        health.markOSSReachable()
        health.setGroupWait("JoinGroup sent; the coordinator holds it until the group's rebalance completes")

        clock.advance(9)
        #expect(reporter.line(at: clock.now) == nil, "a wait shorter than the interval is normal start-up")
        clock.advance(1)
        #expect(reporter.line(at: clock.now) == WaitingReporter.Line(
            level: .info,
            message: "still waiting: consumer group not joined yet: JoinGroup sent; the coordinator holds it until the group's rebalance completes",
            metadata: ["waiting_for": "group_not_joined", "since": start.formatted(.iso8601), "waited_s": "10"]))
        clock.advance(33)
        #expect(reporter.line(at: clock.now)?.metadata["waited_s"] == "43")

        health.markGroupJoined(assignedPartitions: 4)
        #expect(reporter.line(at: clock.now) == nil)

        let outage = clock.now
        health.markKafkaBrokersDown(reason: "1/1 brokers are down")
        clock.advance(20)
        #expect(reporter.line(at: clock.now) == WaitingReporter.Line(
            level: .warning, message: "still waiting: Kafka brokers down: 1/1 brokers are down",
            metadata: ["waiting_for": "kafka_brokers_down", "since": outage.formatted(.iso8601), "waited_s": "20"]))
        health.markKafkaBrokersUp()

        health.markOSSUnreachable(reason: "cannot connect to the OSS endpoint http://127.0.0.1:9 (connection refused)")
        clock.advance(10)
        #expect(reporter.line(at: clock.now)?.message == "still waiting: OSS unreachable: cannot connect to the OSS endpoint http://127.0.0.1:9 (connection refused)")
        health.markOSSReachable()

        health.reportConfigError("403 SignatureDoesNotMatch")
        clock.advance(10)
        #expect(reporter.line(at: clock.now)?.message == "still waiting: configuration error: 403 SignatureDoesNotMatch")
        #expect(reporter.line(at: clock.now)?.metadata["waiting_for"] == "configuration_error")
    }
}
