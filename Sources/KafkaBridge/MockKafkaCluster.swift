internal import CRdKafka
public import Logging
import Synchronization

/// An in-process Kafka cluster from librdkafka's mock broker (`rdkafka_mock.h`), listening on
/// 127.0.0.1 with ephemeral ports. Real clients (this bridge, kcat, confluent-kafka) connect to
/// `bootstrapServers` as to any cluster. It keeps a few MB per partition, so produce compressed
/// (lz4/zstd) when writing a lot.
///
/// Thread-safe: the mock brokers run on librdkafka's own threads; every method here sends a
/// request to them and waits briefly.
public final class MockKafkaCluster: @unchecked Sendable {
    private let owner: RDHandleOwner
    /// The handle and the cluster, only used under the lock.
    private struct Handles: @unchecked Sendable {
        var rk: OpaquePointer
        var cluster: OpaquePointer
    }
    private let handle: Mutex<Handles?>
    /// The `bootstrap.servers` string, for example `127.0.0.1:39821,127.0.0.1:40127`.
    public let bootstrapServers: String
    /// Broker ids are 1 through `brokerCount`.
    public let brokerCount: Int

    /// Starts a cluster with `brokers` brokers.
    public init(brokers: Int = 3, logger: Logger) throws(KafkaError) {
        guard brokers >= 1 else { throw KafkaError(code: .mockCluster, message: "a mock cluster needs at least one broker, got \(brokers)") }
        owner = RDHandleOwner(logger: logger)
        let conf = RDConf()
        try conf.setOrThrow("client.id", "mock-cluster")
        // The handle only anchors the mock cluster; it never connects anywhere.
        try conf.setOrThrow("log_level", "3")
        owner.install(on: conf)
        let rk = try conf.makeHandle(RD_KAFKA_PRODUCER)
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: .mockCluster, message: "librdkafka could not start a mock cluster with \(brokers) broker(s)")
        }
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerCount = brokers
        handle = Mutex(Handles(rk: rk, cluster: cluster))
    }

    deinit { shutdown() }

    /// Stops the brokers and frees the cluster. Idempotent; clients still connected see their
    /// connections drop.
    public func shutdown() {
        guard let handles = handle.withLock({ state -> Handles? in
            defer { state = nil }
            return state
        }) else { return }
        rd_kafka_mock_cluster_destroy(handles.cluster)
        rd_kafka_destroy(handles.rk)
    }

    private func withCluster<T: Sendable>(_ body: (OpaquePointer) -> T) throws(KafkaError) -> T {
        let result: T? = handle.withLock { state in state.map { body($0.cluster) } }
        guard let result else { throw KafkaError(code: .mockCluster, message: "the mock cluster was shut down") }
        return result
    }

    private func check(_ err: rd_kafka_resp_err_t, _ what: String) throws(KafkaError) {
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: .mockCluster, err, what) }
    }

    /// Creates a topic with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = try withCluster { rd_kafka_mock_topic_create($0, name, Int32(partitions), Int32(replicationFactor)) }
        try check(err, "creating topic \(name) with \(partitions) partition(s)")
    }

    /// The next `errors.count` requests of type `api` fail with these errors, in order
    /// (cluster-wide). `KafkaResponseError.transport` makes the broker drop the connection instead.
    public func pushRequestErrors(_ api: KafkaAPIKey, _ errors: [KafkaResponseError]) throws(KafkaError) {
        let codes = errors.map { rd_kafka_resp_err_t($0.rawValue) }
        try withCluster { cluster in
            codes.withUnsafeBufferPointer { kos_mock_push_request_errors(cluster, api.rawValue, $0.count, $0.baseAddress) }
        }
    }

    /// Clears pending injected errors for `api`.
    public func clearRequestErrors(_ api: KafkaAPIKey) throws(KafkaError) {
        try withCluster { rd_kafka_mock_clear_request_errors($0, api.rawValue) }
    }

    /// Takes a broker down: it closes its connections and refuses new ones until `setBrokerUp`.
    public func setBrokerDown(_ brokerID: Int32) throws(KafkaError) {
        let err = try withCluster { rd_kafka_mock_broker_set_down($0, brokerID) }
        try check(err, "taking broker \(brokerID) down")
    }

    /// Brings a broker back up.
    public func setBrokerUp(_ brokerID: Int32) throws(KafkaError) {
        let err = try withCluster { rd_kafka_mock_broker_set_up($0, brokerID) }
        try check(err, "bringing broker \(brokerID) up")
    }

    /// Adds `rtt` of latency to every response of a broker.
    public func setBrokerRTT(_ brokerID: Int32, _ rtt: Duration) throws(KafkaError) {
        let ms = Int32(clamping: KafkaConsumerConfiguration.milliseconds(rtt))
        let err = try withCluster { rd_kafka_mock_broker_set_rtt($0, brokerID, ms) }
        try check(err, "setting the RTT of broker \(brokerID)")
    }

    /// Moves the leadership of a partition to `brokerID`.
    public func setPartitionLeader(topic: String, partition: Int32, brokerID: Int32) throws(KafkaError) {
        let err = try withCluster { rd_kafka_mock_partition_set_leader($0, topic, partition, brokerID) }
        try check(err, "moving the leader of \(topic)[\(partition)] to broker \(brokerID)")
    }

    /// Makes `brokerID` the coordinator of a consumer group.
    public func setGroupCoordinator(group: String, brokerID: Int32) throws(KafkaError) {
        let err = try withCluster { rd_kafka_mock_coordinator_set($0, "group", group, brokerID) }
        try check(err, "moving the coordinator of group \(group) to broker \(brokerID)")
    }
}

