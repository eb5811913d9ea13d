import ArgumentParser
import Foundation
import KafkaBridge
import LocalStack
import Logging
import Observability
import OSSEmulator
import OSSSigning
import SinkApp
import SinkConfig
import SinkService
import Synchronization
import UnixSignals

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole local stack: mock Kafka, OSS emulator, sample events and the sink.",
        discussion: """
            Starts librdkafka's mock cluster (1 broker) with the topic of config/demo.yaml (demo-events), the OSS \
            emulator on a free loopback port with its objects under --data-dir, produces sample events, runs the \
            sink until every record is archived, stops it gracefully and prints per partition the objects \
            (key, size, CRC-64, records) and the committed offsets with their metadata, then the commands to \
            look at the data. config/demo.yaml is read from the current directory (a built-in copy otherwise). \
            Objects of an earlier demo run in the same --data-dir are removed first. Exits 0 when every record \
            was archived and committed, 1 otherwise.
            """
    )

    @Option(help: "Directory for the emulator's objects (<data-dir>/oss) and the written demo-oss.yaml.")
    var dataDir: String = "./demo-data"

    @Option(help: "Number of sample events to produce.")
    var records: Int = 3000

    @Option(help: "Partitions of the demo topic.")
    var partitions: Int = 3

    @Option(help: "Seconds to wait for every record to be archived before giving up.")
    var timeout: Int = 60

    @Flag(help: "Keep the stack up after the report, producing a trickle of events, until Ctrl-C.")
    var keepRunning = false

    @Flag(help: "Show the sink's info-level logs (warnings and errors are always shown).")
    var verbose = false

    func validate() throws {
        guard (1...10_000_000).contains(records) else { throw ValidationError("--records must be between 1 and 10000000, got \(records)") }
        guard (1...256).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 256, got \(partitions)") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second, got \(timeout)") }
        guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
    }

    func run() async throws {
        let interrupts = DemoInterrupts()
        let signals = Task { await interrupts.watch() }
        defer { signals.cancel() }
        var demo = DemoRun(options: self, interrupts: interrupts)
        do {
            try await demo.run()
            await demo.stop()
        } catch {
            await demo.stop()
            let message = (error as? DemoFailure)?.description ?? "\(error)"
            StandardError.write("error: \(demo.redact(message))\n")
            throw ExitCode(interrupts.interrupted ? 130 : 1)
        }
    }
}

/// One demo run: the stack, the sink phases and the report.
struct DemoRun {
    let options: DemoCommand
    let interrupts: DemoInterrupts
    private var stack: SinkStack?
    private var secrets: Set<String> = []
    private var logger = Logger(label: "demo")

    /// The fixed credentials of the demo (config/demo.yaml's defaults): safe to print in the emulator hint.
    static let demoAccessKeyID = "demo-access-key"
    static let demoAccessKeySecret = "demo-secret-access-key"
    static let producedPerTrickle = 5
    /// Group timing for the in-process mock cluster (the sink's and the offset reader's consumers).
    static let fastGroupProperties = ["session.timeout.ms": "4000", "heartbeat.interval.ms": "500"]

    init(options: DemoCommand, interrupts: DemoInterrupts) {
        self.options = options
        self.interrupts = interrupts
    }

    func redact(_ text: String) -> String {
        LogRedactor(secrets: secrets).redact(text)
    }

    mutating func stop() async {
        await stack?.shutdown()
        stack = nil
    }

    mutating func run() async throws {
        let source = try DemoConfigurationSource.locate()
        // A first parse learns the names and credentials the stack must serve.
        let names = try source.parse(bootstrapServers: "127.0.0.1:9092", endpoint: "http://127.0.0.1:9000")
        secrets = names.secrets
        let redactor = LogRedactor(secrets: names.secrets)
        SinkLogging.bootstrap(level: options.verbose ? .info : .warning, format: .text, redactor: redactor)
        logger = Logger(label: "kafka-oss-sink-demo")

        guard names.configuration.kafka.topics.count == 1, case .name(let topic) = names.configuration.kafka.topics[0].selector else {
            throw DemoFailure("\(source.origin) must name exactly one topic (no ^pattern) in kafka.topics for the demo to create it")
        }
        let credentialsConfig = names.configuration.oss.credentials
        guard credentialsConfig.provider == .static, let keyID = credentialsConfig.accessKeyId,
              let keySecret = credentialsConfig.accessKeySecret
        else {
            throw DemoFailure("\(source.origin) must use oss.credentials.provider: static with access_key_id and access_key_secret (the emulator accepts exactly those)")
        }
        let bucket = names.configuration.oss.bucket
        let group = names.configuration.kafka.groupId

        // The stack.
        let dataDir = URL(fileURLWithPath: options.dataDir).standardizedFileURL.path
        let storeDir = dataDir + "/oss"
        do {
            try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true)
        } catch {
            throw DemoFailure("cannot create \(storeDir): \(error.localizedDescription); choose another --data-dir")
        }
        let stack: SinkStack
        do {
            stack = try await SinkStack(
                bucket: bucket, credentials: OSSCredentials(accessKeyId: keyID, accessKeySecret: keySecret),
                storage: .directory(storeDir), faultAdminEnabled: false, logger: logger)
        } catch {
            throw DemoFailure("cannot start the local stack with the emulator's store in \(storeDir): \(error); remove that directory and retry")
        }
        self.stack = stack
        let cluster = stack.cluster
        let emulator = stack.emulator
        try cluster.createTopic(topic, partitions: options.partitions)
        let leftovers = emulator.store.list(bucket: bucket)
        for record in leftovers { _ = try await emulator.store.delete(bucket: bucket, key: record.key) }
        let endpoint = stack.endpoint
        let port = emulator.port ?? 0

