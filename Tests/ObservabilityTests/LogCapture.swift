import Foundation
import Observability

/// Collects the lines a log handler writes.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    var output: LogOutput {
        LogOutput { [self] line in lock.withLock { collected.append(line) } }
    }

    var lines: [String] {
        lock.withLock { collected }
    }
}

/// 2024-05-01T12:34:56.789Z
let fixedDate = Date(timeIntervalSince1970: 1_714_566_896.789)
