/// When and how long to wait before retrying a failed request: full-jitter exponential backoff.
///
/// The delay before retry `n` (1-based: the wait after the n-th failed attempt) is
/// `random(0 ... min(maxDelay, baseDelay * 2^(n-1)))` (AWS "full jitter", as in the OSS Go/Python SDKs).
/// Only errors whose ``OSSError/isRetryable`` is true are retried, at most `maxAttempts` attempts in all.
/// A `RequestTimeTooSkewed` answer is retried at once after correcting the clock offset.
public struct OSSRetryPolicy: Sendable {
    /// Total attempts including the first; 1 disables retries.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Returns a uniformly distributed value in `0...1`; injectable for tests.
    public var random: @Sendable () -> Double
    /// Sleeps for a duration; injectable for tests. Must throw when the task is cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        maxAttempts: Int = 3,
        baseDelay: Duration = .milliseconds(200),
        maxDelay: Duration = .seconds(20),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.random = random
        self.sleep = sleep
    }

    /// The default: 3 attempts, 200 ms base, 20 s cap.
    public static var `default`: OSSRetryPolicy { OSSRetryPolicy() }

    /// No retries at all.
    public static var none: OSSRetryPolicy { OSSRetryPolicy(maxAttempts: 1) }

    /// The upper bound of the jittered delay after failed attempt `attempt` (1-based): `min(maxDelay, baseDelay * 2^(attempt-1))`.
    public func backoffCeiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        let base = Self.seconds(baseDelay)
        let ceiling = min(Self.seconds(maxDelay), base * Double(UInt64(1) << UInt64(exponent)))
        return Self.duration(seconds: ceiling)
    }

    /// The jittered delay after failed attempt `attempt` (1-based), in `0...backoffCeiling(afterAttempt:)`.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let fraction = min(max(random(), 0), 1)
        return Self.duration(seconds: Self.seconds(backoffCeiling(afterAttempt: attempt)) * fraction)
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    static func duration(seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }
}