        let loaded = try source.parse(bootstrapServers: cluster.bootstrapServers, endpoint: endpoint)
        var configuration = loaded.configuration
        // The mock coordinator rebalances within the members' session timeout: keep it short (unless the config
        // sets it) so a second sink run joins within seconds.
        for (name, value) in Self.fastGroupProperties where configuration.kafka.properties[name] == nil {
            configuration.kafka.properties[name] = value
        }
        for warning in loaded.warnings {
            StandardError.write("warning: \(warning)\n")
        }
        let ossConfigPath = dataDir + "/demo-oss.yaml"
        do {
            try Data(source.pinned(bootstrapServers: cluster.bootstrapServers, endpoint: endpoint).utf8)
                .write(to: URL(fileURLWithPath: ossConfigPath))
        } catch {
            throw DemoFailure("cannot write \(ossConfigPath): \(error.localizedDescription)")
        }

        say("kafka-oss-sink demo (config: \(source.origin))")
        say("  kafka    mock cluster at \(cluster.bootstrapServers), topic \(topic) with \(options.partitions) partition(s)")
        say("  oss      emulator at \(endpoint), bucket \(bucket), objects in \(storeDir)"
            + (leftovers.isEmpty ? "" : " (removed \(leftovers.count) object(s) of an earlier run)"))

        // Sample events.
        let generator = DemoEventGenerator(topic: topic, seed: 0x0DE5_0A11)
        let produceStart = ContinuousClock.now
        let producer = try KafkaTestProducer(bootstrapServers: cluster.bootstrapServers, compression: .lz4, logger: logger)
        defer { producer.close() }
        let count = options.records
        let base = Int64(Date().timeIntervalSince1970 * 1000) - Int64(count) * 7
        try await producer.produce(count: count) { generator.record(index: $0, timestampMilliseconds: base + Int64($0) * 7) }
        try await producer.flush(timeout: .seconds(30))
        guard producer.deliveredCount == count else {
            throw DemoFailure("only \(producer.deliveredCount) of \(count) events reached the mock cluster")
        }
        say("  produce  \(count) events (JSON clickstream, some with headers, some binary) lz4-compressed in \(seconds(since: produceStart))")

        // The sink, until everything is archived.
        let reader = try DemoArchiveReader(store: emulator.store, bucket: bucket, topic: topic, configuration: configuration)
        let sinkStart = ContinuousClock.now
        let timeoutSeconds = options.timeout
        say("  sink     running as group \(group) ...")
        try await runSink(configuration) { [interrupts] in
            if interrupts.interrupted { return true }
            return try await reader.archivedCount() >= count
        } onTimeout: {
            let archived = (try? await reader.archivedCount()) ?? 0
            return "only \(archived) of \(count) records were archived within \(timeoutSeconds) s; run with --verbose to see the sink's logs"
        }
        if interrupts.interrupted { throw DemoFailure("interrupted; the sink was stopped gracefully") }
        say("  archive  \(count) records in \(seconds(since: sinkStart)); sink stopped gracefully")

