import ArgumentParser
import HealthServer
import KafkaBridge
import Logging
import ServiceLifecycle
import SinkConfig
import SinkService
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sink service.",
        discussion: """
            Joins the consumer group, archives every assigned partition into appendable OSS objects and \
            commits offsets only after the bytes are in OSS. Serves /healthz, /readyz and /metrics on \
            server.listen. SIGTERM or SIGINT stops fetching, flushes, commits and leaves the group within \
            shutdown_timeout, then exits 0. Exit status 2: the configuration is invalid.
            """
    )

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: config)
        let configuration = loaded.configuration
        let redactor = LogRedactor(secrets: loaded.secrets)
        SinkLogging.bootstrap(
            level: Logger.Level(rawValue: configuration.log.level.rawValue) ?? .info,
            format: SinkLogFormat(rawValue: configuration.log.format.rawValue) ?? .text,
            redactor: redactor)
        let logger = Logger(label: "kafka-oss-sink")

        let registry = MetricsBootstrap.bootstrapPrometheus()
        let metrics = SinkMetrics(registry: registry)
        metrics.setBuildInfo(version: KafkaOSSSink.version, librdkafkaVersion: Librdkafka.versionString)
        let health = HealthState(metrics: metrics, redactor: redactor)
        let healthServer = HealthServer(
            host: configuration.server.host, port: configuration.server.port, state: health, registry: registry,
            logger: logger)
        AllocatorSettings.fit(maxBufferedBytes: configuration.sink.maxBufferedBytes)
        let service = SinkService(configuration: configuration, logger: logger, metrics: metrics, health: health)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: healthServer, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("sink stopped with an error: \(error)")
            throw ExitCode(1)
        }
    }
}
