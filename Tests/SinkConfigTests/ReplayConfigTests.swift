import Foundation
import KafkaBridge
import SinkApp
import SinkConfig
import Testing

/// The `replay:` section: defaults, librdkafka's checks of `replay.properties`, replay's own rules.
@Suite struct ReplayConfigTests {
    func replayProblems(_ section: String) -> [String] {
        do {
            _ = try ConfigurationFile.parse(yaml: minimalYAML + "\n" + section, environment: testEnvironment)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func defaults() throws {
        let configuration = try parse(minimalYAML).configuration
        #expect(configuration.replay.maxBufferedBytes == 256 << 20)
        #expect(configuration.replay.jobs == 4)
        #expect(configuration.replay.properties.isEmpty)
        #expect(!configuration.server.isSet)
        let listening = try parse(minimalYAML + "\nserver:\n  listen: \"127.0.0.1:9500\"").configuration
        #expect(listening.server.isSet)
    }

    @Test func aValidSection() throws {
        let loaded = try ConfigurationFile.parse(yaml: minimalYAML + """

            replay:
              max_buffered_bytes: 64MiB
              jobs: 8
              properties:
                compression.codec: lz4
                linger.ms: "20"
                partitioner: murmur2_random
                sasl.password: "${SECRET_FOR_TEST}"
            """, environment: testEnvironment)
        let replay = loaded.configuration.replay
        #expect(replay.maxBufferedBytes == 64 << 20)
        #expect(replay.jobs == 8)
        #expect(replay.properties["partitioner"] == "murmur2_random")
        let rendered = loaded.configuration.renderedYAML()
        #expect(rendered.contains("replay:\n  max_buffered_bytes: 64MiB\n  jobs: 8\n  properties:\n"))
        #expect(rendered.contains("\"sasl.password\": \"***\""))
        #expect(!rendered.contains(testEnvironment["SECRET_FOR_TEST"]!))
        #expect(!"\(loaded.configuration)".contains(testEnvironment["SECRET_FOR_TEST"]!))
    }

    @Test func propertiesThatCannotWorkAreNamed() {
        #expect(replayProblems("replay:\n  properties:\n    enable.idempotence: \"false\"") == [
            "replay.properties.enable.idempotence: is managed by replay and cannot be set here (set nothing: replay's producer is always idempotent)",
        ])
        #expect(replayProblems("replay:\n  properties:\n    bootstrap.servers: \"b:9092\"") == [
            "replay.properties.bootstrap.servers: is managed by replay and cannot be set here (set --to-bootstrap-servers (default kafka.bootstrap_servers))",
        ])
        #expect(replayProblems("replay:\n  properties:\n    acks: \"1\"") == [
            "replay.properties.acks: must be all: the idempotent producer waits for every in-sync replica",
        ])
        #expect(replayProblems("replay:\n  properties:\n    acks: all").isEmpty)
        #expect(replayProblems("replay:\n  properties:\n    partitioner: random").first?.contains("must send each record to the same partition on every run") == true)
        #expect(replayProblems("replay:\n  properties:\n    fetch.wait.max.ms: \"100\"") == [
            "replay.properties.fetch.wait.max.ms: is a consumer property; replay only produces (consumer settings belong under kafka.properties)",
        ])
        let misspelt = replayProblems("replay:\n  properties:\n    compresion.codec: lz4")
        #expect(misspelt.count == 1)
        #expect(misspelt.first?.contains("librdkafka rejects it: No such configuration property") == true)
        #expect(misspelt.first?.contains("did you mean 'compression.codec'?") == true)
        #expect(replayProblems("replay:\n  jobs: 0\n  max_buffered_bytes: 1MiB").count == 2)
        #expect(replayProblems("replay:\n  jbos: 2") == ["replay.jbos: unknown key (did you mean 'jobs'?)"])
    }

    @Test func theProducerInheritsClientSettingsOfTheSourceCluster() throws {
        let configuration = try ConfigurationFile.parse(yaml: minimalYAML.replacingOccurrences(
            of: "  topics: [\"events\"]",
            with: "  topics: [\"events\"]\n  properties:\n    security.protocol: SASL_SSL\n    fetch.wait.max.ms: \"50\"\n    client.id: archiver")
            + "\nreplay:\n  properties:\n    client.id: replayer\n", environment: testEnvironment).configuration
        let same = ReplayProperties.producerProperties(configuration, targetIsSource: true)
        #expect(same == ["security.protocol": "SASL_SSL", "client.id": "replayer"])
        let other = ReplayProperties.producerProperties(configuration, targetIsSource: false)
        #expect(other == ["client.id": "replayer"])
    }
}
