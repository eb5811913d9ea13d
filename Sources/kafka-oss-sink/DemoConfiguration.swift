import Foundation
import KafkaBridge
import SinkApp
import SinkConfig

/// The demo's configuration: `config/demo.yaml` from the current directory, or the copy built into the binary.
struct DemoConfigurationSource {
    /// Where the text came from, for the progress output.
    var origin: String
    var yaml: String

    static let relativePath = "config/demo.yaml"

    /// Reads `config/demo.yaml` relative to the current directory; falls back to ``embeddedYAML`` when the
    /// file does not exist. A file that exists but cannot be read is an error (the user meant to use it).
    static func locate() throws -> DemoConfigurationSource {
        let path = FileManager.default.currentDirectoryPath + "/" + relativePath
        guard FileManager.default.fileExists(atPath: path) else {
            return DemoConfigurationSource(origin: "built-in copy of \(relativePath)", yaml: embeddedYAML)
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw DemoFailure("cannot read \(relativePath) as UTF-8 text; fix its permissions or run the demo from another directory")
        }
        return DemoConfigurationSource(origin: relativePath, yaml: text)
    }

    /// Parses the YAML with `${DEMO_BOOTSTRAP_SERVERS}` and `${DEMO_OSS_ENDPOINT}` set to the running stack
    /// (other `${…}` come from the process environment, then their defaults).
    func parse(bootstrapServers: String, endpoint: String) throws -> SinkConfiguration.Loaded {
        var environment = ProcessInfo.processInfo.environment
        environment["DEMO_BOOTSTRAP_SERVERS"] = bootstrapServers
        environment["DEMO_OSS_ENDPOINT"] = endpoint
        do {
            return try ConfigurationFile.parse(yaml: yaml, environment: environment)
        } catch {
            throw DemoFailure("\(origin) is not a valid configuration: \(error.description)")
        }
    }

    /// The YAML with the two stack addresses written in literally (other placeholders stay, so secrets do not
    /// land in the file), for `kafka-oss-sink oss … --config` after the demo.
    func pinned(bootstrapServers: String, endpoint: String) -> String {
        let header = """
            # Written by `kafka-oss-sink demo` from \(origin): the addresses of the last demo run.
            # Start the emulator with the command the demo printed, then use this file with `kafka-oss-sink oss`.

            """
        var text = Self.replacePlaceholder("DEMO_BOOTSTRAP_SERVERS", with: bootstrapServers, in: yaml)
        text = Self.replacePlaceholder("DEMO_OSS_ENDPOINT", with: endpoint, in: text)
        return header + text
    }

    /// Replaces every `${NAME}` and `${NAME:-default}` with `value`.
    static func replacePlaceholder(_ name: String, with value: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        let opener = "${\(name)"
        while let start = rest.range(of: opener) {
            let after = rest[start.upperBound...]
            guard let first = after.first, first == "}" || first == ":", let close = after.firstIndex(of: "}") else {
                result += rest[..<start.upperBound]
                rest = after
                continue
            }
            result += rest[..<start.lowerBound]
            result += value
            rest = after[after.index(after: close)...]
        }
        return result + rest
    }

    /// A copy of config/demo.yaml, used when the demo runs outside the repository.
    static let embeddedYAML = """
        # The local stack used by `kafka-oss-sink demo` and `make demo`: librdkafka's mock cluster and the
        # embedded OSS emulator on loopback. The demo fills in the two addresses it starts.
        kafka:
          bootstrap_servers: "${DEMO_BOOTSTRAP_SERVERS:-127.0.0.1:9092}"
          group_id: "kafka-oss-sink-demo"
          topics: ["demo-events"]
          auto_offset_reset: earliest
          properties:
            # librdkafka's mock cluster holds a new member's JoinGroup for session.timeout.ms - 1 s after the last
            # member left, so a restarted sink waits that long for its partitions (44 s with the 45 s default).
            # 4000 makes that ~3 s. Mock cluster only: real brokers refuse a session timeout below
            # group.min.session.timeout.ms (6000 by default).
            session.timeout.ms: "4000"
            heartbeat.interval.ms: "500"

        oss:
          endpoint: "${DEMO_OSS_ENDPOINT:-http://127.0.0.1:9000}"
          region: "cn-hangzhou"
          bucket: "demo-archive"
          path_style: true
          credentials:
            provider: static
            access_key_id: "${DEMO_ACCESS_KEY_ID:-demo-access-key}"
            access_key_secret: "${DEMO_ACCESS_KEY_SECRET:-demo-secret-access-key}"

        sink:
          format: jsonl
          compression: none
          batch:
            max_bytes: 1MiB
            linger: 200ms

        server:
          listen: "127.0.0.1:9464"

        """
}

/// A demo step that failed; the message names what went wrong and what to do.
struct DemoFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
