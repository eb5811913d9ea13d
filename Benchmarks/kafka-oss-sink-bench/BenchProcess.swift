import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` whose exit is collected with `wait4`, so its CPU time and peak
/// RSS (`rusage`) are its own. Standard output and error go to files.
final class BenchProcess: @unchecked Sendable {
    let pid: pid_t
    let stderrPath: String
    private let lock = NSLock()
    private var exit: (status: Int32, usage: BenchUsage)?

    /// Starts `executable` with `arguments` (argv[0] is added).
    /// - Throws: `BenchFailure` naming the executable when spawning fails.
    init(executable: String, arguments: [String], stdoutPath: String, stderrPath: String) throws {
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, environ)
        guard result == 0 else {
            throw BenchFailure("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    /// The path of the running executable (`/proc/self/exe`; when the file was replaced by a rebuild since
    /// this process started, the new file at the same path).
    static var currentExecutable: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        let path = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasSuffix(" (deleted)") ? String(path.dropLast(" (deleted)".count)) : path
    }

    func signal(_ number: Int32) {
        _ = kill(pid, number)
    }

    /// The exit status and usage when the process has exited, without blocking; nil while it runs.
    func poll() -> (status: Int32, usage: BenchUsage)? {
        lock.lock()
        defer { lock.unlock() }
        if let exit { return exit }
        var status: Int32 = 0
        var usage = rusage()
        if wait4(pid, &status, WNOHANG, &usage) == pid {
            exit = (status, BenchUsage(usage))
        }
        return exit
    }

    /// Waits (polling every 10 ms, off the cooperative pool's blocking calls) until the process exits or
    /// `timeout` passes; then SIGKILLs it and waits for that.
    func wait(timeout: Duration) async -> (status: Int32, usage: BenchUsage, killed: Bool) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let exit = poll() { return (exit.status, exit.usage, false) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        signal(SIGKILL)
        while true {
            if let exit = poll() { return (exit.status, exit.usage, true) }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The last `lines` lines of the child's standard error.
    func stderrTail(lines: Int = 15) -> String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// A benchmark could not run; the message says what failed and what to change.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` on a new thread (for blocking librdkafka calls) and returns its result.
func onBenchThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
    return try result.get()
}
