public import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The part of ``SinkSettings`` a topic may have for itself (a `kafka.topics` entry): how its records are
/// rendered and compressed, where its segments go, how they are batched and when they roll over. Everything else
/// (memory, uncommitted bytes, appends in flight, retries, intake rotation) belongs to the whole sink.
public struct TopicSettings: Sendable, Hashable {
    public var keyTemplate: KeyTemplate
    /// The value of `{prefix}` (for example `"archive/"`).
    public var keyPrefix: String
    public var timestampSource: SinkSettings.TimestampSource
    public var timeZone: TimeZone
    public var format: SinkSettings.Format
    public var compression: SinkSettings.Compression
    /// Flush a partition's buffer when it holds this many rendered (uncompressed) bytes.
    public var batchMaxBytes: Int
    /// Flush a partition's buffer when it holds this many records.
    public var batchMaxRecords: Int
    /// Flush a partition's buffer this long after its oldest buffered record arrived.
    public var linger: Duration
    /// Roll over before an append that would make the object larger than this (≤ 5 GiB).
    public var maxObjectBytes: Int
    /// Roll over before appending to a segment opened longer ago than this.
    public var maxSegmentAge: Duration
    /// Seal a segment that rolled over (size, age, time bucket) at its committed length before tagging it
    /// (`rollover.seal`). Segments are tagged either way.
    public var sealOnRollover: Bool

    public init(
        keyTemplate: KeyTemplate = .default,
        keyPrefix: String = "",
        timestampSource: SinkSettings.TimestampSource = .record,
        timeZone: TimeZone = TimeZone(identifier: "UTC")!,
        format: SinkSettings.Format = .jsonl(valueAsJSON: false),
        compression: SinkSettings.Compression = .none,
        batchMaxBytes: Int = 4 * 1024 * 1024,
        batchMaxRecords: Int = 100_000,
        linger: Duration = .seconds(1),
        maxObjectBytes: Int = 4 * 1024 * 1024 * 1024,
        maxSegmentAge: Duration = .seconds(24 * 3600),
        sealOnRollover: Bool = false
    ) {
        self.keyTemplate = keyTemplate
        self.keyPrefix = keyPrefix
        self.timestampSource = timestampSource
        self.timeZone = timeZone
        self.format = format
        self.compression = compression
        self.batchMaxBytes = batchMaxBytes
        self.batchMaxRecords = batchMaxRecords
        self.linger = linger
        self.maxObjectBytes = maxObjectBytes
        self.maxSegmentAge = maxSegmentAge
        self.sealOnRollover = sealOnRollover
    }

    /// The `{ext}` value: `.jsonl` or `.bin`, plus `.gz` or `.zst`.
    public var fileExtension: String {
        let base = switch format {
        case .jsonl: ".jsonl"
        case .raw: ".bin"
        }
        switch compression {
        case .none: return base
        case .gzip: return base + ".gz"
        case .zstd: return base + ".zst"
        }
    }

    /// The time (epoch ms) that places a record in a time bucket: its Kafka timestamp with `timestamp_source:
    /// record` (the wall clock when it has none), otherwise the wall clock when it arrived.
    public func placementTime(timestampMs: Int64, timestampType: TimestampType, wallClockMs: Int64) -> Int64 {
        switch timestampSource {
        case .wallClock: wallClockMs
        case .record: timestampType == .notAvailable || timestampMs < 0 ? wallClockMs : timestampMs
        }
    }

