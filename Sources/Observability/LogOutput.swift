import Foundation

/// Where log lines go. Each call receives one complete line including its trailing newline.
public struct LogOutput: Sendable {
    private let writeLine: @Sendable (String) -> Void

    /// Lines go to `write` (tests collect them; a shell can forward them).
    public init(write: @escaping @Sendable (String) -> Void) {
        self.writeLine = write
    }

    /// Standard error, one `write(2)` per line so concurrent lines never interleave.
    public static let standardError = LogOutput(fileHandle: .standardError)

    /// Standard output, one `write(2)` per line.
    public static let standardOutput = LogOutput(fileHandle: .standardOutput)

    private init(fileHandle: FileHandle) {
        let lock = NSLock()
        self.writeLine = { line in
            lock.withLock {
                try? fileHandle.write(contentsOf: Data(line.utf8))
            }
        }
    }

    func write(_ line: String) {
        writeLine(line)
    }
}
