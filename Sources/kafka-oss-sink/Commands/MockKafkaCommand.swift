import ArgumentParser

struct MockKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-kafka",
        abstract: "Run a standalone librdkafka mock Kafka cluster."
    )

    func run() async throws {
        try notBuiltYet("mock-kafka")
    }
}