/// A Kafka protocol request type (ApiKey), for fault injection.
public struct KafkaAPIKey: Hashable, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = KafkaAPIKey(rawValue: 0)
    public static let fetch = KafkaAPIKey(rawValue: 1)
    public static let listOffsets = KafkaAPIKey(rawValue: 2)
    public static let metadata = KafkaAPIKey(rawValue: 3)
    public static let offsetCommit = KafkaAPIKey(rawValue: 8)
    public static let offsetFetch = KafkaAPIKey(rawValue: 9)
    public static let findCoordinator = KafkaAPIKey(rawValue: 10)
    public static let joinGroup = KafkaAPIKey(rawValue: 11)
    public static let heartbeat = KafkaAPIKey(rawValue: 12)
    public static let leaveGroup = KafkaAPIKey(rawValue: 13)
    public static let syncGroup = KafkaAPIKey(rawValue: 14)
}

/// A Kafka protocol error code (librdkafka's `rd_kafka_resp_err_t`), for fault injection.
public struct KafkaResponseError: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// librdkafka's name for the code, for example `NOT_COORDINATOR`.
    public var description: String { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(rawValue))) }

    /// The broker drops the connection instead of answering.
    public static var transport: Self { .init(rawValue: RD_KAFKA_RESP_ERR__TRANSPORT.rawValue) }
    public static var notCoordinator: Self { .init(rawValue: RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue) }
    public static var coordinatorNotAvailable: Self { .init(rawValue: RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue) }
    public static var coordinatorLoadInProgress: Self { .init(rawValue: RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue) }
    public static var rebalanceInProgress: Self { .init(rawValue: RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue) }
    public static var unknownMemberID: Self { .init(rawValue: RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID.rawValue) }
    public static var illegalGeneration: Self { .init(rawValue: RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION.rawValue) }
    public static var offsetMetadataTooLarge: Self { .init(rawValue: RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE.rawValue) }
    public static var invalidCommitOffsetSize: Self { .init(rawValue: RD_KAFKA_RESP_ERR_INVALID_COMMIT_OFFSET_SIZE.rawValue) }
    public static var groupAuthorizationFailed: Self { .init(rawValue: RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED.rawValue) }
    public static var fencedInstanceID: Self { .init(rawValue: RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID.rawValue) }
    public static var notLeaderForPartition: Self { .init(rawValue: RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue) }
    public static var requestTimedOut: Self { .init(rawValue: RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue) }
}
