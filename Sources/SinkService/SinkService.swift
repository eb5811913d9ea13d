import KafkaBridge
public import Logging
import OSSClient
public import ServiceLifecycle
import SinkCore

/// The archiver: consumes the configured topics as a member of the consumer group and appends every
/// partition's records to appendable OSS objects, committing offsets only after the bytes are in OSS.
///
/// A swift-service-lifecycle `Service`: `run()` returns after a graceful shutdown (stop fetching, flush
/// every buffer, commit, leave the group) or throws the reason the sink cannot go on (a fatal Kafka
/// error, a failure SinkCore cannot work around, or a shutdown that missed `shutdown_timeout`).
public final class SinkService: Service, Sendable {
    let configuration: SinkServiceConfiguration
    let logger: Logger
    let reporter: any SinkReporter

    /// - Parameters:
    ///   - reporter: where metrics and readiness go (the default ignores them; log lines go to `logger`).
    public init(configuration: SinkServiceConfiguration, logger: Logger, reporter: any SinkReporter = SilentSinkReporter()) {
        self.configuration = configuration
        self.logger = logger
        self.reporter = reporter
    }

    public func run() async throws {
        let settings = configuration.settings
        let sink = try Sink(settings: settings)
        let client = try OSSClient(configuration: configuration.oss, logger: logger)
        let observer = SinkObserver(logger: logger, reporter: reporter)
        reporter.sealingEnabled(settings.anyTopicSeals)
        let store = OSSSegmentStore(client: client, createOptions: { [configuration] in configuration.createOptions(forTopic: $0) },
                                    observer: observer)
        let reached = await probe(client)
        // While OSS cannot be reached and no append says otherwise, ask again every 10 s, so readiness (and the
        // "still waiting" log) follows an endpoint that comes back while no record flows.
        let reprobe: Task<Void, Never>? = reached ? nil : Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(10))
                if Task.isCancelled { return }
                if await probe(client, quiet: true) { return }
            }
        }
        defer { reprobe?.cancel() }
        let driver = SinkDriver(
            sink: sink, store: store, maxInflightRequests: configuration.maxInflightAppends,
            handoverLimit: configuration.handoverBytes, observer: observer, logger: logger)
        let bridge = ConsumerBridge(
            revokeTimeout: settings.revokeTimeout + .seconds(5), budget: driver.budget, settings: settings, logger: logger,
            emit: { driver.emit($0) }, emitRendered: { driver.emitRendered($0, bytes: $1) }, onLag: { observer.lag($0) },
            onFatal: { error in driver.abort(SinkServiceError(message: "Kafka consumer failed: \(error)")) },
            onError: { observer.kafkaError($0) }, onStatus: { observer.kafkaStatus($0) })
        driver.gate = bridge.gate
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: configuration.consumer, delegate: bridge, logger: logger)
        } catch {
            try? await client.shutdown()
            throw error
        }
        driver.consumer = consumer
        logger.info("sink started", metadata: [
            "group": "\(configuration.consumer.groupID)", "topics": "\(configuration.consumer.topics)",
            "bucket": "\(configuration.oss.bucket)", "endpoint": "\(configuration.oss.endpoint)",
        ])

        let shutdownTimeout = configuration.shutdownTimeout
        do {
            try await withGracefulShutdownHandler {
                try await driver.run()
            } onGracefulShutdown: { [reporter, logger] in
                logger.info("stopping: sending what is buffered, committing and leaving the group", metadata: [
                    "shutdown_timeout": "\(shutdownTimeout)",
                ])
                reporter.shuttingDown()
                driver.beginShutdown(timeout: shutdownTimeout)
            }
        } catch {
            reporter.failed(reason: "\(error)")
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
    /// - Parameter quiet: a repeated check logs only its success (the failure was logged the first time).
    /// - Returns: whether OSS answered, or refused the configuration (asking again would not change that).
    @discardableResult
    func probe(_ client: OSSClient, quiet: Bool = false) async -> Bool {
        do {
            _ = try await client.getBucketInfo()
            if quiet { logger.info("OSS answers again") }
            reporter.ossReachable()
            return true
        } catch {
            if !quiet { logger.error("OSS check failed: \(error.description)") }
            if error.isConfigurationError {
                reporter.configurationError(error.description)
                return true
            }
            reporter.ossUnreachable(reason: error.description)
            return false
        }
    }
}

/// Why the sink service stopped.
public struct SinkServiceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
