/// An error from the Kafka bridge, with a code to branch on and a message an operator can act on.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is. Extensible: switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A librdkafka property was rejected, or a required one is missing or conflicting.
        public static let configuration = Code("configuration")
        /// Creating the librdkafka handle failed.
        public static let handleCreation = Code("handleCreation")
        /// An offset commit failed.
        public static let commitFailed = Code("commitFailed")
        /// Reading committed offsets failed.
        public static let committedFailed = Code("committedFailed")
        /// Subscribing failed.
        public static let subscribeFailed = Code("subscribeFailed")
        /// Pause, resume, seek or assignment change failed.
        public static let partitionOperationFailed = Code("partitionOperationFailed")
        /// An error reported by librdkafka while consuming (broker, transport, partition errors).
        public static let consumer = Code("consumer")
        /// A fatal librdkafka error: the consumer stopped and must be recreated.
        public static let fatal = Code("fatal")
        /// The consumer is closed (or closing) and cannot do this any more.
        public static let closed = Code("closed")
        /// An operation did not finish before its deadline.
        public static let timedOut = Code("timedOut")
        /// Producing failed (test producer).
        public static let produceFailed = Code("produceFailed")
        /// A mock cluster operation failed.
        public static let mockCluster = Code("mockCluster")
    }

    public var code: Code
    public var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when the error came from librdkafka.
    public var librdkafkaCode: Int32?
    /// librdkafka's error name, for example `REBALANCE_IN_PROGRESS`.
    public var librdkafkaName: String?
    /// The partition this error is about, when it is about one.
    public var topicPartition: KafkaTopicPartition?
    /// A fatal error: the handle is unusable.
    public var isFatal: Bool

    public init(
        code: Code, message: String, librdkafkaCode: Int32? = nil, librdkafkaName: String? = nil,
        topicPartition: KafkaTopicPartition? = nil, isFatal: Bool = false
    ) {
        self.code = code
        self.message = message
        self.librdkafkaCode = librdkafkaCode
        self.librdkafkaName = librdkafkaName
        self.topicPartition = topicPartition
        self.isFatal = isFatal
    }

    /// librdkafka reports that no broker is reachable (`_ALL_BROKERS_DOWN`); it keeps retrying.
    public var isAllBrokersDown: Bool { librdkafkaName == "_ALL_BROKERS_DOWN" }

    public var description: String {
        var text = "Kafka \(code): \(message)"
        if let topicPartition { text += " (partition \(topicPartition))" }
        if let librdkafkaName { text += " [\(librdkafkaName)]" }
        return text
    }
}
