import ArgumentParser
import Foundation
import OSSEmulator
import OSSSigning
import SinkApp

struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulator",
        abstract: "Run the local OSS-compatible emulator.",
        discussion: """
            Serves AppendObject, SealAppendObject, PutObject, GetObject, HeadObject, DeleteObject, \
            Put/Get/DeleteObjectTagging, ListObjects(V2) and GetBucketInfo with V1/V4 signature checks, path-style (http://HOST:PORT/BUCKET/KEY) or \
            virtual-hosted (BUCKET.HOST) addressing. Prints one line 'endpoint: http://HOST:PORT' on stdout \
            once listening and runs until SIGINT or SIGTERM. Objects live in memory unless --data-dir is given. \
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

    @Flag(help: "Answer SealAppendObject with 400 OperationNotSupported, as OSS does for accounts without the feature.")
    var sealDisabled = false

    func validate() throws {
        guard !buckets.isEmpty else { throw ValidationError("Give at least one --bucket NAME.") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        for bucket in buckets where !OSSObjectStore.isValidBucketName(bucket) {
            throw ValidationError("Bucket name '\(bucket)' is invalid: use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit.")
        }
        for entry in stsCredentials where entry.split(separator: ":", maxSplits: 2).count != 3 {
            throw ValidationError("--sts-credential must be ID:SECRET:TOKEN.")
        }
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
                sealEnabled: !sealDisabled
            ))
        } catch {
            StandardError.write("error: cannot open the emulator store: \(error)\n")
            throw ExitCode(1)
        }
        let store = dataDir.map { "directory \($0)" } ?? "memory"
        do {
            try await server.run { endpoint in
                FileHandle.standardOutput.write(Data("endpoint: \(endpoint)\n".utf8))
                StandardError.write("OSS emulator listening on \(endpoint) (store: \(store), buckets: \(buckets.joined(separator: ", ")), access key id: \(accessKeyId)\(sealDisabled ? ", SealAppendObject disabled" : ""))\n")
            }
        } catch {
            StandardError.write("error: OSS emulator on \(host):\(port) stopped: \(error)\n")
            throw ExitCode(1)
        }
    }
}
