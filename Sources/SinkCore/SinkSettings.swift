public import Foundation

/// Everything `SinkCore` needs to decide; the shell builds this from the validated YAML config.
///
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
        /// One JSON object per line (README, Configuration: `format`). `valueAsJSON`: a value that is valid JSON is embedded
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

    public var keyTemplate: KeyTemplate
    /// The value of `{prefix}` (for example `"archive/"`).
    public var keyPrefix: String
    public var timestampSource: TimestampSource
    public var timeZone: TimeZone
    public var format: Format
    public var compression: Compression
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
    /// (`sink.rollover.seal`). Segments are tagged either way.
    public var sealOnRollover: Bool
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
        configErrorRetryInterval: Duration = .seconds(10)
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

    /// Checks the limits against each other and OSS's limits; lists every problem at once.
    public func validate() throws(SinkSettingsError) {
        var problems: [String] = []
        if batchMaxBytes < 1 { problems.append("batch max_bytes must be at least 1 byte (got \(batchMaxBytes))") }
        if batchMaxRecords < 1 { problems.append("batch max_records must be at least 1 (got \(batchMaxRecords))") }
        if linger < .zero { problems.append("batch linger must not be negative") }
        if maxObjectBytes < 1 || maxObjectBytes > Self.objectSizeHardCap {
            problems.append("rollover max_object_bytes must be between 1 byte and 5GiB, the OSS limit for appendable objects (got \(maxObjectBytes))")
        }
        if batchMaxBytes > maxObjectBytes {
            problems.append("batch max_bytes (\(batchMaxBytes)) must not exceed rollover max_object_bytes (\(maxObjectBytes))")
        }
        if maxSegmentAge <= .zero { problems.append("rollover max_age must be positive") }
        if maxUncommittedBytes < 1 { problems.append("max_uncommitted_bytes must be at least 1 byte") }
        if maxBufferedBytes < batchMaxBytes {
            problems.append("max_buffered_bytes (\(maxBufferedBytes)) must be at least batch max_bytes (\(batchMaxBytes))")
        }
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
        let sample = keyTemplate.render(prefix: keyPrefix, topic: "topic", partition: 0, offset: 0,
                                        time: LocalTime(year: 2024, month: 1, day: 1, hour: 0, minute: 0), ext: fileExtension)
        if sample.hasPrefix("/") || sample.hasPrefix("\\") {
            problems.append("object keys would start with '\(sample.prefix(1))' (\"\(sample)\"): remove the leading slash from the prefix or key_template")
        }
        if sample.utf8.count + 249 > 1023 {
            problems.append("the key prefix and template are too long: keys could pass OSS's 1023-byte limit with a 249-character topic name")
        }
        if !problems.isEmpty { throw SinkSettingsError(problems: problems) }
    }
}

extension SinkSettings {
    /// The time (epoch ms) that places a record in a time bucket: its Kafka timestamp with `timestamp_source:
    /// record` (the wall clock when it has none), otherwise the wall clock when it arrived.
    public func placementTime(timestampMs: Int64, timestampType: TimestampType, wallClockMs: Int64) -> Int64 {
        switch timestampSource {
        case .wallClock: wallClockMs
        case .record: timestampType == .notAvailable || timestampMs < 0 ? wallClockMs : timestampMs
        }
    }
}

/// Settings that contradict each other or OSS's limits; `problems` names each one and what is allowed.
public struct SinkSettingsError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "invalid sink settings: " + problems.joined(separator: "; ") }
}
