import ArgumentParser
import Observability
import SinkConfig

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without connecting.",
        discussion: """
            Prints the effective configuration (defaults filled in, secrets shown as ***) and, per \
            kafka.topics entry, the settings its topics are archived with, then exits 0; or lists every \
            problem as 'path: what is wrong (allowed: ...)' on stderr and exits 2. librdkafka checks each \
            kafka.properties entry itself. Entries that can write the same object key, or that never apply, \
            are problems; patterns that overlap are warnings.
            """
    )

    @Argument(help: ArgumentHelp("Path to the YAML configuration file (or give it with --config).", valueName: "file"))
    var file: String?

    @Option(name: .long, help: ArgumentHelp("Path to the YAML configuration file, as for run, oss and verify.", valueName: "file"))
    var config: String?

    @Flag(name: .shortAndLong, help: "Print nothing on success; only the exit status tells.")
    var quiet = false

    func validate() throws {
        switch (file, config) {
        case (nil, nil):
            throw ValidationError("Missing the configuration file: check-config FILE, or check-config --config FILE.")
        case (let positional?, let option?) where positional != option:
            throw ValidationError("Two configuration files given ('\(positional)' and --config '\(option)'); give one.")
        default:
            break
        }
    }

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: config ?? file ?? "")
        if !quiet {
            print(LogRedactor(secrets: loaded.secrets).redact(loaded.configuration.renderedYAML()), terminator: "")
        }
    }
}
