public import Logging
import Synchronization

/// Reads chosen partitions from chosen offsets without joining a consumer group (librdkafka's `assign`, never
/// `subscribe`), and answers questions about topics: partition counts, configuration, watermarks.
///
/// For tools that look at a cluster they do not consume as a group member (replay reading what it produced
/// before). Nothing is committed, and no group is joined or rebalanced.
///
/// - Threads: every call runs its blocking librdkafka work on a dedicated thread (never the cooperative pool),
///   one call at a time on the one handle. Safe to use from several tasks.
public final class KafkaPartitionReader: Sendable {
    private let handle: Mutex<RDAssignedConsumer?>
    public let bootstrapServers: String

    /// Creates the handle. `properties` are librdkafka client properties for the cluster (security settings and
    /// the like); those librdkafka applies only to producers are left out.
    /// - Throws: ``KafkaError`` `.configuration` naming a rejected property, `.handleCreation`.
    public init(bootstrapServers: String, properties: [String: String] = [:], logger: Logger) throws(KafkaError) {
        self.bootstrapServers = bootstrapServers
        let kept = properties.filter { KafkaPropertyCatalog.scope(of: $0.key) != .producer }
        handle = Mutex(try RDAssignedConsumer(bootstrapServers: bootstrapServers, properties: kept, logger: logger))
    }

    deinit { close() }

    /// Destroys the handle (waiting for a call in progress). Idempotent.
    public func close() {
        handle.withLock { consumer in
            consumer?.destroy()
            consumer = nil
        }
    }

    /// Every topic of the cluster except internal ones, with its partition count. Never creates a topic.
    /// - Throws: `.consumer` when the cluster does not answer within `timeout`.
    public func topics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: Int] {
        let ms = Self.milliseconds(timeout)
        return try await call { consumer throws(KafkaError) in try consumer.topics(timeoutMs: ms) }
    }

    /// The values of the configuration entries `names` of `topic` (Admin API DescribeConfigs); entries the broker
    /// does not report are absent.
    /// - Throws: when the broker does not support DescribeConfigs, does not answer, or denies it.
    public func topicConfiguration(_ topic: String, names: Set<String>, timeout: Duration = .seconds(10)) async throws(KafkaError) -> [String: String] {
        let ms = Self.milliseconds(timeout)
        return try await call { consumer throws(KafkaError) in try consumer.topicConfig(topic, names: names, timeoutMs: ms) }
    }

    /// The low and high watermark (first offset still stored, next offset to be written) of a partition.
    public func watermarks(_ partition: KafkaTopicPartition, timeout: Duration = .seconds(10)) async throws(KafkaError) -> (low: Int64, high: Int64) {
        let ms = Self.milliseconds(timeout)
        let pair = try await call { consumer throws(KafkaError) -> [Int64] in
            let marks = try consumer.watermarks(partition, timeoutMs: ms)
            return [marks.low, marks.high]
        }
        return (pair[0], pair[1])
    }

    /// The records of `partition` from `offset` until the end of the partition (what librdkafka fetched when it
    /// reached the high watermark), at most `maxRecords`, stopping after an offset at or past `until - 1`.
    /// - Throws: `.timedOut` when the end is not reached within `timeout`; `.consumer` for fetch errors.
    public func read(
        _ partition: KafkaTopicPartition, from offset: Int64, until: Int64? = nil, maxRecords: Int = 100_000,
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> [KafkaRecord] {
        let ms = Self.milliseconds(timeout)
        return try await call { consumer throws(KafkaError) in
            try consumer.read(partition, from: offset, until: until, maxRecords: maxRecords, timeoutMs: ms)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(1, KafkaConsumerConfiguration.milliseconds(duration)))
    }

    private func call<T: Sendable>(_ body: @escaping @Sendable (RDAssignedConsumer) throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await runOnDedicatedThread(name: "kafka-assigned") { [self] in
            handle.withLock { consumer -> Result<T, KafkaError> in
                guard let consumer else { return .failure(KafkaError(code: .closed, message: "the partition reader is closed")) }
                do throws(KafkaError) {
                    return .success(try body(consumer))
                } catch {
                    return .failure(error)
                }
            }
        }
        return try result.get()
    }
}
