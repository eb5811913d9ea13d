import Foundation
import KafkaBridge
import Testing

/// The CLI binary: KAFKA_OSS_SINK_BINARY, else .build/debug/kafka-oss-sink under the package root.
private let cliBinary: String = ProcessInfo.processInfo.environment["KAFKA_OSS_SINK_BINARY"]
    ?? FileManager.default.currentDirectoryPath + "/.build/debug/kafka-oss-sink"
private let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Runs a blocking closure on its own thread.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

/// Runs a process to completion with `input` on stdin; returns (status, stdout).
private func run(_ path: String, _ arguments: [String], input: Data = Data()) async throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = await blocking { () -> Data in
        stdin.fileHandleForWriting.write(input)
        try? stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite(
    .enabled(if: FileManager.default.isExecutableFile(atPath: cliBinary) && kcat != nil, "needs the built CLI and kcat"),
    .timeLimit(.minutes(1))
)
struct MockKafkaCommandTests {
    @Test func kcatAndTheBridgeUseTheStandaloneMockCluster() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cliBinary)
        process.arguments = ["mock-kafka", "--brokers", "2", "--topic", "cli-events:3", "--topic", "cli-other:1"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let firstLine = await blocking { () -> String in
            var bytes: [UInt8] = []
            while true {
                let chunk = stdout.fileHandleForReading.readData(ofLength: 1)
                if chunk.isEmpty || chunk.first == UInt8(ascii: "\n") { break }
                bytes.append(contentsOf: chunk)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(firstLine.hasPrefix("bootstrap: 127.0.0.1:"), "first line: \(firstLine)")
        let bootstrap = String(firstLine.dropFirst("bootstrap: ".count))
        #expect(bootstrap.split(separator: ",").count == 2)

        // kcat produces 1000 lines (lz4) and reads them back.
        let lines = (0..<1_000).map { "line-\($0)" }.joined(separator: "\n") + "\n"
        let (produced, _) = try await run(kcat!, ["-P", "-b", bootstrap, "-t", "cli-events", "-z", "lz4"], input: Data(lines.utf8))
        #expect(produced == 0)
        let (consumed, output) = try await run(kcat!, ["-C", "-b", bootstrap, "-t", "cli-events", "-e", "-q"])
        #expect(consumed == 0)
        let read = output.split(separator: "\n")
        #expect(read.count == 1_000)
        #expect(Set(read.map(String.init)) == Set((0..<1_000).map { "line-\($0)" }))

        // The bridge reads the same records as a group consumer.
        let delegate = RecordingDelegate()
        let consumer = try KafkaConsumer(
            configuration: KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupID: uniqueName("cli-group"), topics: ["cli-events"]),
            delegate: delegate, logger: testLogger())
        #expect(await eventually { delegate.totalOffsets() == 1_000 })
        try await consumer.close(deadline: .seconds(10))

        process.interrupt()  // SIGINT
        let status = await blocking { process.waitUntilExit(); return process.terminationStatus }
        #expect(status == 0)
    }
}
