import Foundation
import Hummingbird

/// Which requests a fault applies to. Nil fields match anything.
public struct OSSFaultMatch: Sendable, Hashable, Codable {
    /// HTTP method, e.g. `"POST"` for AppendObject (case-insensitive).
    public var method: String?
    public var bucket: String?
    /// Matches requests whose decoded key starts with this prefix (bucket-level requests never match).
    public var keyPrefix: String?
    /// Matches requests that carry this query parameter (for example `seal`, `append`, `tagging`).
    public var query: String?

    public init(method: String? = nil, bucket: String? = nil, keyPrefix: String? = nil, query: String? = nil) {
        self.method = method
        self.bucket = bucket
        self.keyPrefix = keyPrefix
        self.query = query
    }

    func matches(method: String, bucket: String?, key: String?, query names: [String]) -> Bool {
        if let expected = self.method, expected.uppercased() != method.uppercased() { return false }
        if let expected = self.bucket, expected != bucket { return false }
        if let prefix = keyPrefix {
            guard let key, key.hasPrefix(prefix) else { return false }
        }
        if let query, !names.contains(query) { return false }
        return true
    }
}

/// Random faults for chaos tests, drawn from a seeded generator (same seed + same request order = same faults).
public struct OSSChaosSettings: Sendable, Hashable {
    /// Probability that a request is applied and then its connection dropped without a response.
    public var dropAfterApplyProbability: Double
    /// Probability that a request fails with 503 ServiceUnavailable before it is applied.
    public var serviceUnavailableProbability: Double
    /// Uniform extra latency per request, in milliseconds.
    public var latencyMilliseconds: ClosedRange<Int>?
    public var seed: UInt64
    /// Requests the chaos applies to.
    public var match: OSSFaultMatch

    public init(
        dropAfterApplyProbability: Double = 0,
        serviceUnavailableProbability: Double = 0,
        latencyMilliseconds: ClosedRange<Int>? = nil,
        seed: UInt64 = 1,
        match: OSSFaultMatch = OSSFaultMatch()
    ) {
        self.dropAfterApplyProbability = dropAfterApplyProbability
        self.serviceUnavailableProbability = serviceUnavailableProbability
        self.latencyMilliseconds = latencyMilliseconds
        self.seed = seed
        self.match = match
    }
}

/// How many faults were injected so far (for test assertions).
public struct OSSFaultCounters: Sendable, Hashable, Codable {
    public var failed = 0
    public var droppedAfterApply = 0
    public var delayed = 0
    public init() {}
}

/// The network between a client and a real OSS endpoint, imitated: every request waits `latency` before it is
/// handled, and a request body is taken in no faster than `bytesPerSecond` (per request, so per connection: an
/// HTTP/1.1 connection carries one request at a time).
public struct OSSNetworkConditions: Sendable, Hashable, Codable {
    /// Added to every request before it is handled.
    public var latencyMilliseconds: Int
    /// Upper bound on the rate a request body arrives at; nil: as fast as the loopback allows.
    public var bytesPerSecond: Int?

    public init(latencyMilliseconds: Int = 0, bytesPerSecond: Int? = nil) {
        self.latencyMilliseconds = latencyMilliseconds
        self.bytesPerSecond = bytesPerSecond
    }

    /// How long a body of `bytes` takes at `bytesPerSecond` (zero when unlimited).
    public func transferTime(bytes: Int) -> Duration {
        guard let rate = bytesPerSecond, rate > 0, bytes > 0 else { return .zero }
        return .nanoseconds(Int64(Double(bytes) / Double(rate) * 1e9))
    }
}

/// Fault injection for tests. Off by default: with no rules, requests pass untouched.
///
/// Rules are consumed in the order they were added, each by the requests it matches: `failNext` answers a
/// request with an error before anything is applied; `dropAfterApplyNext` applies the request and then closes
/// the connection without a response (the lost-append case); `delayNext` / `latency` sleep before handling.
/// Thread-safe.
public final class OSSFaultInjector: @unchecked Sendable {
    private struct FailRule {
        var remaining: Int
        var match: OSSFaultMatch
        var error: OSSServiceError
    }

    private struct CountedRule {
        var remaining: Int?
        var match: OSSFaultMatch
        var milliseconds: Int = 0
    }

    private let lock = NSLock()
    private var failRules: [FailRule] = []
    private var dropRules: [CountedRule] = []
    private var latencyRules: [CountedRule] = []
    private var chaos: OSSChaosSettings?
    private var random = SplitMix64(seed: 1)
    private var counters = OSSFaultCounters()
    private var conditions = OSSNetworkConditions()

    public init() {}

    /// Imitates a real endpoint's latency and bandwidth for every request (`OSSNetworkConditions()` turns it off).
    /// Kept by ``reset()``: conditions are not faults.
    public func setNetworkConditions(_ conditions: OSSNetworkConditions) {
        lock.withLock { self.conditions = conditions }
    }

