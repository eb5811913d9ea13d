import Foundation
import SinkTesting
import Testing

/// `kafka-oss-sink demo` as a user runs it: the built binary in a subprocess, from a directory without
/// config/demo.yaml (so the built-in copy is used), with its objects in a temporary directory.
@Suite("demo command")
struct DemoCommandTests {
    @Test("archives 600 records over 3 partitions, reports objects and commits, exits 0", .timeLimit(.minutes(1)))
    func demoArchivesEverything() async throws {
        let binary = try CLIProcess.binaryURL()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let dataDir = directory.appendingPathComponent("data").path

        let (status, output, errors) = try await CLIProcess.run(
            ["demo", "--data-dir", dataDir, "--records", "600", "--timeout", "25"], in: directory)

        #expect(status == 0, "stdout:\n\(output)\nstderr:\n\(errors)")
        #expect(output.contains("600 records archived in 3 partitions"), "stdout:\n\(output)")
        #expect(output.contains("built-in copy of config/demo.yaml"))
        // One table row per partition in the commit table, each with v2 metadata naming an object.
        for partition in 0..<3 {
            #expect(output.split(separator: "\n").contains { $0.hasPrefix("\(partition) ") && $0.contains("v2 key=demo-events/\(partition)/") },
                    "no commit row for partition \(partition):\n\(output)")
        }
        // The hints name the binary as it was invoked.
        #expect(output.contains("\(binary.path) emulator --port "))
        #expect(output.contains("\(binary.path) oss ls --config \(dataDir)/demo-oss.yaml"))
        // The demo secret appears only in the emulator hint line.
        #expect(output.split(separator: "\n").filter { $0.contains("demo-secret-access-key") }.count == 1)
        #expect(!errors.contains("demo-secret-access-key"))
        // The directory store and the written config are on disk for the commands printed.
        #expect(FileManager.default.fileExists(atPath: dataDir + "/demo-oss.yaml"))
        let pinned = try String(contentsOfFile: dataDir + "/demo-oss.yaml", encoding: .utf8)
        #expect(!pinned.contains("${DEMO_OSS_ENDPOINT"))
        #expect(!pinned.contains("demo-secret-access-key\""), "the written config keeps the secret as a placeholder")
    }

    @Test("the built-in copy of config/demo.yaml matches the file")
    func embeddedConfigurationMatchesFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("config/demo.yaml"), encoding: .utf8)
        let source = try String(
            contentsOf: root.appendingPathComponent("Sources/kafka-oss-sink/DemoConfiguration.swift"), encoding: .utf8)
        let opener = "static let embeddedYAML = \"\"\"\n"
        let start = try #require(source.range(of: opener))
        let end = try #require(source.range(of: "\n        \"\"\"", range: start.upperBound..<source.endIndex))
        // Swift strips the closing delimiter's indentation (8 spaces) from every line of the literal; its last
        // line is empty, so the text ends with one newline like the file.
        let embedded = source[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("        ") ? String($0.dropFirst(8)) : String($0) }
            .joined(separator: "\n")
        #expect(embedded == file,
                "update DemoConfigurationSource.embeddedYAML to match config/demo.yaml")
    }
}
