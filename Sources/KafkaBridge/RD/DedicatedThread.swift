import Foundation

/// Runs `body` on a new dedicated thread (never on the cooperative pool) and returns its result.
/// For blocking librdkafka calls that do not belong to a poll thread (mock cluster, test producer).
func runOnDedicatedThread<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        let thread = Thread {
            continuation.resume(returning: body())
        }
        thread.name = name
        thread.start()
    }
}
