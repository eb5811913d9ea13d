public import Foundation

/// Everything `SinkCore` needs to decide; the shell builds this from the validated YAML config.
///
/// The whole sink's settings (memory, uncommitted bytes, rotation, retries) and each topic's (``TopicSettings``:
/// ``defaultTopic``, and ``topicRules`` for the topics `kafka.topics` entries give settings of their own).
/// Defaults are those of config/sink.example.yaml. Call ``validate()`` before handing it to ``Sink``.
public struct SinkSettings: Sendable {
    /// Where `{yyyy}{MM}{dd}{HH}{mm}` of a segment key come from.
    public enum TimestampSource: Sendable, Hashable {
        /// The first record's Kafka timestamp (wall clock when the record has none).
        case record
        /// The wall clock (`SinkInstant.wallClockMs`) when the first record arrived.
        case wallClock
    }

    /// How one record becomes bytes.
    public enum Format: Sendable, Hashable {
        /// One JSON object per line (docs/configuration.md: `format`). `valueAsJSON`: a value that is valid JSON is embedded
        /// as JSON instead of as a string.
        case jsonl(valueAsJSON: Bool)
        /// The value bytes (empty for a null value) followed by `delimiter`.
        case raw(delimiter: [UInt8])
    }

    /// How each append is compressed. Every append is one complete gzip member or zstd frame.
    public enum Compression: Sendable, Hashable {
        case none
        case gzip(level: Int32)
        case zstd(level: Int32)
    }

    /// The smallest batch a partition sends early because memory is short (see ``flushEarlyAboveBytes``).
    public static let minimumEarlyFlushBytes = 64 * 1024

    /// OSS's hard limit for one appendable object: 5 GiB.
    public static let objectSizeHardCap = 5 * 1024 * 1024 * 1024

    /// The settings of topics no rule in ``topicRules`` matches (the `sink:` section).
    public var defaultTopic: TopicSettings
    /// Per-topic settings (`kafka.topics` entries), in order: the first rule whose selector matches a topic
    /// applies to it; topics no rule matches use ``defaultTopic``.
    ///
    /// - Important: the core does not check that two rules can never render the same key (the configuration
    ///   does, see SinkConfig's key layout check): rules built by hand must keep their keys apart.
    public var topicRules: [TopicRule]

