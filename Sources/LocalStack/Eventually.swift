/// Waits until `condition` holds, checking it every `poll`, for at most `timeout`; returns whether it held.
///
/// The one way the demo and the tests wait for something to happen, instead of sleeping a fixed time and
/// hoping it did.
@discardableResult
public func eventually(
    timeout: Duration = .seconds(30), poll: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: poll)
    }
    return try await condition()
}
