import ArgumentParser

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the local OSS-compatible emulator."
    )

    func run() async throws {
        try notBuiltYet("emulator")
    }
}