    /// The default topic's key template.
    public var keyTemplate: KeyTemplate {
        get { defaultTopic.keyTemplate }
        set { defaultTopic.keyTemplate = newValue }
    }
    /// The default topic's `{prefix}`.
    public var keyPrefix: String {
        get { defaultTopic.keyPrefix }
        set { defaultTopic.keyPrefix = newValue }
    }
    /// The default topic's timestamp source.
    public var timestampSource: TimestampSource {
        get { defaultTopic.timestampSource }
        set { defaultTopic.timestampSource = newValue }
    }
    /// The default topic's time zone.
    public var timeZone: TimeZone {
        get { defaultTopic.timeZone }
        set { defaultTopic.timeZone = newValue }
    }
    /// The default topic's format.
    public var format: Format {
        get { defaultTopic.format }
        set { defaultTopic.format = newValue }
    }
    /// The default topic's compression.
    public var compression: Compression {
        get { defaultTopic.compression }
        set { defaultTopic.compression = newValue }
    }
    /// The default topic's `batch.max_bytes`.
    public var batchMaxBytes: Int {
        get { defaultTopic.batchMaxBytes }
        set { defaultTopic.batchMaxBytes = newValue }
    }
    /// The default topic's `batch.max_records`.
    public var batchMaxRecords: Int {
        get { defaultTopic.batchMaxRecords }
        set { defaultTopic.batchMaxRecords = newValue }
    }
    /// The default topic's `batch.linger`.
    public var linger: Duration {
        get { defaultTopic.linger }
        set { defaultTopic.linger = newValue }
    }
    /// The default topic's `rollover.max_object_bytes`.
    public var maxObjectBytes: Int {
        get { defaultTopic.maxObjectBytes }
        set { defaultTopic.maxObjectBytes = newValue }
    }
    /// The default topic's `rollover.max_age`.
    public var maxSegmentAge: Duration {
        get { defaultTopic.maxSegmentAge }
        set { defaultTopic.maxSegmentAge = newValue }
    }
    /// The default topic's `rollover.seal`.
    public var sealOnRollover: Bool {
        get { defaultTopic.sealOnRollover }
        set { defaultTopic.sealOnRollover = newValue }
    }
    /// At most this many appended bytes per partition beyond its last acknowledged commit.
    public var maxUncommittedBytes: Int
    /// Global bound on the memory held for rendered records (buffered + in flight, by allocated capacity). Above it
    /// the fullest partitions are paused.
    public var maxBufferedBytes: Int
    /// Paused partitions resume when the total falls below this (default: half of `maxBufferedBytes`).
    public var resumeBelowBytes: Int
    /// Above this every partition pauses, also those holding nothing yet (default: `maxBufferedBytes` plus a
    /// quarter). Pausing only the fullest partitions lets each of thousands of partitions add its first fetch
    /// before it pauses; this bounds that.
    public var pauseAllAboveBytes: Int
    /// Above this the sink is short of memory and partitions stop waiting for full batches: one holding at
    /// least its share (this divided by the assigned partitions, at least ``minimumEarlyFlushBytes``) sends what
    /// it has, so appends go out while records keep arriving instead of every partition filling its batch at
    /// once (default: half of `maxBufferedBytes`).
    public var flushEarlyAboveBytes: Int
    /// Intake rotation starts above this many bytes held (default: an eighth of `maxBufferedBytes`), when more
    /// partitions are assigned than ``maxFillingPartitions``.
    public var rotateAboveBytes: Int
    /// Intake rotation: once memory is short (above ``rotateAboveBytes``) and more partitions are assigned than
    /// this, at most this many partitions fetch at a time; the others are paused, keep what they hold, and wait
    /// their turn. Concentrating the budget on a few partitions lets them reach full batches (a partition also
    /// sends when it has caught up with its high watermark) instead of every partition sending slivers: fewer,
    /// larger appends under OSS latency. Default 32 (the composition root uses twice `max_inflight_appends`).
    public var maxFillingPartitions: Int
    /// A filling partition that received nothing for this long gives its turn to the next one (for partitions
    /// with nothing to fetch). Default 500 ms.
    public var rotationIdle: Duration
    /// A filling partition gives its turn to the next one after this long, for fairness, even when it has more to
    /// fetch. Default 2 s.
    public var rotationSlice: Duration
    /// How long a revoke waits for the partition's in-flight append.
    public var revokeTimeout: Duration
    /// First delay before re-sending an append/HEAD/GET whose transient failure outlived the client's retries.
    public var retryInitialBackoff: Duration
    /// Longest such delay (the delay doubles per attempt).
    public var retryMaxBackoff: Duration
    /// Delay between retries while OSS answers with a configuration error (403, NoSuchBucket, other 4xx).
    public var configErrorRetryInterval: Duration

    public init(
        keyTemplate: KeyTemplate = .default,
        keyPrefix: String = "",
        timestampSource: TimestampSource = .record,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!,
        format: Format = .jsonl(valueAsJSON: false),
        compression: Compression = .none,
        batchMaxBytes: Int = 4 * 1024 * 1024,
        batchMaxRecords: Int = 100_000,
        linger: Duration = .seconds(1),
        maxObjectBytes: Int = 4 * 1024 * 1024 * 1024,
        maxSegmentAge: Duration = .seconds(24 * 3600),
        sealOnRollover: Bool = false,
        maxUncommittedBytes: Int = 64 * 1024 * 1024,
        maxBufferedBytes: Int = 256 * 1024 * 1024,
        resumeBelowBytes: Int? = nil,
        pauseAllAboveBytes: Int? = nil,
        flushEarlyAboveBytes: Int? = nil,
        rotateAboveBytes: Int? = nil,
        maxFillingPartitions: Int = 32,
        rotationIdle: Duration = .milliseconds(500),
        rotationSlice: Duration = .seconds(2),
        revokeTimeout: Duration = .seconds(10),
        retryInitialBackoff: Duration = .milliseconds(200),
        retryMaxBackoff: Duration = .seconds(30),
        configErrorRetryInterval: Duration = .seconds(10),
        topicRules: [TopicRule] = []
    ) {
        self.defaultTopic = TopicSettings(
            keyTemplate: keyTemplate, keyPrefix: keyPrefix, timestampSource: timestampSource, timeZone: timeZone,
            format: format, compression: compression, batchMaxBytes: batchMaxBytes, batchMaxRecords: batchMaxRecords,
            linger: linger, maxObjectBytes: maxObjectBytes, maxSegmentAge: maxSegmentAge, sealOnRollover: sealOnRollover)
        self.topicRules = topicRules
        self.maxUncommittedBytes = maxUncommittedBytes
        self.maxBufferedBytes = maxBufferedBytes
        self.resumeBelowBytes = resumeBelowBytes ?? maxBufferedBytes / 2
        self.pauseAllAboveBytes = pauseAllAboveBytes ?? maxBufferedBytes + maxBufferedBytes / 4
        self.flushEarlyAboveBytes = flushEarlyAboveBytes ?? maxBufferedBytes / 2
        self.rotateAboveBytes = rotateAboveBytes ?? maxBufferedBytes / 8
        self.maxFillingPartitions = maxFillingPartitions
        self.rotationIdle = rotationIdle
        self.rotationSlice = rotationSlice
        self.revokeTimeout = revokeTimeout
        self.retryInitialBackoff = retryInitialBackoff
        self.retryMaxBackoff = retryMaxBackoff
        self.configErrorRetryInterval = configErrorRetryInterval
    }

