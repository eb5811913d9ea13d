import ArgumentParser

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check archived segments for gaps, overlaps, CRC-64 and committed offsets."
    )

    func run() async throws {
        try notBuiltYet("verify")
    }
}