        try await report(reader: reader, stack: stack, topic: topic, group: group, expected: count)
        say("")
        say("Look at the data (the emulator serves \(storeDir) again; `oss` reads \(ossConfigPath)):")
        let secretHint = keySecret == Self.demoAccessKeySecret ? keySecret : "\"$DEMO_ACCESS_KEY_SECRET\""
        // The binary as it was invoked (".build/debug/kafka-oss-sink" under make), so the lines run as printed.
        let cli = CommandLine.arguments.first.flatMap { $0.contains("/") ? shellQuoted($0) : nil } ?? "kafka-oss-sink"
        let ossConfig = shellQuoted(ossConfigPath)
        let sampleKey = (try? await reader.objects().first?.key) ?? "\(topic)/0/..."
        say("  \(cli) emulator --port \(port) --data-dir \(shellQuoted(storeDir)) --access-key-id \(keyID) --access-key-secret \(secretHint) --bucket \(bucket)")
        say("  \(cli) oss ls --config \(ossConfig) \(topic)/")
        say("  \(cli) oss head --config \(ossConfig) \(sampleKey)")
        say("  \(cli) oss cat --config \(ossConfig) \(sampleKey) | head -3")

        if options.keepRunning {
            try await keepRunning(configuration, generator: generator, producer: producer, reader: reader,
                                  stack: stack, topic: topic, group: group, produced: count)
        }
    }

    /// Runs the sink until `done` holds (checked every 200 ms), then stops it gracefully.
    /// - Throws: when the sink stops on its own with an error, or `done` never held within `--timeout`.
    private func runSink(
        _ configuration: SinkConfiguration,
        timeout: Duration? = nil,
        until done: @escaping @Sendable () async throws -> Bool,
        onTimeout: @escaping @Sendable () async -> String
    ) async throws {
        let serviceConfiguration = try SinkServiceConfiguration(configuration)
        let outcome: (finished: Bool, exitedEarly: Bool)
        do {
            outcome = try await withSink(serviceConfiguration, logger: logger) { running in
                var finished = false
                do {
                    try await eventually(timeout: timeout ?? .seconds(options.timeout), poll: .milliseconds(200)) {
                        finished = try await done()
                        return finished || running.hasExited
                    }
                } catch {
                    throw DemoCheckFailure(error: error)
                }
                return (finished, running.hasExited && !finished)
            }
        } catch let failure as DemoCheckFailure {
            throw failure.error
        } catch {
            throw DemoFailure("the sink stopped with an error: \(error)")
        }
        if !outcome.finished {
            if outcome.exitedEarly && !interrupts.interrupted { throw DemoFailure("the sink stopped before every record was archived") }
            if !interrupts.interrupted { throw DemoFailure(await onTimeout()) }
        }
    }

    /// Prints the per-partition tables and checks that objects and committed offsets agree with `expected`.
    private func report(reader: DemoArchiveReader, stack: SinkStack, topic: String, group: String, expected: Int) async throws {
        let objects = try await reader.objects()
        let committed: [Int32: KafkaCommittedOffset]
        do {
            committed = try await stack.committed(group: group, topic: topic, partitions: options.partitions)
        } catch {
            throw DemoFailure("cannot read the committed offsets of group \(group): \(error)")
        }
        var problems: [String] = []
        var rows: [[String]] = [["PARTITION", "RECORDS", "OFFSETS", "BYTES", "CRC-64", "OBJECT"]]
        var commitRows: [[String]] = [["PARTITION", "COMMITTED", "METADATA"]]
        for partition in 0..<Int32(options.partitions) {
            let own = objects.filter { $0.partition == partition }
            for object in own {
                rows.append(["\(partition)", "\(object.records)", "\(object.firstOffset)-\(object.lastOffset)",
                             "\(object.size)", "\(object.crc64)", object.key])
            }
            if own.isEmpty { rows.append(["\(partition)", "0", "-", "-", "-", "(no records in this partition)"]) }
            let archived = own.reduce(0) { $0 + $1.records }
            let entry = committed[partition]
            commitRows.append(["\(partition)", entry?.offset.map(String.init) ?? "none",
                               entry.map { $0.metadata.isEmpty ? "-" : $0.metadata } ?? "-"])
            let expectedOffset = own.last.map { $0.lastOffset + 1 }
            if entry?.offset != expectedOffset || Int64(archived) != (expectedOffset ?? 0) {
                problems.append("partition \(partition): committed offset \(entry?.offset.map(String.init) ?? "none"), \(archived) record(s) archived up to offset \(own.last.map { String($0.lastOffset) } ?? "none")")
            }
            if let last = own.last, let metadata = entry?.metadata,
               !metadata.contains("pos=\(last.size) crc=\(last.crc64)") {
                problems.append("partition \(partition): commit metadata does not name the last object's size and CRC-64")
            }
        }
        let total = objects.reduce(0) { $0 + $1.records }
        let bytes = objects.reduce(0) { $0 + $1.size }
        say("")
        for line in table(rows) { say(line) }
        say("")
        for line in table(commitRows) { say(line) }
        say("")
        if total != expected { problems.append("\(total) records archived but \(expected) produced") }
        guard problems.isEmpty else { throw DemoFailure("the archive does not match: " + problems.joined(separator: "; ")) }
        say("\(total) records archived in \(options.partitions) partitions (\(objects.count) object(s), \(bytes) bytes); committed offsets and metadata match the objects.")
    }

    /// `--keep-running`: a second sink run (it continues the same objects), a trickle of events, a status line
    /// every 10 s, and on Ctrl-C a final drain, graceful stop and report.
    private func keepRunning(
        _ configuration: SinkConfiguration, generator: DemoEventGenerator, producer: KafkaTestProducer,
        reader: DemoArchiveReader, stack: SinkStack, topic: String, group: String, produced: Int
    ) async throws {
        say("")
        say("The stack keeps running (Ctrl-C to stop):")
        say("  bootstrap servers  \(stack.cluster.bootstrapServers)   (topic \(topic))")
        say("  oss endpoint       \(stack.endpoint)   (bucket \(stack.bucket), path-style)")
        say("  producing \(Self.producedPerTrickle) events/s; a status line every 10 s")
        let total = DemoCounter(produced)
        let trickle = Task { [logger] in
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { break }
                let start = total.value
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                do {
                    try await producer.produce(count: Self.producedPerTrickle) {
                        generator.record(index: start + $0, timestampMilliseconds: now + Int64($0))
                    }
                    try await producer.flush(timeout: .seconds(5))
                    total.add(Self.producedPerTrickle)
                } catch {
                    logger.warning("producing demo events failed", metadata: ["error": "\(error)"])
                }
                ticks += 1
                if ticks % 10 == 0, !Task.isCancelled, let objects = try? await reader.objects() {
                    let archived = objects.reduce(0) { $0 + $1.records }
                    let bytes = objects.reduce(0) { $0 + $1.size }
                    say("  \(total.value) produced, \(archived) archived in \(objects.count) object(s), \(bytes) bytes")
                }
            }
        }
        // One more sink run: it recovers from the committed metadata and keeps appending to the same objects.
        // After Ctrl-C the trickle stops and the sink runs until the last events are archived (at most 30 s).
        let drain = DemoDrain()
        do {
            try await runSink(configuration, timeout: .seconds(365 * 24 * 3600)) { [interrupts] in
                guard interrupts.interrupted else { return false }
                let target: Int
                switch await drain.begin(trickle: trickle, total: total) {
                case .draining(let count): target = count
                case .expired: return true
                }
                return try await reader.archivedCount() >= target
            } onTimeout: { "" }
        } catch {
            trickle.cancel()
            throw error
        }
        trickle.cancel()
        say("")
        say("sink stopped gracefully; the archive now:")
        try await report(reader: reader, stack: stack, topic: topic, group: group, expected: total.value)
    }

    private func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.1f s", Double(ms) / 1000)
    }
}

