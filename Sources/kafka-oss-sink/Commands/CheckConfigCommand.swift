import ArgumentParser

struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without connecting; print the effective config with secrets masked."
    )

    @Argument(help: "Path to the YAML configuration file.")
    var file: String

    func run() async throws {
        try notBuiltYet("check-config")
    }
}
