import ArgumentParser
import SinkApp

@main
struct KafkaOSSSink: AsyncParsableCommand {
    /// The release version, reported by `--version` and the build-info metric.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "kafka-oss-sink",
        abstract: "Archive Kafka topics into Alibaba Cloud OSS appendable objects, exactly once.",
        version: version,
        subcommands: [
            RunCommand.self,
            CheckConfigCommand.self,
            DemoCommand.self,
            EmulatorCommand.self,
            MockKafkaCommand.self,
            OSSCommand.self,
            VerifyCommand.self,
            ReplayCommand.self,
        ]
    )

    static func main() async {
        AllocatorSettings.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
