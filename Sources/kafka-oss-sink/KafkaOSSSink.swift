import ArgumentParser

@main
struct KafkaOSSSink: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-oss-sink",
        abstract: "Archive Kafka topics into Alibaba Cloud OSS appendable objects, exactly once.",
        subcommands: [
            RunCommand.self,
            CheckConfigCommand.self,
            DemoCommand.self,
            EmulatorCommand.self,
            MockKafkaCommand.self,
            OSSCommand.self,
            VerifyCommand.self,
            BenchCommand.self,
        ]
    )
}
