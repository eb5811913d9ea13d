public import ArchiveReading
public import SinkCore

/// What a replay will read and produce, partition by partition: the result of planning, printed by `--dry-run`.
public struct ReplayPlan: Sendable {
    /// One segment to read.
    public struct Segment: Sendable, Hashable {
        public var key: String
        /// The first offset its key names.
        public var firstOffset: Int64
        /// The next segment's first offset: records from there on are taken from the next segment (the later
        /// segment wins where two overlap). `nil` for the partition's last segment.
        public var endOffset: Int64?
        /// Its length when planned (HEAD): bytes appended later are left for the next run.
        public var bytes: UInt64
        /// What proves its bytes: its CRC-64 and, when the group's commit names it, the commit's.
        public var checkpoints: [CRCCheckpoint]
        public var storageClass: String?
        /// Why it cannot be read (cold storage without a restore, no CRC-64, shorter than the commit); the
        /// partition stops there.
        public var blocked: String?

        public init(
            key: String, firstOffset: Int64, endOffset: Int64?, bytes: UInt64, checkpoints: [CRCCheckpoint],
            storageClass: String? = nil, blocked: String? = nil
        ) {
            self.key = key
            self.firstOffset = firstOffset
            self.endOffset = endOffset
            self.bytes = bytes
            self.checkpoints = checkpoints
            self.storageClass = storageClass
            self.blocked = blocked
        }
    }

    /// One source partition.
    public struct Partition: Sendable, Hashable {
        public var source: Int32
        /// The target partition (`nil` with `--repartition`: by key).
        public var target: Int32?
        /// The last source offset already in the target (from its provenance headers): replay resumes after it.
        public var resumeAfter: Int64?
        public var segments: [Segment]
        /// Archived segments left out: wholly before the range or the resume point, or after the range.
        public var skippedSegments: Int
        /// The first and last offset that may be produced (`last` nil: up to the end of the archive).
        public var firstOffset: Int64?
        public var lastOffset: Int64?
        /// Offsets in that range: the records to produce when the topic has no offset gaps (compaction and
        /// transactions leave gaps) and no time range applies; an upper bound otherwise.
        public var records: Int64?
        public var bytes: UInt64 { segments.reduce(0) { $0 + $1.bytes } }
        /// Everything in range is already in the target.
        public var upToDate: Bool { segments.isEmpty }

        public init(
            source: Int32, target: Int32?, resumeAfter: Int64?, segments: [Segment], skippedSegments: Int,
            firstOffset: Int64?, lastOffset: Int64?, records: Int64?
        ) {
            self.source = source
            self.target = target
            self.resumeAfter = resumeAfter
            self.segments = segments
            self.skippedSegments = skippedSegments
            self.firstOffset = firstOffset
            self.lastOffset = lastOffset
            self.records = records
        }
    }

    public var sourceTopic: String
    public var targetTopic: String
    public var partitions: [Partition]
    /// Remarks worth printing before producing (retention, commits that could not be read, ...).
    public var notes: [String]

    public init(sourceTopic: String, targetTopic: String, partitions: [Partition], notes: [String] = []) {
        self.sourceTopic = sourceTopic
        self.targetTopic = targetTopic
        self.partitions = partitions
        self.notes = notes
    }

    public var bytes: UInt64 { partitions.reduce(0) { $0 + $1.bytes } }
    public var segmentCount: Int { partitions.reduce(0) { $0 + $1.segments.count } }
}

/// Planning decisions, without I/O.
public enum ReplayPlanner {
    /// The segments of one partition that may hold a record to produce, with the offset range each covers.
    ///
    /// Segment `i` covers `[first_i, first_{i+1})`; the last covers `[first, lastOffset]` (open-ended when
    /// `lastOffset` is unknown). A segment is read when that range can hold an offset in the selection after
    /// `resumeAfter`.
    public static func select(
        _ segments: [ArchivedSegment], lastOffset: Int64?, selection: ReplaySelection, resumeAfter: Int64?
    ) -> (read: [(segment: ArchivedSegment, endOffset: Int64?)], skipped: Int) {
        var read: [(ArchivedSegment, Int64?)] = []
        var skipped = 0
        for (index, segment) in segments.enumerated() {
            let end: Int64? = index + 1 < segments.count ? segments[index + 1].firstOffset : nil
            let upper: Int64? = end.map { $0 - 1 } ?? lastOffset
            if selection.mayProduce(offsets: segment.firstOffset, upTo: upper, resumeAfter: resumeAfter) {
                read.append((segment, end))
            } else {
                skipped += 1
            }
        }
        return (read, skipped)
    }

    /// The offsets a partition may produce and how many there are: from the first selected offset after the
    /// resume point to the last archived or selected offset.
    public static func offsetRange(
        read: [(segment: ArchivedSegment, endOffset: Int64?)], lastOffset: Int64?, selection: ReplaySelection,
        resumeAfter: Int64?
    ) -> (first: Int64?, last: Int64?, count: Int64?) {
        guard let firstSegment = read.first else { return (nil, nil, 0) }
        var first = max(firstSegment.segment.firstOffset, selection.fromOffset ?? 0)
        if let resumeAfter { first = max(first, resumeAfter + 1) }
        var last: Int64? = read.last!.endOffset.map { $0 - 1 } ?? lastOffset
        if let to = selection.toOffset { last = min(last ?? (to - 1), to - 1) }
        guard let last else { return (first, nil, nil) }
        return (first, last, max(0, last - first + 1))
    }

    /// The checkpoints of a segment: its CRC-64 at its length, and the commit's when the commit names it (as its
    /// segment, or as a finished segment it still lists).
    /// - Returns: the checkpoints, or why the segment cannot be trusted.
    public static func checkpoints(
        key: String, head: ArchivedObjectHead, commit: (offset: Int64, metadata: CommitMetadata)?
    ) -> (checkpoints: [CRCCheckpoint], blocked: String?) {
        guard let crc = head.crc64 else {
            return ([], "OSS reports no CRC-64 (x-oss-hash-crc64ecma) for \(key), so its bytes cannot be checked")
        }
        var checkpoints = [CRCCheckpoint(position: head.length, crc64: crc, source: .object)]
        // A finished segment the commit still lists (sealing or tagging not confirmed) is proven the same way.
        if let commit, let finishing = commit.metadata.finishing.first(where: { $0.key == key }) {
            let position = UInt64(finishing.length)
            if position > head.length {
                return ([], "\(key) is \(head.length) bytes but the group's committed offset \(commit.offset) says it was \(position) bytes: the object was truncated or replaced")
            }
            checkpoints.append(CRCCheckpoint(position: position, crc64: finishing.crc64, source: .commit(offset: commit.offset)))
        }
        if let commit, commit.metadata.key == key {
            let position = UInt64(commit.metadata.position)
            if position > head.length {
                return ([], "\(key) is \(head.length) bytes but the group's committed offset \(commit.offset) says it was \(position) bytes (pos=\(position)): the object was truncated or replaced")
            }
            if position < head.length || commit.metadata.crc64 != crc {
                checkpoints.append(CRCCheckpoint(position: position, crc64: commit.metadata.crc64, source: .commit(offset: commit.offset)))
            }
        }
        return (checkpoints, nil)
    }
}
