public import KafkaBridge
import NIOCore
public import OSSClient
public import SinkCore

/// ``ArchiveReader`` over an OSS bucket: ListObjectsV2, HeadObject and ranged GetObject (403 `InvalidObjectState`
/// becomes ``ArchiveObjectNeedsRestore``).
public struct OSSArchiveReader: ArchiveReader {
    public let client: OSSClient

    public init(client: OSSClient) {
        self.client = client
    }

    public var bucket: String? { client.configuration.bucket }

    public func list(prefix: String) async throws -> [ArchivedObject] {
        try await client.listAllObjects(prefix: prefix.isEmpty ? nil : prefix).objects.map {
            ArchivedObject(key: $0.key, size: $0.size, storageClass: $0.storageClass)
        }
    }

    public func head(key: String) async throws -> ArchivedObjectHead {
        let metadata = try await client.headObject(key: key)
        let type = metadata.objectType ?? OSSObjectType(rawValue: "unknown")
        return ArchivedObjectHead(
            length: metadata.contentLength, appendable: type == .appendable, crc64: metadata.crc64, typeName: type.rawValue,
            sealed: metadata.isSealed, storageClass: metadata.storageClass, restore: metadata.headers["x-oss-restore"])
    }

    public func tags(key: String) async throws -> [SegmentTag] {
        try await client.getObjectTagging(key: key).map { SegmentTag($0.key, $0.value) }
    }

    public func read(key: String, offset: UInt64, count: UInt64) async throws -> [UInt8] {
        if count == 0 { return [] }
        let result: OSSGetResult
        do {
            result = try await client.getObject(key: key, range: .bounded(first: offset, last: offset + count - 1))
        } catch {
            guard error.code == .invalidObjectState else { throw error }
            let head = try? await head(key: key)
            throw ArchiveObjectNeedsRestore(
                key: key, storageClass: head?.storageClass, inProgress: head?.restoreInProgress ?? false, bucket: bucket)
        }
        var body = result.body
        return body.readBytes(length: body.readableBytes) ?? []
    }
}

/// ``CommitReader`` over a Kafka cluster, with a short-lived handle that never joins the group
/// (``KafkaClusterInspector``), so reading commits does not rebalance running sinks.
public struct KafkaCommitReader: CommitReader {
    public let configuration: KafkaConsumerConfiguration
    public let timeout: Duration

    public init(configuration: KafkaConsumerConfiguration, timeout: Duration = .seconds(15)) {
        self.configuration = configuration
        self.timeout = timeout
    }

    public func topicPartitions() async throws -> [String: [Int32]] {
        try await KafkaClusterInspector.topicPartitions(configuration: configuration, timeout: timeout)
    }

    public func committed(_ partitions: [VerifyPartitionID]) async throws -> [VerifyPartitionID: VerifyCommit] {
        let offsets = try await KafkaClusterInspector.committed(
            configuration: configuration,
            partitions: partitions.map { KafkaTopicPartition(topic: $0.topic, partition: $0.partition) }, timeout: timeout)
        var result: [VerifyPartitionID: VerifyCommit] = [:]
        for offset in offsets {
            result[VerifyPartitionID(topic: offset.topicPartition.topic, partition: offset.topicPartition.partition)] =
                VerifyCommit(offset: offset.offset, metadata: offset.metadata)
        }
        return result
    }
}
