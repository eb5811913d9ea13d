import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the benchmark suite."
    )

    func run() async throws {
        try notBuiltYet("bench")
    }
}
