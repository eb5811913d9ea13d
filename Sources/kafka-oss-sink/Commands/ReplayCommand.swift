import ArgumentParser
import Foundation
import Replay
import SinkApp
import SinkConfig

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Produce a topic's archived records back into Kafka, exactly once, resumable.",
        discussion: """
            Reads the same configuration file the sink wrote the archive with (oss, and the topic's key_template, \
            prefix, format and compression: its kafka.topics entry, else sink:), lists the topic's segments, and produces their records in offset order: \
            source partition p to target partition p, with the archived key, value, headers (order and duplicates \
            kept), timestamp (as CreateTime) and tombstones. Every produced record gets the header \
            kafka-oss-sink.source = <topic>/<partition>/<offset>.

            Exactly once without a state store: the producer is idempotent, and on start replay reads the end of \
            each target partition and resumes after the last record it produced there. After kill -9, SIGTERM or a \
            failure, run the same command again. Run one replay per target topic at a time.

            Integrity: each segment is checked against its CRC-64 (x-oss-hash-crc64ecma) and, when the sink's \
            committed offset names it, against the commit, before any record in it is produced. A mismatch stops \
            that partition with an error naming the key and the first bad byte range; the others go on.

            Ranges are half-open: --from-offset and --from-time are included, --to-offset and --to-time are not. \
            Times are RFC 3339 (2026-12-01T10:00:00Z) and compared with the archived record timestamps.

            The target topic must exist, with at least as many partitions as the archive (or use --repartition). \
            raw archives hold only values and are refused unless --value-only. Producer settings: replay.properties \
            in the configuration (with the source cluster as target, kafka.properties' client settings such as SASL \
            apply too). Memory: replay.max_buffered_bytes, whatever the segment sizes.

            Progress per partition on a terminal, a summary at the end, Prometheus metrics on server.listen when the \
            configuration sets it. SIGTERM/SIGINT stop at the next record, wait up to shutdown_timeout for \
            outstanding records and exit 0.

            Exit status: 0 done (or stopped by a signal); 1 a partition failed, or replay could not start (the \
            archive, a cluster); 2 invalid configuration or options; 64 wrong arguments.
            """
    )

    @Option(name: .long, help: "Path to the YAML configuration file the sink wrote the archive with.")
    var config: String

    @Option(name: .long, help: "The archived topic to replay.")
    var topic: String

    @Option(name: .long, help: "The topic to produce to (default: --topic). It must exist.")
    var toTopic: String?

    @Option(name: .long, help: "The cluster to produce to (default: kafka.bootstrap_servers).")
    var toBootstrapServers: String?

    @Option(name: .long, help: "Only these source partitions, for example 0,3,7 or 0-5.")
    var partitions: String?

    @Option(name: .long, help: "First source offset to replay (included).")
    var fromOffset: Int64?

    @Option(name: .long, help: "Source offset to stop before (not included).")
    var toOffset: Int64?

    @Option(name: .long, help: "Replay records with a timestamp at or after this RFC 3339 time.")
    var fromTime: String?

    @Option(name: .long, help: "Replay records with a timestamp before this RFC 3339 time.")
    var toTime: String?

    @Option(name: .long, help: "At most this many produced bytes (keys, values, headers) per second, for example 50MiB.")
    var maxRate: String?

    @Flag(name: .long, help: "Spread records over the target's partitions by key hash when it has fewer partitions than the archive.")
    var repartition = false

    @Flag(name: .long, help: "Replay a raw archive's values alone (null keys, no headers, the time of replay as timestamp).")
    var valueOnly = false

    @Flag(name: .long, help: "Print the plan (segments, records, bytes per partition) and produce nothing.")
    var dryRun = false

    @Option(name: .long, help: "Partitions replayed at the same time (default: replay.jobs).")
    var jobs: Int?

    @Flag(name: .long, help: "Do not read the sink's committed offsets (when the source cluster is gone); segments are then checked against their CRC-64 only.")
    var noCommits = false

    func validate() throws {
        _ = try selection()
        _ = try rate()
        if let jobs, !(1...1024).contains(jobs) { throw ValidationError("--jobs must be 1 to 1024, got \(jobs)") }
        if !TopicName.isValid(topic) {
            throw ValidationError("--topic '\(topic)' is not a topic name (1 to \(TopicName.maxLength) letters, digits, '.', '_', '-')")
        }
        if let toTopic, !TopicName.isValid(toTopic) {
            throw ValidationError("--to-topic '\(toTopic)' is not a topic name (1 to \(TopicName.maxLength) letters, digits, '.', '_', '-')")
        }
        if let servers = toBootstrapServers, servers.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--to-bootstrap-servers is empty (for example: broker1:9092,broker2:9092)")
        }
    }

    func selection() throws -> ReplaySelection {
        var selection = ReplaySelection(fromOffset: fromOffset, toOffset: toOffset)
        if let partitions { selection.partitions = try Self.partitionList(partitions) }
        if let fromTime {
            guard let ms = ReplayTime.parse(fromTime) else {
                throw ValidationError("--from-time '\(fromTime)' is not an RFC 3339 time (for example 2026-12-01T10:00:00Z or 2026-12-01T18:00:00+08:00)")
            }
            selection.fromTimeMs = ms
        }
        if let toTime {
            guard let ms = ReplayTime.parse(toTime) else {
                throw ValidationError("--to-time '\(toTime)' is not an RFC 3339 time (for example 2026-12-02T00:00:00Z)")
            }
            selection.toTimeMs = ms
        }
        if let problem = selection.problem { throw ValidationError(problem) }
        return selection
    }

    /// `0,3,7`, `0-5`, or both.
    static func partitionList(_ text: String) throws -> Set<Int32> {
        var result = Set<Int32>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: .whitespaces)
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let partition = Int32(item), partition >= 0 {
                result.insert(partition)
            } else if bounds.count == 2, let low = Int32(bounds[0]), let high = Int32(bounds[1]), low >= 0, low <= high, high - low < 100_000 {
                result.formUnion(low...high)
            } else {
                throw ValidationError("--partitions '\(text)': '\(item)' is not a partition number or range (for example 0,3,7 or 0-5)")
            }
        }
        return result
    }

    func rate() throws -> Int64? {
        guard let maxRate else { return nil }
        var text = maxRate.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix("/s") { text.removeLast(2) }
        guard let bytes = ByteSize.parse(text), bytes > 0 else {
            throw ValidationError("--max-rate '\(maxRate)' is not a size per second (for example 50MiB or 1048576)")
        }
        return bytes
    }

    func run() async throws {
        let loaded = try loadConfigurationOrExit(path: config)
        let options = ReplayOptions(
            topic: topic, toTopic: toTopic, toBootstrapServers: toBootstrapServers, selection: try selection(),
            repartition: repartition, valueOnly: valueOnly, maxBytesPerSecond: try rate(), dryRun: dryRun, jobs: jobs,
            readCommits: !noCommits)
        let status = await ReplayApplication(loaded: loaded, options: options).run()
        if status != 0 { throw ExitCode(status) }
    }
}
