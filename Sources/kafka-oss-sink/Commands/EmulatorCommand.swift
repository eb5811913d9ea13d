import ArgumentParser
import Foundation
import OSSEmulator
import OSSSigning
import SinkApp
import SinkConfig

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the local OSS-compatible emulator.",
        discussion: """
            Serves AppendObject, SealAppendObject, PutObject, GetObject, HeadObject, DeleteObject, \
            Put/Get/DeleteObjectTagging, RestoreObject, ListObjects(V2) and GetBucketInfo with V1/V4 signature checks, path-style (http://HOST:PORT/BUCKET/KEY) or \
            virtual-hosted (BUCKET.HOST) addressing. Prints one line 'endpoint: http://HOST:PORT' on stdout \
            once listening and runs until SIGINT or SIGTERM. Objects live in memory unless --data-dir is given. \
            With --tls-cert and --tls-key it serves HTTPS instead ('endpoint: https://HOST:PORT'); give the sink \
            the CA that signed the certificate with oss.ca_file. \
            Fault injection for tests: POST a JSON command to http://HOST:PORT/-/faults.
            """
    )

    @Option(help: "Port to listen on; 0 picks a free port (see the endpoint line).")
    var port: Int = 9000

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Keep objects in this directory (created if missing) so they survive restarts; memory when omitted.")
    var dataDir: String?

    @Option(help: "Access key id clients sign with.")
    var accessKeyId: String

    @Option(help: "Access key secret clients sign with (never printed).")
    var accessKeySecret: String

    @Option(
        name: .customLong("sts-credential"),
        help: "Extra STS credentials ID:SECRET:TOKEN; requests signed with ID must carry TOKEN (repeatable)."
    )
    var stsCredentials: [String] = []

    @Option(name: .customLong("bucket"), help: "Bucket to create (repeatable, at least one).")
    var buckets: [String] = []

    @Option(help: "Region reported by GetBucketInfo (as oss-<region>).")
    var region: String = "cn-hangzhou"

    @Flag(help: "Do not serve the /-/faults fault-injection endpoint.")
    var disableFaultAdmin = false

    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key of --tls-cert (unencrypted).", valueName: "file"))
    var tlsKey: String?

    @Option(help: "Latency added to every request, like a real OSS endpoint's (for example 30ms).")
    var latency: String?

    @Option(help: "Bandwidth of each connection for request bodies, like a real endpoint's (for example 100MiB, per second).")
    var bandwidth: String?

    /// `--latency` and `--bandwidth` as conditions (validated in `validate`).
    var networkConditions: OSSNetworkConditions {
        get throws {
            var conditions = OSSNetworkConditions()
            if let latency {
                conditions.latencyMilliseconds = Int((try Self.seconds(latency, option: "--latency", example: "30ms, 1s") * 1000).rounded())
            }
            if let bandwidth {
                guard let value = ByteSize.parse(bandwidth), value > 0 else {
                    throw ValidationError("--bandwidth '\(bandwidth)' is not a positive size per second (for example 100MiB)")
                }
                conditions.bytesPerSecond = Int(clamping: value)
            }
            return conditions
        }
    }

    @Flag(help: "Answer SealAppendObject with 400 OperationNotSupported, as OSS does for accounts without the feature.")
    var sealDisabled = false

    @Option(help: "How long RestoreObject runs before the object can be read, like OSS's (for example 1m, as for Archive; default: at once).")
    var restoreTime: String?

    /// `--restore-time` in seconds (validated in `validate`).
    var restoreSeconds: Double {
        get throws { try restoreTime.map { try Self.seconds($0, option: "--restore-time", example: "1m, 30s") } ?? 0 }
    }

    /// A duration option's value in seconds.
    static func seconds(_ text: String, option: String, example: String) throws -> Double {
        guard let value = DurationText.parse(text) else {
            throw ValidationError("\(option) '\(text)' is not a duration (for example \(example))")
        }
        return Double(value.components.seconds) + Double(value.components.attoseconds) / 1e18
    }

    func validate() throws {
        guard !buckets.isEmpty else { throw ValidationError("Give at least one --bucket NAME.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        for bucket in buckets where !OSSObjectStore.isValidBucketName(bucket) {
            throw ValidationError("Bucket name '\(bucket)' is invalid: use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit.")
        }
        for entry in stsCredentials where entry.split(separator: ":", maxSplits: 2).count != 3 {
            throw ValidationError("--sts-credential must be ID:SECRET:TOKEN.")
        }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither for HTTP.")
        }
        for (option, path) in [("--tls-cert", tlsCert), ("--tls-key", tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ValidationError("\(option) \(path): no such readable file.")
            }
        }
        _ = try networkConditions
        _ = try restoreSeconds
    }

    func run() async throws {
        var credentials = [OSSCredentials(accessKeyId: accessKeyId, accessKeySecret: accessKeySecret)]
        for entry in stsCredentials {
            let parts = entry.split(separator: ":", maxSplits: 2).map(String.init)
            credentials.append(OSSCredentials(accessKeyId: parts[0], accessKeySecret: parts[1], securityToken: parts[2]))
        }
        let server: OSSEmulatorServer
        do {
            server = try OSSEmulatorServer(configuration: OSSEmulatorConfiguration(
                host: host,
                port: port,
                buckets: buckets,
                credentials: credentials,
                storage: dataDir.map { .directory($0) } ?? .memory,
                region: region,
                faultAdminEnabled: !disableFaultAdmin,
                sealEnabled: !sealDisabled,
                tls: tlsCert.flatMap { cert in tlsKey.map { OSSEmulatorTLS(certificateChainFile: cert, privateKeyFile: $0) } }
            ))
        } catch {
            StandardError.write("error: cannot start the emulator: \(error)\n")
            throw ExitCode(1)
        }
        server.faults.setNetworkConditions(try networkConditions)
        server.store.restoreTime = try restoreSeconds
        let store = dataDir.map { "directory \($0)" } ?? "memory"
        do {
            try await server.run { endpoint in
                FileHandle.standardOutput.write(Data("endpoint: \(endpoint)\n".utf8))
                StandardError.write("OSS emulator listening on \(endpoint) (store: \(store), buckets: \(buckets.joined(separator: ", ")), access key id: \(accessKeyId)\(sealDisabled ? ", SealAppendObject disabled" : ""))\n")
            }
        } catch {
            if "\(error)".contains("Address already in use") {
                StandardError.write("error: the OSS emulator cannot listen on \(host):\(port): the port is in use "
                    + "(choose another --port, or --port 0 for a free one; the endpoint line names it)\n")
            } else {
                StandardError.write("error: OSS emulator on \(host):\(port) stopped: \(error)\n")
            }
            throw ExitCode(1)
        }
    }
}
