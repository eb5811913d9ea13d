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

    public init(configuration: SinkConfiguration, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.configuration = configuration
        self.logger = logger
        self.environment = environment
    }

    public func run() async throws {
        let settings = try SinkSettings(configuration)
        let client = try OSSClient(configuration: OSSClientConfiguration(configuration.oss, environment: environment), logger: logger)
        let store = OSSSegmentStore(client: client, createOptions: OSSCreateOptions(configuration.oss, settings: settings))
        let observer = SinkObserver(logger: logger)
        let driver = SinkDriver(
            sink: try Sink(settings: settings), store: store,
            maxInflightRequests: configuration.sink.maxInflightAppends, observer: observer, logger: logger)
        let bridge = ConsumerBridge(
            revokeTimeout: settings.revokeTimeout + .seconds(5), logger: logger,
            emit: { driver.emit($0) }, onLag: { observer.lag($0) },
            onFatal: { error in driver.abort(SinkServiceError(message: "Kafka consumer failed: \(error)")) })
        driver.gate = bridge.gate
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(configuration), delegate: bridge, logger: logger)
        driver.consumer = consumer
        logger.info("sink started", metadata: [
            "group": "\(configuration.kafka.groupId)", "topics": "\(configuration.kafka.topics.map(\.description))",
            "bucket": "\(configuration.oss.bucket)", "endpoint": "\(configuration.oss.endpoint)",
        ])

        let shutdownTimeout = configuration.shutdownTimeout
        do {
            try await withGracefulShutdownHandler {
                try await driver.run()
            } onGracefulShutdown: {
                driver.beginShutdown(timeout: shutdownTimeout)
            }
        } catch {
            try? await consumer.close(deadline: .seconds(5))
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
        logger.info("sink stopped cleanly")
    }
}

/// Why the sink service stopped.
public struct SinkServiceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
