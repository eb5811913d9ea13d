public import HealthServer
public import Logging
public import ServiceLifecycle
public import SinkConfig
public import Foundation
import KafkaBridge
import OSSClient
import SinkCore

/// The archiver: consumes the configured topics as a member of the consumer group and appends every
/// partition's records to appendable OSS objects, committing offsets only after the bytes are in OSS.
///
/// A swift-service-lifecycle `Service`: `run()` returns after a graceful shutdown (stop fetching, flush
/// every buffer, commit, leave the group) or throws the reason the sink cannot go on (a fatal Kafka
/// error, a failure SinkCore cannot work around, or a shutdown that missed `shutdown_timeout`).
public final class SinkService: Service, Sendable {
    let configuration: SinkConfiguration
    let logger: Logger
    let environment: [String: String]
    let metrics: SinkMetrics?
    let health: HealthState?

    /// - Parameters:
    ///   - metrics: where to count (nil: no metrics).
    ///   - health: what `/readyz` and `/healthz` report (nil: not reported).
    public init(configuration: SinkConfiguration, logger: Logger, metrics: SinkMetrics? = nil, health: HealthState? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.health = health
        self.environment = environment
    }

    public func run() async throws {
        let settings = try SinkSettings(configuration)
        let client = try OSSClient(configuration: OSSClientConfiguration(
            configuration.oss, maxConnections: configuration.sink.maxInflightAppends, environment: environment), logger: logger)
        let observer = SinkObserver(logger: logger, metrics: metrics, health: health)
        let store = OSSSegmentStore(client: client, createOptions: OSSCreateOptions(configuration.oss, settings: settings), observer: observer)
        await probe(client)
        let driver = SinkDriver(
            sink: try! Sink(settings: settings), store: store,  // settings were validated by SinkSettings(_:)
            maxInflightRequests: configuration.sink.maxInflightAppends,
            handoverLimit: configuration.sink.memoryBudget.handoverBytes, observer: observer, logger: logger)
        let bridge = ConsumerBridge(
            revokeTimeout: settings.revokeTimeout + .seconds(5), budget: driver.budget, settings: settings, logger: logger,
            emit: { driver.emit($0) }, emitRendered: { driver.emitRendered($0, bytes: $1) }, onLag: { observer.lag($0) },
            onFatal: { error in driver.abort(SinkServiceError(message: "Kafka consumer failed: \(error)")) })
        driver.gate = bridge.gate
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(configuration), delegate: bridge, logger: logger)
        } catch {
            try? await client.shutdown()
            throw error
        }
        driver.consumer = consumer
        logger.info("sink started", metadata: [
            "group": "\(configuration.kafka.groupId)", "topics": "\(configuration.kafka.topics.map(\.description))",
            "bucket": "\(configuration.oss.bucket)", "endpoint": "\(configuration.oss.endpoint)",
        ])

        let shutdownTimeout = configuration.shutdownTimeout
        do {
            try await withGracefulShutdownHandler {
                try await driver.run()
            } onGracefulShutdown: { [health] in
                health?.markShuttingDown()
                driver.beginShutdown(timeout: shutdownTimeout)
            }
        } catch {
            health?.markFatal(reason: "\(error)")
            bridge.gate.abandon()
            try? await consumer.close(deadline: .seconds(5))
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        logger.info("sink stopped cleanly")
    }
}

extension SinkService {
    /// Asks OSS for the bucket once at start, so a wrong endpoint, secret or bucket is reported in one
    /// clear line before any record is consumed. The sink runs either way: SinkCore pauses consumption
    /// while OSS keeps refusing, and resumes when the problem is fixed.
    func probe(_ client: OSSClient) async {
        do {
            _ = try await client.getBucketInfo()
            health?.markOSSReachable()
        } catch {
            logger.error("OSS check failed: \(error.description)")
            if error.isConfigurationError {
                health?.reportConfigError(error.description)
            } else {
                health?.markOSSUnreachable(reason: error.description)
            }
        }
    }
}

/// Why the sink service stopped.
public struct SinkServiceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
