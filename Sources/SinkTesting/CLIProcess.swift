public import Foundation

/// An executable of this package built by `swift build` (`kafka-oss-sink`, `kafka-oss-sink-bench`), run in a
/// subprocess the way a user runs it.
public enum CLIProcess {
    /// The executable `name` built next to the test bundle (the same build directory), or under `.build/debug`.
    /// - Throws: ``CLIProcessError`` naming where it looked when it is not built.
    public static func binaryURL(_ name: String = "kafka-oss-sink") throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name),
            Bundle.main.bundleURL.appendingPathComponent(name),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent(".build/debug/\(name)"),
        ]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CLIProcessError(description: "build \(name) first: swift build (looked in \(candidates.map(\.path)))")
        }
        return found
    }

    /// Runs the executable `binary` with `arguments` in `directory` to its exit; returns the status (the signal
    /// number plus 128 when a signal ended it), stdout and stderr.
    public static func run(
        _ arguments: [String], in directory: URL, binary: String = "kafka-oss-sink", environment: [String: String]? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await start(arguments, in: directory, binary: binary, environment: environment).wait()
    }
}

/// The executable to run is not built.
public struct CLIProcessError: Error, CustomStringConvertible {
    public var description: String
}

extension CLIProcess {
    /// Starts the executable `binary` with `arguments` in `directory` and returns at once; stdout and stderr are
    /// collected on threads of their own until it exits.
    public static func start(
        _ arguments: [String], in directory: URL, binary: String = "kafka-oss-sink", environment: [String: String]? = nil
    ) throws -> RunningCLI {
        let process = Process()
        process.executableURL = try binaryURL(binary)
        if let environment { process.environment = environment }
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return RunningCLI(process: process, stdout: stdout.fileHandleForReading, stderr: stderr.fileHandleForReading)
    }
}

/// A CLI process started by ``CLIProcess/start(_:in:binary:environment:)``.
public final class RunningCLI: @unchecked Sendable {
    private let process: Process
    private let output: Task<(Data, Data), Never>

    init(process: Process, stdout: FileHandle, stderr: FileHandle) {
        self.process = process
        output = Task {
            async let out = Self.readToEnd(stdout)
            async let err = Self.readToEnd(stderr)
            return await (out, err)
        }
    }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` (for example `SIGKILL`, `SIGTERM`).
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the exit; returns the status (the signal number plus 128 when a signal ended it), stdout and stderr.
    public func wait() async -> (status: Int32, stdout: String, stderr: String) {
        let (out, err) = await output.value
        let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            Thread {
                self.process.waitUntilExit()
                let status = self.process.terminationReason == .uncaughtSignal
                    ? 128 + self.process.terminationStatus : self.process.terminationStatus
                continuation.resume(returning: status)
            }.start()
        }
        return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    private static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: handle.readDataToEndOfFile()) }.start()
        }
    }
}
