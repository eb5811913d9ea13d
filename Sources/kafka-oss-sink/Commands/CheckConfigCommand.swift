import ArgumentParser
import SinkConfig

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without connecting.",
        discussion: """
            Prints the effective configuration (defaults filled in, secrets shown as ***) and exits 0, \
            or lists every problem as 'path: what is wrong (allowed: ...)' on stderr and exits 2. \
            librdkafka checks each kafka.properties entry itself.
            """
    )

    @Argument(help: "Path to the YAML configuration file.")
    var file: String

    @Flag(name: .shortAndLong, help: "Print nothing on success; only the exit status tells.")
    var quiet = false

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: file)
        if !quiet {
            print(loaded.configuration.renderedYAML(), terminator: "")
        }
    }
}
