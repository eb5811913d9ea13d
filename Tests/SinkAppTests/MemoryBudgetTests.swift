import KafkaBridge
import SinkApp
import SinkConfig
import SinkCore
import Testing

/// `sink.max_buffered_bytes` is shared by librdkafka's prefetch, the hand-over and the sink's buffers, and the
/// consumer's fetch wait follows `linger`, unless `kafka.properties` says otherwise.
@Suite struct MemoryBudgetTests {
    static func configuration(sink: String, properties: String = "") throws -> SinkConfiguration {
        let yaml = """
            kafka:
              bootstrap_servers: "127.0.0.1:9092"
              group_id: "archiver"
              topics: ["events"]
            \(properties)
            oss:
              endpoint: "http://127.0.0.1:9000"
              region: "cn-hangzhou"
              bucket: "archive"
              credentials:
                provider: static
                access_key_id: "id"
                access_key_secret: "secret"
            sink:
            \(sink)
            """
        return try SinkConfiguration.parse(yaml: yaml, environment: [:]).configuration
    }

    @Test func theSharesAddUpToTheBudget() {
        for total: Int64 in [1 << 20, 64 << 20, 256 << 20, 1 << 30, 12_345_679] {
            let budget = MemoryBudget(maxBufferedBytes: total)
            // Two prefetch shares (the queue and one fetch response), the hand-over and the sink's pause-all
            // watermark leave a sixteenth for what was polled when the pause came.
            #expect(2 * budget.prefetchBytes + budget.handoverBytes + budget.sinkPauseAllBytes <= Int(total) * 15 / 16)
            #expect(budget.sinkBytes <= budget.sinkPauseAllBytes)
            #expect(budget.sinkBytes >= Int(total) / 2 - 1)
        }
    }

    @Test func librdkafkaPrefetchTheHandOverAndTheSinkGetTheirShares() throws {
        let config = try Self.configuration(sink: "  max_buffered_bytes: 64MiB\n  batch:\n    linger: 200ms")
        let consumer = KafkaConsumerConfiguration(config)
        #expect(consumer.properties["queued.max.messages.kbytes"] == "8192")
        #expect(consumer.properties["fetch.max.bytes"] == String(8 << 20))
        // Records reach the sink in batches of at most 1 MiB, so its watermarks are checked at least that often.
        #expect(consumer.maxBatchBytes == 1 << 20)
        #expect(consumer.properties["fetch.wait.max.ms"] == "25")
        let settings = try SinkSettings(config)
        #expect(settings.maxBufferedBytes == 32 << 20)
        #expect(settings.pauseAllAboveBytes == 40 << 20)
        #expect(settings.resumeBelowBytes == 16 << 20)
        #expect(settings.flushEarlyAboveBytes == 16 << 20)
    }

    @Test func explicitPropertiesWinAndTheFetchWaitIsClamped() throws {
        let set = KafkaConsumerConfiguration(try Self.configuration(sink: "", properties: "  properties:\n    fetch.wait.max.ms: \"300\""))
        #expect(set.properties["fetch.wait.max.ms"] == "300")
        let config = try Self.configuration(
            sink: "  batch:\n    linger: 10s",
            properties: "  properties:\n    queued.max.messages.kbytes: \"4096\"\n    fetch.max.bytes: \"2097152\"")
        let consumer = KafkaConsumerConfiguration(config)
        #expect(consumer.properties["queued.max.messages.kbytes"] == "4096")
        #expect(consumer.properties["fetch.max.bytes"] == "2097152")
        #expect(consumer.properties["fetch.wait.max.ms"] == "25")
        let quick = KafkaConsumerConfiguration(try Self.configuration(sink: "  batch:\n    linger: 0ms"))
        #expect(quick.properties["fetch.wait.max.ms"] == "10")
    }
}
