import Testing

@testable import OSSClient

@Suite("Retry policy: full-jitter exponential backoff")
struct RetryPolicyTests {
    @Test("Ceiling doubles from 200 ms and is capped at 20 s")
    func ceilings() {
        let policy = OSSRetryPolicy()
        #expect(policy.backoffCeiling(afterAttempt: 1) == .milliseconds(200))
        #expect(policy.backoffCeiling(afterAttempt: 2) == .milliseconds(400))
        #expect(policy.backoffCeiling(afterAttempt: 3) == .milliseconds(800))
        #expect(policy.backoffCeiling(afterAttempt: 7) == .milliseconds(12800))
        #expect(policy.backoffCeiling(afterAttempt: 8) == .seconds(20))
        #expect(policy.backoffCeiling(afterAttempt: 1000) == .seconds(20))
    }

    @Test("Delay is random(0...1) times the ceiling, clamped to the bounds")
    func jitter() {
        for attempt in 1...12 {
            let ceiling = OSSRetryPolicy().backoffCeiling(afterAttempt: attempt)
            #expect(OSSRetryPolicy(random: { 0 }).delay(afterAttempt: attempt) == .zero)
            #expect(OSSRetryPolicy(random: { 1 }).delay(afterAttempt: attempt) == ceiling)
            #expect(OSSRetryPolicy(random: { 7 }).delay(afterAttempt: attempt) == ceiling)
            #expect(OSSRetryPolicy(random: { -1 }).delay(afterAttempt: attempt) == .zero)
        }
        #expect(OSSRetryPolicy(random: { 0.25 }).delay(afterAttempt: 3) == .milliseconds(200))
    }

    @Test("Real random delays stay within [0, ceiling]")
    func randomBounds() {
        let policy = OSSRetryPolicy()
        for attempt in 1...10 {
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt)
                #expect(delay >= .zero && delay <= policy.backoffCeiling(afterAttempt: attempt))
            }
        }
    }

    @Test("maxAttempts is at least 1")
    func minimumAttempts() {
        #expect(OSSRetryPolicy(maxAttempts: 0).maxAttempts == 1)
        #expect(OSSRetryPolicy.none.maxAttempts == 1)
    }
}
