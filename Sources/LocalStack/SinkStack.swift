import Foundation
public import KafkaBridge
public import Logging
import NIOCore
public import OSSEmulator
public import OSSSigning

/// librdkafka's mock cluster and the OSS emulator on loopback: the stack that the demo, the integration tests
/// and the benchmarks run the sink against. `SinkRun` runs the sink itself.
///
/// - Thread safety: every member may be used from any task.
public final class SinkStack: Sendable {
    public let cluster: MockKafkaCluster
    public let emulator: OSSEmulatorServer
    /// The emulator's `http://127.0.0.1:PORT` (path-style).
    public let endpoint: String
    public let bucket: String
    public let credentials: OSSCredentials
    public let logger: Logger

    /// Starts a cluster of `brokers` brokers and an emulator serving `bucket` to `credentials` from `storage`
    /// (with SealAppendObject answering `OperationNotSupported` unless `sealEnabled`).
    public init(
        brokers: Int = 1, bucket: String, credentials: OSSCredentials, storage: OSSEmulatorStorage = .memory,
        faultAdminEnabled: Bool = true, sealEnabled: Bool = true, logger: Logger
    ) async throws {
        self.bucket = bucket
        self.credentials = credentials
        self.logger = logger
        cluster = try MockKafkaCluster(brokers: brokers, logger: logger)
        do {
            emulator = try OSSEmulatorServer(configuration: .init(
                buckets: [bucket], credentials: [credentials], storage: storage, faultAdminEnabled: faultAdminEnabled,
                sealEnabled: sealEnabled, logger: logger))
            endpoint = try await emulator.start()
        } catch {
            cluster.shutdown()
            throw error
        }
    }

    /// Stops the emulator and the cluster.
    public func shutdown() async {
        await emulator.shutdown()
        cluster.shutdown()
    }

    /// The `kafka:` and `oss:` sections of a sink configuration for this stack (static credentials, the secret
    /// read from `${secretVariable}` so it never appears in the text), followed by `extra` (top-level YAML,
    /// for example a `sink:` section).
    public func configurationYAML(
        group: String, topics: [String], kafkaProperties: [String: String] = [:], secretVariable: String = "OSS_SECRET",
        extra: String = ""
    ) -> String {
        let properties = kafkaProperties.sorted { $0.key < $1.key }.map { "    \($0.key): \"\($0.value)\"" }
        return """
            kafka:
              bootstrap_servers: "\(cluster.bootstrapServers)"
              group_id: "\(group)"
              topics: [\(topics.map { "\"\($0)\"" }.joined(separator: ", "))]
            \(properties.isEmpty ? "" : "  properties:\n" + properties.joined(separator: "\n"))
            oss:
              endpoint: "\(endpoint)"
              region: "cn-hangzhou"
              bucket: "\(bucket)"
              path_style: true
              credentials:
                provider: static
                access_key_id: "\(credentials.accessKeyId)"
                access_key_secret: "${\(secretVariable)}"
            \(extra)
            """
    }

    /// Every object whose key starts with `prefix`, in key order, with its bytes (read from the store, no HTTP).
    public func objects(prefix: String = "") async throws -> [(record: OSSObjectRecord, bytes: [UInt8])] {
        var result: [(OSSObjectRecord, [UInt8])] = []
        for record in emulator.store.list(bucket: bucket) where record.key.hasPrefix(prefix) {
            guard let read = try await emulator.store.read(bucket: bucket, key: record.key) else { continue }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(read.record.length))
            for buffer in read.body { bytes += buffer.readableBytesView }
            result.append((read.record, bytes))
        }
        return result
    }

    /// The committed offsets (with metadata) of `group` for `partitions` of `topic`, read with a handle that never
    /// joins the group (safe while sinks run). Partitions without a commit are absent.
    public func committed(group: String, topic: String, partitions: Int) async throws -> [Int32: KafkaCommittedOffset] {
        let servers = cluster.bootstrapServers
        return try await Self.onThread {
            let reader = try KafkaOffsetReader(bootstrapServers: servers, group: group)
            defer { reader.close() }
            return try reader.committedWithMetadata(topic: topic, partitions: (0..<Int32(partitions)).map { $0 })
        }
    }

    /// The low and high watermarks of one partition.
    public func watermarks(topic: String, partition: Int32) async throws -> (low: Int64, high: Int64) {
        let servers = cluster.bootstrapServers
        let pair = try await Self.onThread { () throws -> [Int64] in
            let reader = try KafkaOffsetReader(bootstrapServers: servers, group: "watermarks")
            defer { reader.close() }
            let marks = try reader.watermarks(topic: topic, partition: partition)
            return [marks.low, marks.high]
        }
        return (pair[0], pair[1])
    }

    /// Runs a blocking librdkafka call off the cooperative pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.name = "local-stack"
            thread.start()
        }
    }
}
