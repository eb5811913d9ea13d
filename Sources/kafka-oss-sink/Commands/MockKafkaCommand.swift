import ArgumentParser
import Dispatch
import KafkaBridge
import Logging
import SinkApp

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct MockKafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock-kafka",
        abstract: "Run a standalone librdkafka mock Kafka cluster.",
        discussion: """
            Starts librdkafka's mock cluster on 127.0.0.1 (ephemeral ports), creates the topics, prints \
            `bootstrap: HOST:PORT,...` on stdout and serves until SIGINT or SIGTERM. Any Kafka client \
            (kcat, confluent-kafka, the sink) can use it. It keeps only a few MB per partition: produce \
            compressed (lz4, zstd) when writing a lot.
            """
    )

    @Option(name: .long, help: "Number of brokers (1 or more).")
    var brokers: Int = 1

    @Option(name: .long, help: "A topic to create, as NAME:PARTITIONS (repeatable).")
    var topic: [String] = []

    @Option(name: .long, help: "Log level for librdkafka messages on stderr (trace, debug, info, warning, error).")
    var logLevel: String = "warning"

    @Option(name: .long, help: "Fault control: 'stdin' reads commands such as `broker-down 1` from standard input (see MockKafkaControl).")
    var control: String?

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1, got \(brokers)") }
        for spec in topic { _ = try Self.parseTopic(spec) }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical; got \(logLevel)")
        }
        if let control, control != "stdin" { throw ValidationError("--control only supports 'stdin', got \(control)") }
    }

    static func parseTopic(_ spec: String) throws -> (name: String, partitions: Int) {
        guard let colon = spec.lastIndex(of: ":"),
              case let name = String(spec[..<colon]), !name.isEmpty,
              let partitions = Int(spec[spec.index(after: colon)...]), partitions >= 1
        else {
            throw ValidationError("--topic expects NAME:PARTITIONS with at least one partition, for example events:4; got \(spec)")
        }
        return (name, partitions)
    }

    func run() async throws {
        var logger = Logger(label: "mock-kafka")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let cluster = try MockKafkaCluster(brokers: brokers, logger: logger)
        for spec in topic {
            let (name, partitions) = try Self.parseTopic(spec)
            try cluster.createTopic(name, partitions: partitions)
            StandardError.write("created topic \(name) with \(partitions) partition(s)\n")
        }
        MockKafkaControl.writeStdout("bootstrap: \(cluster.bootstrapServers)\n")
        StandardError.write(Self.groupTimingHint)
        if control == "stdin" { MockKafkaControl(cluster: cluster).startReadingStandardInput() }
        let signal = await Self.waitForTermination()
        StandardError.write("received \(signal), shutting down the mock cluster\n")
        cluster.shutdown()
    }

    /// Printed on stderr once the cluster runs: without a short session timeout, a consumer group member that
    /// joins after another left waits session.timeout.ms - 1 s (44 s with librdkafka's default) on this mock.
    static let groupTimingHint = """
        hint: for a consumer group on this mock cluster (the sink's kafka.properties), set
          session.timeout.ms: "4000"
          heartbeat.interval.ms: "500"
        (after the last member leaves, the mock holds the next JoinGroup for session.timeout.ms - 1 s, 44 s with
        the default 45000, so a restarted sink waits that long for its partitions; real brokers need >= 6000)

        """

    /// Suspends until SIGINT or SIGTERM and returns its name.
    private static func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "mock-kafka-signals")
            let resumed = ResumeOnce(continuation)
            var sources: [any DispatchSourceSignal] = []
            for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { resumed.resume(name) }
                source.resume()
                sources.append(source)
            }
            resumed.keepAlive(sources)
        }
    }
}

/// Resumes a continuation at most once and keeps the signal sources alive until then.
private final class ResumeOnce: @unchecked Sendable {
    private var continuation: CheckedContinuation<String, Never>?
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "mock-kafka-resume")

    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }

    func keepAlive(_ sources: [any DispatchSourceSignal]) { queue.sync { self.sources = sources } }

    func resume(_ name: String) {
        queue.sync {
            continuation?.resume(returning: name)
            continuation = nil
        }
    }
}
