import ArgumentParser
import SinkApp

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
        do {
            try await SinkApplication(loaded: loaded, version: KafkaOSSSink.version).run()
        } catch {
            throw ExitCode(SinkApplication.isConfigurationError(error) ? 2 : 1)
        }
    }
}
