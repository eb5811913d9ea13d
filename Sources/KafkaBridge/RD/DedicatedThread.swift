internal import CRdKafka
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

/// Starts a long-lived thread named `name` that runs `body` (a poll loop). The name shows in top -H and perf;
/// Linux keeps the first 15 bytes.
func startNamedThread(_ name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) {
    let threadName = String(name.utf8.prefix(15)) ?? "kafka"
    let thread = Thread {
        kos_set_thread_name(threadName)
        body()
    }
    thread.name = name
    thread.stackSize = stackSize
    thread.start()
}
