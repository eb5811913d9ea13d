import ArgumentParser

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole local stack: mock Kafka, OSS emulator, sample events and the sink."
    )

    func run() async throws {
        try notBuiltYet("demo")
    }
}
