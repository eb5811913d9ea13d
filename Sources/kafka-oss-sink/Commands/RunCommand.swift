import ArgumentParser

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the sink service."
    )

    func run() async throws {
        try notBuiltYet("run")
    }
}
