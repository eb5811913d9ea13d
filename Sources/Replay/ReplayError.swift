/// Why a replay cannot start or had to stop, with a message that names the problem and the fix.
public struct ReplayError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The options or the configuration cannot work (exit status 2).
        public static let invalidOptions = Code("invalid_options")
        /// The archive holds nothing to replay for the topic.
        public static let nothingArchived = Code("nothing_archived")
        /// The archive's format cannot be replayed losslessly (`raw` without `--value-only`).
        public static let lossyFormat = Code("lossy_format")
        /// The target topic does not exist.
        public static let targetMissing = Code("target_missing")
        /// The target topic has fewer partitions than the archive.
        public static let targetTooSmall = Code("target_too_small")
        /// The target holds records that replay cannot place (another writer, another source).
        public static let targetConflict = Code("target_conflict")
        /// A Kafka cluster did not answer.
        public static let kafkaUnavailable = Code("kafka_unavailable")
        /// The archive could not be listed or read.
        public static let archiveUnavailable = Code("archive_unavailable")
        /// A segment's bytes are not what was written.
        public static let integrity = Code("integrity")
        /// A segment must be restored from cold storage first.
        public static let needsRestore = Code("needs_restore")
        /// A record could not be read back from a segment.
        public static let unreadableRecord = Code("unreadable_record")
        /// Producing failed.
        public static let produceFailed = Code("produce_failed")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
