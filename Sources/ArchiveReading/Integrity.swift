import OSSChecksum

/// A point where the CRC-64/XZ of an object's first `position` bytes is known.
public struct CRCCheckpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Source: Sendable, Hashable {
        /// `x-oss-hash-crc64ecma` of the whole object (HEAD).
        case object
        /// The consumer group's committed offset metadata (`v1 key=… pos=… crc=…`) naming this object.
        case commit(offset: Int64)
    }

    public var position: UInt64
    public var crc64: UInt64
    public var source: Source

    public init(position: UInt64, crc64: UInt64, source: Source) {
        self.position = position
        self.crc64 = crc64
        self.source = source
    }

    public var description: String {
        switch source {
        case .object: "the CRC-64 OSS reports for the object (\(crc64) over \(position) bytes)"
        case .commit(let offset): "the committed offset \(offset)'s metadata (crc=\(crc64) at pos=\(position))"
        }
    }
}

/// The bytes of an object do not match one of its checkpoints.
public struct IntegrityFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var checkpoint: CRCCheckpoint
    /// The CRC-64 computed over the first `checkpoint.position` bytes.
    public var computed: UInt64
    /// The first bad byte range: from the end of the longest prefix proven good (0, or an earlier checkpoint that
    /// matched) to the checkpoint that failed.
    public var badRange: Range<UInt64>

    public var description: String {
        "bytes \(badRange.lowerBound)..<\(badRange.upperBound) are not what was written: their CRC-64 up to byte "
            + "\(checkpoint.position) is \(computed), but \(checkpoint)"
            + (badRange.lowerBound > 0 ? "; bytes 0..<\(badRange.lowerBound) match an earlier checkpoint" : "")
    }
}

/// Follows the CRC-64 of an object as its bytes stream by from byte 0 and checks it at each checkpoint.
public struct IntegrityTracker: Sendable {
    /// Sorted by position; the ones not reached yet.
    private var pending: [CRCCheckpoint]
    public private(set) var position: UInt64 = 0
    public private(set) var crc: UInt64 = 0
    /// The end of the longest prefix proven by a checkpoint so far.
    public private(set) var provenUpTo: UInt64 = 0

    public init(checkpoints: [CRCCheckpoint]) {
        pending = checkpoints.sorted { $0.position < $1.position }
    }

    /// Whether every checkpoint was reached and matched.
    public var isComplete: Bool { pending.isEmpty }

    /// The checkpoints not reached yet.
    public var remaining: [CRCCheckpoint] { pending }

    /// Continues over the next bytes; returns the first checkpoint they fail. Checkpoints at the position reached
    /// are checked as soon as it is reached.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> IntegrityFailure? {
        var rest = bytes
        while true {
            // Every checkpoint at this position must match before the prefix counts as proven.
            var reached = false
            while let next = pending.first, next.position == position {
                pending.removeFirst()
                if crc != next.crc64 {
                    return IntegrityFailure(checkpoint: next, computed: crc, badRange: provenUpTo..<next.position)
                }
                reached = true
            }
            if reached { provenUpTo = position }
            if rest.isEmpty { return nil }
            let take = pending.first.map { Int(min(UInt64(rest.count), $0.position - position)) } ?? rest.count
            crc = CRC64.update(crc, UnsafeRawBufferPointer(rebasing: rest[..<take]))
            position += UInt64(take)
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
        }
    }

    /// `feed` over an array.
    public mutating func feed(_ bytes: [UInt8]) -> IntegrityFailure? {
        bytes.withUnsafeBytes { feed($0) }
    }
}
