public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A long-running executable of this package (`run`, `emulator`, `mock-kafka`) in a subprocess, as an operator
/// starts it: its output is collected as it comes, so a test can wait for a line, signal it and wait for its exit.
public final class RunningProcess: Sendable {
    private let process: Process
    private let state = State()
    public let arguments: [String]

    private final class State: Sendable {
        let output = Mutex<(stdout: String, stderr: String)>(("", ""))
        let exited = Mutex<Int32?>(nil)
    }

    /// Starts `binary` (see ``CLIProcess/binaryURL(_:)``) with `arguments`; `environment` adds to this process's.
    public init(_ arguments: [String], binary: String = "kafka-oss-sink", environment: [String: String] = [:],
                directory: URL = FileManager.default.temporaryDirectory) throws {
        self.arguments = arguments
        process = Process()
        process.executableURL = try CLIProcess.binaryURL(binary)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = directory
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        for (pipe, isStdout) in [(stdout, true), (stderr, false)] {
            let handle = pipe.fileHandleForReading
            let state = state
            Thread {
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    let text = String(decoding: data, as: UTF8.self)
                    state.output.withLock { if isStdout { $0.stdout += text } else { $0.stderr += text } }
                }
            }.start()
        }
        let process = process
        let state = state
        Thread {
            process.waitUntilExit()
            state.exited.withLock { $0 = process.terminationStatus }
        }.start()
    }

    public var pid: Int32 { process.processIdentifier }
    public var stdout: String { state.output.withLock { $0.stdout } }
    public var stderr: String { state.output.withLock { $0.stderr } }
    /// The exit status once the process ended.
    public var exitStatus: Int32? { state.exited.withLock { $0 } }

    /// Waits until a line of stdout (or stderr) satisfies `match`; returns the line.
    /// - Throws: ``RunningProcessError`` when the process exits first or `timeout` passes.
    @discardableResult
    public func waitForLine(
        on stream: Stream = .stdout, timeout: Duration = .seconds(30), where match: @escaping (Substring) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = stream == .stdout ? stdout : stderr
            if let line = text.split(separator: "\n").first(where: match) { return String(line) }
            if exitStatus != nil || ContinuousClock.now >= deadline {
                throw RunningProcessError(description: "\(arguments.first ?? "process") \(exitStatus.map { "exited with \($0)" } ?? "timed out") before the expected line; stdout: \(stdout.suffix(2000)) stderr: \(stderr.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Sends `signal` (SIGTERM by default).
    public func signal(_ signal: Int32 = SIGTERM) {
        if exitStatus == nil { kill(process.processIdentifier, signal) }
    }

    /// Waits for the exit and returns the status.
    /// - Throws: ``RunningProcessError`` after `timeout` (the process is then killed).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while exitStatus == nil {
            if ContinuousClock.now >= deadline {
                signal(SIGKILL)
                throw RunningProcessError(description: "\(arguments.first ?? "process") did not exit within \(timeout); stderr: \(stderr.suffix(4000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus!
    }

    /// SIGTERM, then SIGKILL if it has not exited within `grace`; for cleanup paths.
    public func stop(grace: Duration = .seconds(10)) async {
        signal(SIGTERM)
        _ = try? await waitForExit(timeout: grace)
    }

    public enum Stream: Sendable { case stdout, stderr }
}

public struct RunningProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
