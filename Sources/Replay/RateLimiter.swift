import Synchronization

/// A token bucket for bytes per second, shared by the partitions of a replay: each caller takes what it is about to
/// produce and waits for the debt it leaves (at most a tenth of a second's worth may go out at once).
public struct TokenBucket: Sendable {
    public let bytesPerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    public init(bytesPerSecond: Int64, now: ContinuousClock.Instant) {
        self.bytesPerSecond = Double(max(1, bytesPerSecond))
        burst = max(1, self.bytesPerSecond / 10)
        tokens = burst
        last = now
    }

    /// Takes `bytes` at `now` and returns how long the caller must wait before sending them.
    public mutating func take(_ bytes: Int, now: ContinuousClock.Instant) -> Duration {
        let elapsed = Double((now - last).components.attoseconds) / 1e18 + Double((now - last).components.seconds)
        last = now
        tokens = min(burst, tokens + elapsed * bytesPerSecond) - Double(bytes)
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens * 1e9 / bytesPerSecond).rounded(.up)))
    }
}

/// ``TokenBucket`` behind a lock, for the partition tasks.
final class RateLimiter: Sendable {
    private let bucket: Mutex<TokenBucket>

    init(bytesPerSecond: Int64) {
        bucket = Mutex(TokenBucket(bytesPerSecond: bytesPerSecond, now: .now))
    }

    /// Waits until `bytes` may be sent.
    func acquire(_ bytes: Int) async {
        let wait = bucket.withLock { $0.take(bytes, now: .now) }
        if wait > .zero { try? await Task.sleep(for: wait) }
    }
}