    /// What is wrong with these settings on their own, each problem a sentence.
    ///
    /// - Parameter topic: the one topic the settings serve (a name rule); `nil`: any number of topics (a pattern,
    ///   or the default), so the key template must contain `{topic}` and leave room for 249-character names.
    func problems(topic: String?) -> [String] {
        var problems: [String] = []
        if batchMaxBytes < 1 { problems.append("batch max_bytes must be at least 1 byte (got \(batchMaxBytes))") }
        if batchMaxRecords < 1 { problems.append("batch max_records must be at least 1 (got \(batchMaxRecords))") }
        if linger < .zero { problems.append("batch linger must not be negative") }
        if maxObjectBytes < 1 || maxObjectBytes > SinkSettings.objectSizeHardCap {
            problems.append("rollover max_object_bytes must be between 1 byte and 5GiB, the OSS limit for appendable objects (got \(maxObjectBytes))")
        }
        if batchMaxBytes > maxObjectBytes {
            problems.append("batch max_bytes (\(batchMaxBytes)) must not exceed rollover max_object_bytes (\(maxObjectBytes))")
        }
        if maxSegmentAge <= .zero { problems.append("rollover max_age must be positive") }
        switch compression {
        case .none: break
        case .gzip(let level):
            if !(0...9).contains(level) { problems.append("gzip level must be 0...9 (got \(level))") }
        case .zstd(let level):
            if !(1...22).contains(level) { problems.append("zstd level must be 1...22 (got \(level))") }
        }
        if case .raw(let delimiter) = format, delimiter.count > 16 {
            problems.append("raw_delimiter must be at most 16 bytes")
        }
        if topic == nil && !keyTemplate.hasTopic {
            problems.append("the key template \"\(keyTemplate)\" has no {topic}, but more than one topic may use it: their segments would share keys; add {topic}")
        }
        let sample = keyTemplate.render(prefix: keyPrefix, topic: topic ?? "topic", partition: 0, offset: 0,
                                        time: LocalTime(year: 2024, month: 1, day: 1, hour: 0, minute: 0), ext: fileExtension)
        if sample.hasPrefix("/") || sample.hasPrefix("\\") {
            problems.append("object keys would start with '\(sample.prefix(1))' (\"\(sample)\"): remove the leading slash from the prefix or key_template")
        }
        if let topic, sample.utf8.count > 1023 {
            problems.append("the key prefix and template are too long: keys of topic \(topic) would pass OSS's 1023-byte limit")
        } else if topic == nil, sample.utf8.count + 249 > 1023 {
            problems.append("the key prefix and template are too long: keys could pass OSS's 1023-byte limit with a 249-character topic name")
        }
        return problems
    }
}

/// Which topics a ``TopicRule`` applies to: one name, or the topics a regular expression matches.
public enum TopicSelector: Sendable, Hashable, CustomStringConvertible {
    case name(String)
    /// A POSIX extended regular expression, as librdkafka matches subscriptions (the leading `^` is kept).
    case pattern(String)

    public var description: String {
        switch self {
        case .name(let name): name
        case .pattern(let pattern): pattern
        }
    }

    /// Whether `topic` is this name, or matched by this pattern (`regexec`, POSIX extended, as librdkafka
    /// matches its subscription; a pattern that does not compile matches nothing).
    public func matches(_ topic: String) -> Bool {
        switch self {
        case .name(let name):
            return name == topic
        case .pattern(let pattern):
            var regex = regex_t()
            guard regcomp(&regex, pattern, REG_EXTENDED | REG_NOSUB) == 0 else { return false }
            defer { regfree(&regex) }
            return regexec(&regex, topic, 0, nil, 0) == 0
        }
    }
}

/// Settings for the topics a selector picks (a `kafka.topics` entry): the first rule that matches a topic
/// applies to it.
public struct TopicRule: Sendable, Hashable {
    public var selector: TopicSelector
    public var settings: TopicSettings

    public init(_ selector: TopicSelector, _ settings: TopicSettings) {
        self.selector = selector
        self.settings = settings
    }
}

/// One topic's settings with what the core derives from them, built once per topic and shared by its
/// partitions.
final class TopicEnvironment: Sendable {
    let settings: TopicSettings
    let renderer: RecordRenderer
    let buckets: TimeBuckets
    let ext: String
    /// The `segment.format` tag of its finished segments.
    let formatTag: String

    init(_ settings: TopicSettings) {
        self.settings = settings
        renderer = RecordRenderer(format: settings.format)
        buckets = TimeBuckets(timeZone: settings.timeZone, granularity: settings.keyTemplate.timeGranularity)
        ext = settings.fileExtension
        formatTag = SegmentTags.formatValue(settings)
    }
}
