import ArchiveReading
import ArgumentParser
import Foundation
import KafkaBridge
import Observability
import OSSClient
import SinkApp
import SinkConfig
import SinkCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check archived segments for gaps, overlaps, CRC-64 and committed offsets.",
        discussion: """
            For each partition of the configured topics (or --topic), lists the archived segments in offset \
            order and checks: consecutive segments continue offsets with no gap and no overlap; each object is \
            appendable and its CRC-64 over a full read matches the CRC OSS reports (and, for jsonl, every record \
            follows the previous offset); the group's committed offset is the last segment's last offset + 1 and \
            its metadata names the last segment's key, length and CRC-64. The last offset of a segment comes from \
            its last record (a tail range read), so --no-crc reads only the tails.

            Partitions come from the cluster's topic metadata and from the archived keys. Commits are read with a \
            short-lived handle that does not join the group, so running sinks are not rebalanced; still, run verify \
            while the sink is stopped or idle, since a running sink appends beyond its last commit.

            Raw objects carry no offsets: only key order, CRC-64 and the commit metadata are checked.

            Exit status: 0 no problem; 1 problems found (each printed as a PROBLEM line naming the partition, key \
            and offsets) or the archive could not be read; 2 configuration error.
            """
    )

    @Option(name: .long, help: "Path to the YAML configuration file.")
    var config: String

    @Option(name: .long, help: "Only this topic (default: every topic of kafka.topics; patterns match cluster topics and archived keys).")
    var topic: String?

    @Option(name: .long, help: "Only this partition number.")
    var partition: Int32?

    @Flag(name: .long, help: "Skip the full reads: no CRC-64 check and no check of offsets inside objects.")
    var noCrc = false

    @Flag(name: .long, help: "Do not contact Kafka: skip the commit checks; partitions come from the archived keys.")
    var noCommits = false

    @Option(name: .long, help: "Partitions verified at the same time.")
    var jobs = 4

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: config)
        let configuration = loaded.configuration
        let client: OSSClient
        do {
            var clientConfiguration = try OSSClientConfiguration(configuration.oss)
            clientConfiguration.userAgent = "kafka-oss-sink-verify/1.0"
            client = try OSSClient(configuration: clientConfiguration)
        } catch {
            fail("\(config): \(error)", secrets: loaded.secrets, status: 2)
        }
        let options = VerifyOptions(
            topics: topic.map { [$0] } ?? configuration.kafka.topics.map(\.selector.description),
            partition: partition, checkCRC: !noCrc, concurrency: jobs)
        let verifier: ArchiveVerifier
        do {
            verifier = ArchiveVerifier(
                settings: try SinkSettings(configuration), archive: OSSArchiveReader(client: client),
                commits: noCommits ? nil : KafkaCommitReader(configuration: KafkaConsumerConfiguration(configuration)),
                options: options)
        } catch {
            try? await client.shutdown()
            fail("\(config): sink: \(error)", secrets: loaded.secrets, status: 2)
        }
        let report: VerifyReport
        do {
            report = try await verifier.run()
        } catch {
            try? await client.shutdown()
            let status: Int32 = (error as? OSSError)?.isConfigurationError == true ? 2 : 1
            fail("could not list the archive: \(error)", secrets: loaded.secrets, status: status)
        }
        try? await client.shutdown()
        print(Self.scrub(report.text(), secrets: loaded.secrets), terminator: "")
        if !report.problems.isEmpty {
            throw ExitCode(1)
        }
    }

    static func scrub(_ text: String, secrets: Set<String>) -> String {
        LogRedactor(secrets: secrets).redact(text)
    }

    /// Prints `error: <one line>` on stderr (secrets masked) and exits with `status`.
    func fail(_ message: String, secrets: Set<String>, status: Int32) -> Never {
        let line = Self.scrub(message.replacingOccurrences(of: "\n", with: " "), secrets: secrets)
        StandardError.write("error: \(line)\n")
        Foundation.exit(status)
    }
}
