import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Observability
import OSSClient
import SinkConfig
import SinkApp

struct OSSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oss",
        abstract: "An operator's view of the bucket (ls, head, cat, append, put, rm), using the oss: section of --config.",
        discussion: """
            Every subcommand reads the endpoint, bucket, region, signature version and credentials from the \
            oss: section of the configuration file. Errors print one line on stderr and exit 1 \
            (2 for an invalid configuration file).
            """,
        subcommands: [
            OSSListCommand.self, OSSHeadCommand.self, OSSCatCommand.self, OSSAppendCommand.self, OSSPutCommand.self,
            OSSRemoveCommand.self,
        ]
    )
}

/// `--config FILE`, shared by every `oss` subcommand.
struct OSSConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML configuration file (its oss: section is used).")
    var config: String
}

/// What the `oss` subcommands need from the configuration file.
struct OSSCommandContext {
    var client: OSSClient
    var bucket: String
    /// Create-time headers from `oss.storage_class`, `oss.acl`, `oss.metadata`, `oss.tags`.
    var createOptions: OSSCreateOptions
    /// Secret values from the file, scrubbed from any error line as a last line of defence.
    var secrets: Set<String>

    /// Loads `--config`, builds a client, runs `body`, and turns an ``OSSError`` into one line on stderr and exit 1.
    static func run(config path: String, _ body: (OSSCommandContext) async throws -> Void) async throws {
        let loaded = try loadConfigurationOrExit(path: path)
        let oss = loaded.configuration.oss
        let context: OSSCommandContext
        do {
            var configuration = try OSSClientConfiguration(oss)
            configuration.userAgent = "kafka-oss-sink-cli/1.0"
            context = OSSCommandContext(
                client: try OSSClient(configuration: configuration),
                bucket: oss.bucket,
                createOptions: OSSCreateOptions(
                    contentType: nil, storageClass: oss.storageClass, acl: oss.acl == "default" ? nil : oss.acl,
                    metadata: oss.metadata, tags: oss.tags),
                secrets: loaded.secrets)
        } catch {
            fail(error, secrets: loaded.secrets)
        }
        do {
            try await body(context)
            try? await context.client.shutdown()
        } catch let error as OSSError {
            try? await context.client.shutdown()
            fail(error, secrets: context.secrets)
        } catch let error as OSSCommandError {
            try? await context.client.shutdown()
            fail(error, secrets: context.secrets)
        }
    }

    /// Prints `error: <one line>` on stderr and exits 1.
    static func fail(_ error: any Error, secrets: Set<String>) -> Never {
        let line = LogRedactor(secrets: secrets).redact(String(describing: error).replacingOccurrences(of: "\n", with: " "))
        StandardError.write("error: \(line)\n")
        Foundation.exit(1)
    }

    func url(_ key: String) -> String { "oss://\(bucket)/\(key)" }
}

/// A CLI usage problem found after parsing (bad range, unreadable input file, ...).
struct OSSCommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Reads a whole file, or standard input for `-`.
func readInput(_ path: String) throws(OSSCommandError) -> [UInt8] {
    if path == "-" {
        return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw OSSCommandError("cannot read \(path): check the path and its permissions (use - for standard input)")
    }
    return Array(data)
}

/// Writes bytes to standard output. When the reader has gone away (`| head`), stops quietly like `cat`
/// does instead of trapping on the broken pipe.
func writeOutput(_ bytes: some Sequence<UInt8>) {
    signal(SIGPIPE, SIG_IGN)
    let data = Array(bytes)
    var offset = 0
    while offset < data.count {
        let written = data[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
        if written < 0 {
            if errno == EINTR { continue }
            exit(errno == EPIPE ? 0 : 1)
        }
        offset += written
    }
}
