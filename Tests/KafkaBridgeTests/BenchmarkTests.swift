import Foundation
import KafkaBridge
import Testing

/// Consume-only throughput: the bridge next to the plain-C librdkafka floor, same cluster, same run.
/// Not a timed test: it prints the numbers and asserts counts. Enabled with KAFKA_BRIDGE_BENCH=1
/// (records: KAFKA_BRIDGE_BENCH_RECORDS, default 300000), run it alone so other tests do not share the CPU:
/// `KAFKA_BRIDGE_BENCH=1 swift test --filter BenchmarkTests`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["KAFKA_BRIDGE_BENCH"] == "1"), .timeLimit(.minutes(5)))
struct BenchmarkTests {
    @Test func bridgeConsumeThroughputNextToTheLibrdkafkaFloor() async throws {
        let records = ProcessInfo.processInfo.environment["KAFKA_BRIDGE_BENCH_RECORDS"].flatMap(Int.init) ?? 300_000
        let partitions = 8
        let fixture = try ClusterFixture(partitions: partitions, topicPrefix: "bench")
        let topic = fixture.topic
        // 1 KiB values: JSON-ish text with varying fields, compressed with lz4.
        let filler = Array(String(repeating: "the quick brown fox jumps over the lazy dog ", count: 24).utf8)
        let produceStart = ContinuousClock.now
        try await fixture.producer.produce(count: records) { index in
            var value = Array("{\"seq\":\(index),\"user\":\"u\(index % 977)\",\"text\":\"".utf8)
            value.append(contentsOf: filler.prefix(1024 - value.count - 2))
            value.append(contentsOf: Array("\"}".utf8))
            return KafkaProducerRecord(topic: topic, partition: Int32(index % partitions), key: Array("k\(index)".utf8), value: value)
        }
        try await fixture.producer.flush(timeout: .seconds(120))
        #expect(fixture.producer.deliveredCount == records)
        print("produced \(records) records of 1 KiB (lz4) in \(ContinuousClock.now - produceStart)")

        var bestFloor: LibrdkafkaFloorBenchmark.Result?
        var bestBridge: LibrdkafkaFloorBenchmark.Result?
        for round in 1...3 {
            let floor = try await LibrdkafkaFloorBenchmark.consume(
                bootstrapServers: fixture.cluster.bootstrapServers, group: uniqueName("bench-floor"), topic: topic, expected: records)
            let bridge = try await KafkaBridgeBenchmark.consume(
                bootstrapServers: fixture.cluster.bootstrapServers, group: uniqueName("bench-bridge"), topic: topic,
                expected: records, logger: testLogger())
            #expect(floor.records == records)
            #expect(bridge.records == records)
            #expect(bridge.bytes == floor.bytes)
            print(String(
                format: "round %d: floor %.0f records/s %.1f MB/s | bridge %.0f records/s %.1f MB/s | bridge/floor %.2f",
                round, floor.recordsPerSecond, floor.megabytesPerSecond, bridge.recordsPerSecond, bridge.megabytesPerSecond,
                bridge.recordsPerSecond / floor.recordsPerSecond))
            if floor.recordsPerSecond > bestFloor?.recordsPerSecond ?? 0 { bestFloor = floor }
            if bridge.recordsPerSecond > bestBridge?.recordsPerSecond ?? 0 { bestBridge = bridge }
        }
        let floor = try #require(bestFloor), bridge = try #require(bestBridge)
        print(String(
            format: "best of 3: floor %.0f records/s %.1f MB/s | bridge %.0f records/s %.1f MB/s | bridge/floor %.2f (target >= 0.80)",
            floor.recordsPerSecond, floor.megabytesPerSecond, bridge.recordsPerSecond, bridge.megabytesPerSecond,
            bridge.recordsPerSecond / floor.recordsPerSecond))
    }
}