    /// The default topic's `{ext}`.
    public var fileExtension: String { defaultTopic.fileExtension }

    /// The settings of `topic`: those of the first rule that matches it, else ``defaultTopic``.
    public func topicSettings(for topic: String) -> TopicSettings {
        topicRuleIndex(for: topic).map { topicRules[$0].settings } ?? defaultTopic
    }

    /// The index in ``topicRules`` of the first rule that matches `topic`; `nil`: none does.
    public func topicRuleIndex(for topic: String) -> Int? {
        topicRules.firstIndex { $0.selector.matches(topic) }
    }

    /// Every topic's settings: the default and each rule's.
    public var allTopicSettings: [TopicSettings] { [defaultTopic] + topicRules.map(\.settings) }

    /// Whether any topic seals its finished segments.
    public var anyTopicSeals: Bool { allTopicSettings.contains(where: \.sealOnRollover) }

    /// The largest `batch.max_bytes` of any topic.
    public var largestBatchMaxBytes: Int { allTopicSettings.map(\.batchMaxBytes).max() ?? defaultTopic.batchMaxBytes }

    /// Checks the limits against each other and OSS's limits, for the whole sink and every topic; lists every
    /// problem at once.
    public func validate() throws(SinkSettingsError) {
        var problems: [String] = []
        if maxUncommittedBytes < 1 { problems.append("max_uncommitted_bytes must be at least 1 byte") }
        if resumeBelowBytes < 0 || resumeBelowBytes > maxBufferedBytes {
            problems.append("the resume watermark (\(resumeBelowBytes)) must be between 0 and max_buffered_bytes (\(maxBufferedBytes))")
        }
        if flushEarlyAboveBytes < 0 {
            problems.append("the early-flush watermark (\(flushEarlyAboveBytes)) must not be negative")
        }
        if maxFillingPartitions < 1 { problems.append("the filling partitions under memory pressure must be at least 1 (got \(maxFillingPartitions))") }
        if rotationIdle <= .zero || rotationSlice <= .zero { problems.append("the rotation idle time and slice must be positive") }
        if pauseAllAboveBytes < maxBufferedBytes {
            problems.append("the pause-all watermark (\(pauseAllAboveBytes)) must be at least max_buffered_bytes (\(maxBufferedBytes))")
        }
        var topics: [(label: String, name: String?, settings: TopicSettings)] = [("", nil, defaultTopic)]
        for rule in topicRules {
            let name: String? = if case .name(let name) = rule.selector { name } else { nil }
            topics.append(("topic \(rule.selector): ", name, rule.settings))
        }
        for topic in topics {
            problems += topic.settings.problems(topic: topic.name).map { topic.label + $0 }
            if maxBufferedBytes < topic.settings.batchMaxBytes {
                problems.append("\(topic.label)max_buffered_bytes (\(maxBufferedBytes)) must be at least batch max_bytes (\(topic.settings.batchMaxBytes))")
            }
        }
        if !problems.isEmpty { throw SinkSettingsError(problems: problems) }
    }
}

extension SinkSettings {
    /// The default topic's placement time (``TopicSettings/placementTime(timestampMs:timestampType:wallClockMs:)``).
    public func placementTime(timestampMs: Int64, timestampType: TimestampType, wallClockMs: Int64) -> Int64 {
        defaultTopic.placementTime(timestampMs: timestampMs, timestampType: timestampType, wallClockMs: wallClockMs)
    }
}

/// Settings that contradict each other or OSS's limits; `problems` names each one and what is allowed.
public struct SinkSettingsError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid sink settings: " + problems.joined(separator: "; ") }
}
