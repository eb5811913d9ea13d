/// Everything needed to create a ``KafkaProducer``.
///
/// Properties are applied in this order: `bootstrap.servers`, the defaults of ``delivery``, then `properties` (any
/// librdkafka producer property, passed through unchanged, so SASL/SSL settings work as librdkafka documents them),
/// then the settings the delivery mode enforces. Setting an enforced property to another value is an error.
public struct KafkaProducerConfiguration: Sendable {
    /// What a delivery report promises.
    public enum Delivery: Sendable, Hashable {
        /// `acks=all` without idempotence: retries may duplicate or reorder records. For tests, demos and benchmarks.
        case acknowledged
        /// The idempotent producer (`enable.idempotence=true`, `enable.gapless.guarantee=true`): each partition
        /// receives the enqueued records exactly once and in enqueue order, or the producer raises a fatal error
        /// before a gap could form (librdkafka then fails every record still queued). `message.timeout.ms`
        /// defaults to 0 (retry for as long as it takes), because a record that times out is the one failure the
        /// gapless guarantee does not cover.
        case idempotentGapless
    }

    /// `bootstrap.servers`.
    public var bootstrapServers: String
    public var delivery: Delivery
    /// Additional librdkafka producer properties, passed through unchanged.
    public var properties: [String: String]
    /// How long the producer's poll thread waits for delivery reports at a time; it also bounds how long a caller
    /// waiting for queue space waits after the queue drained.
    public var pollInterval: Duration

    public init(
        bootstrapServers: String, delivery: Delivery = .idempotentGapless, properties: [String: String] = [:],
        pollInterval: Duration = .milliseconds(50)
    ) {
        self.bootstrapServers = bootstrapServers
        self.delivery = delivery
        self.properties = properties
        self.pollInterval = pollInterval
    }

    /// Properties the delivery mode sets itself and that `properties` must not change.
    public static func enforced(_ delivery: Delivery) -> [(String, String)] {
        switch delivery {
        case .acknowledged: []
        case .idempotentGapless: [("enable.idempotence", "true"), ("enable.gapless.guarantee", "true")]
        }
    }

    /// Defaults of the delivery mode that `properties` may change.
    static func defaults(_ delivery: Delivery) -> [(String, String)] {
        switch delivery {
        case .acknowledged: [("acks", "all")]
        case .idempotentGapless: [("message.timeout.ms", "0")]
        }
    }

    /// Why `name = value` cannot be combined with `delivery` (a phrase that follows the property's name, such as
    /// "must be all: …"), or `nil` when it can (librdkafka checks the rest).
    public static func conflict(name: String, value: String, delivery: Delivery) -> String? {
        if let enforced = enforced(delivery).first(where: { $0.0 == name }), value != enforced.1 {
            return "must be \(enforced.1): records must reach each partition exactly once and in order"
        }
        if name == "bootstrap.servers" || name == "metadata.broker.list" {
            return "is set from the configuration's bootstrap servers"
        }
        guard delivery == .idempotentGapless else { return nil }
        if name == "acks", value != "all", value != "-1" {
            return "must be all: the idempotent producer waits for every in-sync replica"
        }
        if name == "transactional.id" {
            return "cannot be set: the producer is idempotent, not transactional"
        }
        return nil
    }

    /// The librdkafka properties in the order they are applied.
    func librdkafkaProperties() throws(KafkaError) -> [(String, String)] {
        var result: [(String, String)] = [("bootstrap.servers", bootstrapServers)]
        result.append(contentsOf: Self.defaults(delivery))
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if let reason = Self.conflict(name: name, value: value, delivery: delivery) {
                throw KafkaError(code: .configuration, message: "librdkafka property \(name) \(reason)")
            }
            result.append((name, value))
        }
        result.append(contentsOf: Self.enforced(delivery))
        return result
    }
}
