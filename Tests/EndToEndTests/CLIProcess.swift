import Foundation
import Testing

/// The `kafka-oss-sink` binary built by `swift build`, run in a subprocess the way a user runs it.
enum CLIProcess {
    /// The CLI built by `swift build` (the test bundle sits next to it in the same build directory).
    static func binaryURL() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kafka-oss-sink"),
            Bundle.main.bundleURL.appendingPathComponent("kafka-oss-sink"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/kafka-oss-sink"),
        ]
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        return try #require(found, "build the CLI first: swift build (looked in \(candidates.map(\.path)))")
    }

    /// Runs the binary with `arguments` in `directory`; returns the exit status, stdout and stderr. Both pipes are
    /// read to the end before waiting, so a full pipe never blocks the child.
    static func run(_ arguments: [String], in directory: URL) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = try binaryURL()
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        async let out = Task.detached { stdout.fileHandleForReading.readDataToEndOfFile() }.value
        async let err = Task.detached { stderr.fileHandleForReading.readDataToEndOfFile() }.value
        let output = String(decoding: await out, as: UTF8.self)
        let errors = String(decoding: await err, as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output, errors)
    }
}
