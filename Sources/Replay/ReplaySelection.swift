/// Which archived records a replay produces: partitions, an offset range and a time range, all optional.
///
/// Ranges are half-open, like Kafka's end offsets: `fromOffset` and `fromTimeMs` are included, `toOffset` and
/// `toTimeMs` are not. Time is the record's archived timestamp (CreateTime or LogAppendTime); with a time range,
/// records without a timestamp are left out. Offsets ascend within a partition's archive, so the first offset at
/// or past `toOffset` ends the partition; timestamps need not ascend, so the time range is checked per record.
public struct ReplaySelection: Sendable, Hashable {
    /// `nil`: every archived partition.
    public var partitions: Set<Int32>?
    public var fromOffset: Int64?
    public var toOffset: Int64?
    /// Milliseconds since the epoch.
    public var fromTimeMs: Int64?
    public var toTimeMs: Int64?

    public init(
        partitions: Set<Int32>? = nil, fromOffset: Int64? = nil, toOffset: Int64? = nil, fromTimeMs: Int64? = nil,
        toTimeMs: Int64? = nil
    ) {
        self.partitions = partitions
        self.fromOffset = fromOffset
        self.toOffset = toOffset
        self.fromTimeMs = fromTimeMs
        self.toTimeMs = toTimeMs
    }

    public var hasTimeRange: Bool { fromTimeMs != nil || toTimeMs != nil }

    /// Why the options cannot select anything, or `nil`.
    public var problem: String? {
        if let from = fromOffset, let to = toOffset, to <= from {
            return "--to-offset \(to) must be greater than --from-offset \(from) (the range is from-offset inclusive to to-offset exclusive)"
        }
        if let from = fromTimeMs, let to = toTimeMs, to <= from {
            return "--to-time must be later than --from-time (the range is from-time inclusive to to-time exclusive)"
        }
        if let from = fromOffset, from < 0 { return "--from-offset must not be negative" }
        if let to = toOffset, to < 0 { return "--to-offset must not be negative" }
        return nil
    }

    /// What to do with one archived record of a partition.
    public enum Decision: Sendable, Hashable {
        case produce
        /// Before `fromOffset`.
        case beforeRange
        /// At or past `toOffset`: this and every later record of the partition are out of range.
        case pastRange
        /// Outside the time range.
        case outsideTime
        /// No timestamp while a time range is given.
        case noTimestamp
    }

    /// The decision for a record at `offset` with `timestampMs` (`nil`: not available).
    public func decide(offset: Int64, timestampMs: Int64?) -> Decision {
        if let fromOffset, offset < fromOffset { return .beforeRange }
        if let toOffset, offset >= toOffset { return .pastRange }
        if hasTimeRange {
            guard let timestampMs else { return .noTimestamp }
            if let fromTimeMs, timestampMs < fromTimeMs { return .outsideTime }
            if let toTimeMs, timestampMs >= toTimeMs { return .outsideTime }
        }
        return .produce
    }

    /// Whether offsets `range` (inclusive bounds; `upperBound` nil: open-ended) can hold a selected record that
    /// comes after `resumeAfter` (the last source offset already in the target, if any).
    public func mayProduce(offsets lower: Int64, upTo upper: Int64?, resumeAfter: Int64?) -> Bool {
        var start = max(lower, fromOffset ?? lower)
        if let resumeAfter { start = max(start, resumeAfter + 1) }
        if let upper, upper < start { return false }
        if let toOffset, start >= toOffset { return false }
        return true
    }
}
