/// Everything needed to create a `KafkaConsumer`.
///
/// Properties are applied in this order: the typed fields below, then `properties` (any librdkafka
/// consumer property, passed through unchanged, so SASL/SSL settings work as librdkafka documents
/// them), then the two settings the bridge enforces: `enable.auto.commit=false` and
/// `enable.auto.offset.store=false`. Setting either of those to `true` in `properties` is an error.
public struct KafkaConsumerConfiguration: Sendable {
    public enum AutoOffsetReset: String, Sendable, Hashable {
        case earliest
        case latest
    }

    /// `bootstrap.servers`.
    public var bootstrapServers: String
    /// `group.id`.
    public var groupID: String
    /// Topics to subscribe to; a name starting with `^` is a regular expression (librdkafka syntax).
    public var topics: [String]
    /// `auto.offset.reset`: where to start when the group has no commit.
    public var autoOffsetReset: AutoOffsetReset
    /// `partition.assignment.strategy`. Default cooperative-sticky.
    public var rebalanceProtocol: KafkaRebalanceProtocol
    /// `group.instance.id` (static membership): a restarted member with the same id gets its
    /// partitions back without waiting for a session timeout. `nil` for dynamic membership.
    public var groupInstanceID: String?
    /// `statistics.interval.ms`: how often consumer lag is refreshed. `nil` disables statistics.
    public var statisticsInterval: Duration?
    /// At most this many records per delivered batch.
    public var maxBatchRecords: Int
    /// A batch is delivered once it holds at least this many key + value bytes.
    public var maxBatchBytes: Int
    /// How long one poll waits for the first record of a batch. Commands (commit, pause, …)
    /// wake the poll thread earlier.
    public var pollTimeout: Duration
    /// Additional librdkafka consumer properties, passed through unchanged.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        groupID: String,
        topics: [String],
        autoOffsetReset: AutoOffsetReset = .earliest,
        rebalanceProtocol: KafkaRebalanceProtocol = .cooperativeSticky,
        groupInstanceID: String? = nil,
        statisticsInterval: Duration? = .seconds(5),
        maxBatchRecords: Int = 10_000,
        maxBatchBytes: Int = 1 << 20,
        pollTimeout: Duration = .milliseconds(100),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.groupID = groupID
        self.topics = topics
        self.autoOffsetReset = autoOffsetReset
        self.rebalanceProtocol = rebalanceProtocol
        self.groupInstanceID = groupInstanceID
        self.statisticsInterval = statisticsInterval
        self.maxBatchRecords = maxBatchRecords
        self.maxBatchBytes = maxBatchBytes
        self.pollTimeout = pollTimeout
        self.properties = properties
    }

    /// Properties the bridge always sets itself.
    static let enforced: [(String, String)] = [
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
    ]

    /// The librdkafka properties in the order they are applied.
    func librdkafkaProperties() throws(KafkaError) -> [(String, String)] {
        var result: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("auto.offset.reset", autoOffsetReset.rawValue),
            ("partition.assignment.strategy", rebalanceProtocol.rawValue),
            ("enable.partition.eof", "false"),
            ("statistics.interval.ms", String(statisticsInterval.map { Self.milliseconds($0) } ?? 0)),
        ]
        if let groupInstanceID { result.append(("group.instance.id", groupInstanceID)) }
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if let enforced = Self.enforced.first(where: { $0.0 == name }), value != enforced.1 {
                throw KafkaError(
                    code: .configuration,
                    message: "librdkafka property \(name)=\(value) is not allowed: the sink stores and commits offsets "
                        + "itself after the data is archived; remove it or set it to \(enforced.1)"
                )
            }
            result.append((name, value))
        }
        result.append(contentsOf: Self.enforced)
        return result
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
