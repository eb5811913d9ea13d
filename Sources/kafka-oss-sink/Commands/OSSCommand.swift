import ArgumentParser

struct OSSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oss",
        abstract: "An operator's view of the bucket (ls, head, cat, append, put, rm), using the oss: section of --config."
    )

    func run() async throws {
        try notBuiltYet("oss")
    }
}
