import ArgumentParser
import Logging
import ServiceLifecycle
import UnixSignals
import SinkConfig
import SinkService

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sink service.",
        discussion: """
            Joins the consumer group, archives every assigned partition into appendable OSS objects and \
            commits offsets only after the bytes are in OSS. SIGTERM or SIGINT stops fetching, flushes, \
            commits and leaves the group within shutdown_timeout, then exits 0.
            """
    )

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: config)
        let configuration = loaded.configuration
        var logger = Logger(label: "kafka-oss-sink")
        logger.logLevel = Logger.Level(configuration.log.level)
        let service = SinkService(configuration: configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                             failureTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("sink stopped with an error", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
    }
}

extension Logger.Level {
    init(_ level: SinkConfiguration.LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .warning: self = .warning
        case .error: self = .error
        }
    }
}
