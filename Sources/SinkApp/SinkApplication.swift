public import Foundation
import HealthServer
import KafkaBridge
import Logging
import Observability
import ServiceLifecycle
public import SinkConfig
import SinkService
import UnixSignals

/// The `run` command's process: logging, metrics, the probes' server and the sink service for one loaded
/// configuration file, in one `ServiceGroup` that stops gracefully on SIGTERM or SIGINT.
public struct SinkApplication: Sendable {
    public let loaded: SinkConfiguration.Loaded
    /// Reported by the `kafka_oss_sink_build_info` metric.
    public let version: String
    public let environment: [String: String]

    public init(loaded: SinkConfiguration.Loaded, version: String,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.loaded = loaded
        self.version = version
        self.environment = environment
    }

    /// Whether a failure of ``run()`` means the configuration cannot work (librdkafka refused a property or the
    /// client), for exit status 2.
    public static func isConfigurationError(_ error: any Error) -> Bool {
        guard let kafka = error as? KafkaError else { return false }
        return kafka.code == .configuration || kafka.code == .handleCreation
    }

    /// Runs until a graceful stop (returns) or a failure (logged as critical, then thrown).
    public func run() async throws {
        let configuration = loaded.configuration
        let redactor = LogRedactor(secrets: loaded.secrets)
        SinkLogging.bootstrap(
            level: Logger.Level(rawValue: configuration.log.level.rawValue) ?? .info,
            format: SinkLogFormat(rawValue: configuration.log.format.rawValue) ?? .text,
            redactor: redactor)
        let logger = Logger(label: "kafka-oss-sink")

        let registry = MetricsBootstrap.bootstrapPrometheus()
        let metrics = SinkMetrics(registry: registry)
        metrics.setBuildInfo(version: version, librdkafkaVersion: Librdkafka.versionString)
        let health = HealthState(metrics: metrics, redactor: redactor)
        let healthServer = HealthServer(
            host: configuration.server.host, port: configuration.server.port, state: health, registry: registry,
            logger: logger)
        AllocatorSettings.fit(maxBufferedBytes: configuration.sink.maxBufferedBytes)
        let serviceConfiguration: SinkServiceConfiguration
        do {
            serviceConfiguration = try SinkServiceConfiguration(configuration, environment: environment)
        } catch {
            logger.critical("sink cannot start: \(error)")
            throw error
        }
        let service = SinkService(
            configuration: serviceConfiguration, logger: logger, reporter: SinkMetricsReporter(metrics: metrics, health: health))
        // Services stop in the reverse order: the sink first, then the probes (/readyz says "shutting down" while
        // the sink drains), then the waiting reporter (it logs a stop that takes long, like any other wait).
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: WaitingReporter(health: health, logger: logger), successTerminationBehavior: .ignore,
                      failureTerminationBehavior: .ignore),
                .init(service: healthServer, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: AfterProbesListen(probes: healthServer, service: service),
                      successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("sink stopped with an error: \(error)")
            throw error
        }
    }
}

/// Starts the sink once the probe server listens, so that an address in use stops the process before the sink
/// joins the group (and its error is the only one reported).
struct AfterProbesListen: Service {
    let probes: HealthServer
    let service: SinkService

    func run() async throws {
        _ = try await probes.listeningPort()
        try await service.run()
    }
}
