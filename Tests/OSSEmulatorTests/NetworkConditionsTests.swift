import Foundation
@testable import OSSEmulator
import Testing

/// The emulator imitates a real endpoint's latency and bandwidth: every request waits the latency, a request body
/// is held until it could have arrived at the capped rate. Only lower bounds are checked (a slow machine can only
/// add time).
@Suite("Emulator network conditions")
struct NetworkConditionsTests {
    @Test("latency is added to every request and a body arrives no faster than the bandwidth cap")
    func latencyAndBandwidth() async throws {
        try await withEmulator { server, client in
            server.faults.setNetworkConditions(OSSNetworkConditions(latencyMilliseconds: 50, bytesPerSecond: 1_000_000))
            var started = ContinuousClock.now
            let head = try await client.send("HEAD", bucket: "test-bucket", key: "missing")
            #expect(head.status == 404)
            #expect(ContinuousClock.now - started >= .milliseconds(50))
            // 300 KB at 1 MB/s: 300 ms on the wire, plus the latency.
            started = ContinuousClock.now
            let append = try await client.append("test-bucket", "k", position: 0, Array(repeating: 7, count: 300_000))
            #expect(append.status == 200)
            #expect(ContinuousClock.now - started >= .milliseconds(350))
            // Conditions are not faults: a reset keeps them; setting empty conditions turns them off.
            server.faults.reset()
            #expect(server.faults.networkConditions.latencyMilliseconds == 50)
            server.faults.setNetworkConditions(OSSNetworkConditions())
            #expect(server.faults.networkConditions == OSSNetworkConditions())
        }
    }

    @Test("transfer time follows size and rate; unlimited takes none")
    func transferTime() {
        #expect(OSSNetworkConditions(bytesPerSecond: 100_000_000).transferTime(bytes: 4_000_000) == .milliseconds(40))
        #expect(OSSNetworkConditions().transferTime(bytes: 4_000_000) == .zero)
        #expect(OSSNetworkConditions(bytesPerSecond: 100).transferTime(bytes: 0) == .zero)
    }
}