/// Left-aligned columns separated by two spaces.
func table(_ rows: [[String]]) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    var widths = Array(repeating: 0, count: columns)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    return rows.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }
}

/// A path as a shell word (single quotes only when needed).
func shellQuoted(_ path: String) -> String {
    let plain = path.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "/._-+:@".unicodeScalars.contains(scalar))
    }
    return plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// One line on standard output, flushed at once (progress must show while the demo runs).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// SIGINT/SIGTERM during the demo: recorded, so each phase stops gracefully instead of dying mid-write.
final class DemoInterrupts: Sendable {
    private let flag = DemoFlag()
    var interrupted: Bool { flag.isSet }

    func watch() async {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        for await _ in signals {
            if flag.isSet {
                StandardError.write("second interrupt: exiting at once\n")
                Foundation.exit(130)
            }
            flag.set()
        }
    }
}

/// The end of `--keep-running`: stops the trickle once and bounds the final wait.
actor DemoDrain {
    enum State { case draining(Int), expired }
    private var deadline: ContinuousClock.Instant?
    private var target = 0

    func begin(trickle: Task<Void, Never>, total: DemoCounter) async -> State {
        if let deadline {
            return ContinuousClock.now < deadline ? .draining(target) : .expired
        }
        say("")
        say("stopping: archiving the last events ...")
        trickle.cancel()
        _ = await trickle.value
        target = total.value
        deadline = ContinuousClock.now + .seconds(30)
        return .draining(target)
    }
}

final class DemoFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

final class DemoCounter: Sendable {
    private let current: Mutex<Int>
    init(_ value: Int) { current = Mutex(value) }
    var value: Int { current.withLock { $0 } }
    func add(_ n: Int) { current.withLock { $0 += n } }
}

/// An error of the demo's own check (not the sink's), passed through ``DemoRun/runSink`` unchanged.
struct DemoCheckFailure: Error {
    var error: any Error
}
