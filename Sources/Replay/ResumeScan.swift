public import KafkaBridge

/// Where earlier runs stopped, read from the provenance headers of one target partition, newest record first.
///
/// Records are fed window by window from the end of the partition backwards. For each wanted source partition the
/// newest record that names it gives the last source offset already produced there. Records without provenance
/// (another producer writes to the target) are counted and passed over; a record replayed from another source topic
/// (or, without `--repartition`, from another partition) means another replay writes here: a conflict.
public struct ResumeScan: Sendable {
    public let sourceTopic: String
    /// The source partitions whose position is wanted.
    public let wanted: Set<Int32>
    /// Without `--repartition` only the source partition with the target's number may appear in it.
    public let onlySource: Int32?
    /// Source partition to the last source offset found.
    public private(set) var found: [Int32: Int64] = [:]
    /// Records without provenance newer than every wanted position found so far.
    public private(set) var foreignRecords = 0
    /// The newest record that names another source, and its offset in the target.
    public private(set) var conflict: (provenance: Provenance, targetOffset: Int64)?

    public init(sourceTopic: String, wanted: Set<Int32>, onlySource: Int32?) {
        self.sourceTopic = sourceTopic
        self.wanted = wanted
        self.onlySource = onlySource
    }

    /// Every wanted position was found (or a conflict ends the scan).
    public var isComplete: Bool { conflict != nil || wanted.isSubset(of: found.keys) }

    /// Feeds the records of one window (ascending target offsets), all older than every window fed before.
    public mutating func feed(_ records: [(targetOffset: Int64, provenance: Provenance?)]) {
        for record in records.reversed() {
            guard !isComplete else { return }
            guard let provenance = record.provenance else {
                if found.isEmpty { foreignRecords += 1 }
                continue
            }
            if provenance.topic != sourceTopic || (onlySource != nil && provenance.partition != onlySource) {
                conflict = (provenance, record.targetOffset)
                return
            }
            if found[provenance.partition] == nil { found[provenance.partition] = provenance.offset }
        }
    }

    /// Feeds consumed records.
    public mutating func feed(_ records: [KafkaRecord]) {
        feed(records.map { record in
            (record.offset, Provenance.of(headers: record.headers, name: \.key, value: \.value))
        })
    }
}