    /// The current network conditions.
    public var networkConditions: OSSNetworkConditions { lock.withLock { conditions } }

    /// Fails the next `count` matching requests with `status` and error `code` (XML body as OSS sends it).
    /// Extra `headers` go on the response (e.g. `x-oss-qos-delay-time`).
    public func failNext(
        _ count: Int = 1,
        status: Int,
        code: String,
        message: String? = nil,
        match: OSSFaultMatch = OSSFaultMatch(),
        headers: [String: String] = [:]
    ) {
        let error = OSSServiceError(
            status: .init(code: status),
            code: code,
            message: message ?? "Injected fault: \(code).",
            ec: "0000-00000000",
            headers: headers.sorted { $0.key < $1.key }.map { .init($0.key, $0.value) }
        )
        lock.withLock { failRules.append(FailRule(remaining: count, match: match, error: error)) }
    }

    /// Applies the next `count` matching requests and then drops their connections without any response.
    public func dropAfterApplyNext(_ count: Int = 1, match: OSSFaultMatch = OSSFaultMatch()) {
        lock.withLock { dropRules.append(CountedRule(remaining: count, match: match)) }
    }

    /// Delays matching requests by `milliseconds` before handling them: the next `count`, or all when nil.
    public func addLatency(milliseconds: Int, count: Int? = nil, match: OSSFaultMatch = OSSFaultMatch()) {
        lock.withLock { latencyRules.append(CountedRule(remaining: count, match: match, milliseconds: milliseconds)) }
    }

    /// Turns probabilistic faults on (or off with nil) and reseeds the generator.
    public func setChaos(_ settings: OSSChaosSettings?) {
        lock.withLock {
            chaos = settings
            random = SplitMix64(seed: settings?.seed ?? 1)
        }
    }

    /// Removes every rule and the chaos settings (counters stay).
    public func reset() {
        lock.withLock {
            failRules = []
            dropRules = []
            latencyRules = []
            chaos = nil
        }
    }

    public var injected: OSSFaultCounters { lock.withLock { counters } }

    /// What to do to one request.
    struct Plan: Sendable {
        var delayMilliseconds = 0
        var failure: OSSServiceError?
        var dropAfterApply = false
    }

    func plan(method: String, bucket: String?, key: String?, query: [String] = []) -> Plan {
        lock.withLock {
            var plan = Plan()
            if let index = latencyRules.firstIndex(where: { $0.match.matches(method: method, bucket: bucket, key: key, query: query) }) {
                plan.delayMilliseconds = latencyRules[index].milliseconds
                if let remaining = latencyRules[index].remaining {
                    if remaining <= 1 { latencyRules.remove(at: index) } else { latencyRules[index].remaining = remaining - 1 }
                }
            }
            if let index = failRules.firstIndex(where: { $0.match.matches(method: method, bucket: bucket, key: key, query: query) }) {
                plan.failure = failRules[index].error
                failRules[index].remaining -= 1
                if failRules[index].remaining <= 0 { failRules.remove(at: index) }
            } else if let index = dropRules.firstIndex(where: { $0.match.matches(method: method, bucket: bucket, key: key, query: query) }) {
                plan.dropAfterApply = true
                let remaining = (dropRules[index].remaining ?? 1) - 1
                if remaining <= 0 { dropRules.remove(at: index) } else { dropRules[index].remaining = remaining }
            }
            if let chaos, chaos.match.matches(method: method, bucket: bucket, key: key, query: query) {
                if let range = chaos.latencyMilliseconds {
                    let span = UInt64(range.upperBound - range.lowerBound + 1)
                    plan.delayMilliseconds += range.lowerBound + Int(random.next() % span)
                }
                let draw = random.nextUnit()
                if plan.failure == nil, !plan.dropAfterApply {
                    if draw < chaos.serviceUnavailableProbability {
                        plan.failure = OSSServiceError(
                            status: .serviceUnavailable, code: "ServiceUnavailable",
                            message: "Injected fault: service unavailable.", ec: "0000-00000503",
                            headers: [.init("x-oss-qos-delay-time", "100")]
                        )
                    } else if draw < chaos.serviceUnavailableProbability + chaos.dropAfterApplyProbability {
                        plan.dropAfterApply = true
                    }
                }
            }
            if plan.failure != nil { counters.failed += 1 }
            if plan.dropAfterApply { counters.droppedAfterApply += 1 }
            if plan.delayMilliseconds > 0 { counters.delayed += 1 }
            return plan
        }
    }
}

/// SplitMix64: a small, fast, seedable generator, for fault schedules, demo data and randomized tests that must
/// not depend on the system RNG (the same seed replays the same sequence on every run).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Uniform in [0, bound).
    public mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
