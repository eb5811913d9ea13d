/// Rendered (uncompressed) bytes, `storage[range]`, holding whole records. Pieces cut from one storage share it.
struct Piece: Sendable {
    var storage: [UInt8]
    var range: Range<Int>

    var count: Int { range.count }
    var slice: ArraySlice<UInt8> { storage[range] }
    /// Where the storage is: pieces with the same address share it.
    var address: UnsafeRawPointer? { storage.withUnsafeBytes { $0.baseAddress } }
}

/// Rendered (uncompressed) records of one partition, in offset order, with per-record boundaries.
///
/// The bytes are pieces laid back to back: sealed `pieces` (runs rendered elsewhere and adopted as they are, or
/// earlier tails), then `tail`, where records rendered here go. Nothing is copied to append a run, to cut a batch
/// from the front (a piece is split by slicing), or to put a batch back. Positions (`ends`, `pieceEnds`,
/// `tailStart`) are absolute: they count consumed bytes before `head` too.
///
/// Memory is counted by allocated storage, each storage once (pieces cut from one storage share it; see
/// ``sharedBytes(with:)`` for a batch cut from the front). Emptied buffers release their storage.
/// A tail that starts after a batch was cut reserves that batch's size at once instead of doubling up to it,
/// which would allocate, copy and fault in fresh memory at every step.
struct RenderedRecords: Sendable {
    /// Pieces before `pieceHead` are consumed.
    var pieces: [Piece] = []
    /// Absolute end of each piece.
    var pieceEnds: [Int] = []
    var pieceHead = 0
    /// Allocated bytes of the live pieces' storage, each storage once.
    var pieceStorageBytes = 0
    var tail: [UInt8] = []
    /// Absolute position of `tail[0]`: the end of the pieces.
    var tailStart = 0
    /// Absolute end of each record (including consumed ones before `head`).
    var ends: [Int] = []
    var offsets: [Int64] = []
    /// Time (epoch ms) that places each record in a time bucket.
    var times: [Int64] = []
    var head = 0
    /// Bytes and records of the last batch cut from the front: what the next tail reserves when it starts.
    var capacityHint = 0
    var countHint = 0

    var count: Int { ends.count - head }
    var isEmpty: Bool { head == ends.count }
    var startByte: Int { head == 0 ? 0 : ends[head - 1] }
    var endByte: Int { tailStart + tail.count }
    var liveBytes: Int { endByte - startByte }
    /// Live pieces.
    var livePieces: ArraySlice<Piece> { pieces[pieceHead...] }
    /// Memory held: the allocated storage of the pieces (each storage once) and the tail, and the per-record and
    /// per-piece index storage.
    var allocatedBytes: Int {
        pieceStorageBytes + tail.capacity + pieces.capacity * MemoryLayout<Piece>.stride
            + (ends.capacity + offsets.capacity + times.capacity + pieceEnds.capacity) * MemoryLayout<Int64>.stride
    }

    /// The storage this buffer's last piece shares with `next`'s first piece (a batch cut from the front of `next`
    /// inside one piece): counted in both `allocatedBytes`, held once.
    func sharedBytes(with next: RenderedRecords) -> Int {
        guard let last = livePieces.last, let first = next.livePieces.first, last.address == first.address else { return 0 }
        return last.storage.capacity
    }

    /// Absolute position range of live record `i`.
    func range(_ i: Int) -> Range<Int> {
        let k = head + i
        return (k == 0 ? 0 : ends[k - 1])..<ends[k]
    }

    func offset(_ i: Int) -> Int64 { offsets[head + i] }
    func time(_ i: Int) -> Int64 { times[head + i] }

    /// Bytes of the first `k` live records.
    func bytes(first k: Int) -> Int { k == 0 ? 0 : ends[head + k - 1] - startByte }

    /// Index of the first live piece that ends after absolute `position` (`pieces.count` when none does).
    func pieceIndex(after position: Int) -> Int {
        var lo = pieceHead
        var hi = pieces.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pieceEnds[mid] <= position { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The bytes in the absolute range `r` (within the live records), as pieces of the storage they are in.
    func pieces(in r: Range<Int>) -> [Piece] {
        var out: [Piece] = []
        var i = pieceIndex(after: r.lowerBound)
        while i < pieces.count {
            let piece = pieces[i]
            let start = pieceEnds[i] - piece.count
            guard start < r.upperBound else { break }
            let lower = max(r.lowerBound, start)
            let upper = min(r.upperBound, pieceEnds[i])
            if lower < upper {
                let base = piece.range.lowerBound - start
                out.append(Piece(storage: piece.storage, range: (base + lower)..<(base + upper)))
            }
            i += 1
        }
        let lower = max(r.lowerBound, tailStart)
        let upper = min(r.upperBound, endByte)
        if lower < upper { out.append(Piece(storage: tail, range: (lower - tailStart)..<(upper - tailStart))) }
        return out
    }

    /// The live bytes, piece by piece.
    var liveSlices: [ArraySlice<UInt8>] { pieces(in: startByte..<endByte).map(\.slice) }

    /// The live bytes in one array (a copy; for compression and tests).
    func joinedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(liveBytes)
        for slice in liveSlices { out.append(contentsOf: slice) }
        return out
    }

    /// Calls `body` with the bytes of live record `i` (a record never spans two pieces).
    func withBytes<R>(ofRecord i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let r = range(i)
        if r.lowerBound >= tailStart {
            return tail.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[(r.lowerBound - tailStart)..<(r.upperBound - tailStart)])) }
        }
        let k = pieceIndex(after: r.lowerBound)
        let piece = pieces[k]
        let base = piece.range.lowerBound - (pieceEnds[k] - piece.count)
        return piece.storage.withUnsafeBufferPointer {
            body(UnsafeBufferPointer(rebasing: $0[(base + r.lowerBound)..<(base + r.upperBound)]))
        }
    }

    mutating func append(_ record: RecordView, time: Int64, renderer: RecordRenderer) {
        reserveHinted()
        renderer.render(record, into: &tail)
        ends.append(endByte)
        offsets.append(record.offset)
        times.append(time)
    }

    /// Appends the live records of `other` (records that follow everything here) without copying their bytes.
    mutating func append(contentsOf other: RenderedRecords) {
        append(records: 0..<other.count, of: other)
    }

    /// Appends live records `r` of `other` (records that follow everything here) without copying their bytes.
    mutating func append(records r: Range<Int>, of other: RenderedRecords) {
        guard !r.isEmpty else { return }
        reserveHintedIndexes()
        seal()
        let from = other.range(r.lowerBound).lowerBound
        let to = other.range(r.upperBound - 1).upperBound
        let shift = endByte - from
        for piece in other.pieces(in: from..<to) { appendPiece(piece) }
        let live = (other.head + r.lowerBound)..<(other.head + r.upperBound)
        ends.append(contentsOf: other.ends[live].lazy.map { $0 + shift })
        offsets.append(contentsOf: other.offsets[live])
        times.append(contentsOf: other.times[live])
    }

    /// Adds `piece` after the pieces (the tail must be empty).
    private mutating func appendPiece(_ piece: Piece) {
        if pieceHead == pieces.count || pieces[pieces.count - 1].address != piece.address {
            pieceStorageBytes += piece.storage.capacity
        }
        tailStart += piece.count
        pieces.append(piece)
        pieceEnds.append(tailStart)
    }

    /// Moves the tail into the pieces (no copy); the next record rendered here starts a new tail.
    mutating func seal() {
        guard !tail.isEmpty else { return }
        let piece = Piece(storage: tail, range: 0..<tail.count)
        tail = []
        appendPiece(piece)
    }

    /// A tail that starts after a batch was cut reserves that batch's size at once.
    private mutating func reserveHinted() {
        if tail.capacity == 0 && countHint > 0 { tail.reserveCapacity(capacityHint) }
        reserveHintedIndexes()
    }

    /// Index storage that starts after a batch was cut reserves that batch's record count at once.
    private mutating func reserveHintedIndexes() {
        if ends.capacity == 0 && countHint > 0 {
            ends.reserveCapacity(countHint)
            offsets.reserveCapacity(countHint)
            times.reserveCapacity(countHint)
        }
    }

    /// Empties the buffer and releases its storage (the size hints stay).
    mutating func removeAll() {
        self = RenderedRecords(capacityHint: capacityHint, countHint: countHint)
    }

    /// Drops the first `k` live records.
    mutating func dropFirst(_ k: Int) {
        guard k > 0 else { return }
        head += k
        if head == ends.count {
            removeAll()
            return
        }
        seal()
        let start = startByte
        while pieceHead < pieces.count && pieceEnds[pieceHead] <= start {
            let gone = pieces[pieceHead]
            pieces[pieceHead].storage = []
            pieceHead += 1
            if pieceHead == pieces.count || pieces[pieceHead].address != gone.address {
                pieceStorageBytes -= gone.storage.capacity
            }
        }
        if pieceHead < pieces.count {
            let first = pieces[pieceHead]
            let pieceStart = pieceEnds[pieceHead] - first.count
            pieces[pieceHead].range = (first.range.lowerBound + start - pieceStart)..<first.range.upperBound
        }
        if pieceHead >= 64 && pieceHead >= pieces.count / 2 {
            pieces.removeFirst(pieceHead)
            pieceEnds.removeFirst(pieceHead)
            pieceHead = 0
        }
        if head >= 1024 && head >= ends.count / 2 { compact() }
    }

    /// Forgets consumed records: positions restart at 0 from the first live byte.
    mutating func compact() {
        let shift = startByte
        ends.removeFirst(head)
        offsets.removeFirst(head)
        times.removeFirst(head)
        for i in ends.indices { ends[i] -= shift }
        for i in pieceEnds.indices { pieceEnds[i] -= shift }
        tailStart -= shift
        head = 0
    }

    /// Removes and returns the first `k` live records as their own buffer (bytes shared, not copied).
    mutating func takeFirst(_ k: Int) -> RenderedRecords {
        if k == count {
            seal()
            if head > 0 { compact() }
            let all = self
            self = RenderedRecords(capacityHint: all.liveBytes, countHint: all.count)
            return all
        }
        var out = RenderedRecords()
        out.append(records: 0..<k, of: self)
        let taken = out.liveBytes
        dropFirst(k)
        capacityHint = taken
        countHint = k
        return out
    }

    /// Puts `other` (records that precede everything here) back in front.
    mutating func prepend(_ other: RenderedRecords) {
        var merged = RenderedRecords(capacityHint: other.capacityHint, countHint: other.countHint)
        merged.append(contentsOf: other)
        merged.append(contentsOf: self)
        self = merged
    }

    var firstOffset: Int64? { isEmpty ? nil : offsets[head] }
    var lastOffset: Int64? { isEmpty ? nil : offsets[ends.count - 1] }
}

/// Records of one partition rendered outside the core, for ``SinkEvent/rendered(_:)``: the shell renders them on
/// the consumer's poll thread straight from librdkafka's message buffers, so the core's thread only appends the
/// finished bytes.
public struct RenderedRun: Sendable {
    public let topicPartition: TopicPartition
    /// Key plus value bytes of the records, as consumed (for metrics).
    public private(set) var payloadBytes = 0
    /// The partition's high watermark when the run was delivered, as the consumer last saw it (nil: unknown).
    /// A partition whose next offset reaches it has nothing more to fetch for now: it is caught up.
    public var highWatermark: Int64?
    var records = RenderedRecords()

    /// An empty run with room for `bytes` of rendered records and `records` records.
    public init(topicPartition: TopicPartition, reservingBytes bytes: Int = 0, records: Int = 0) {
        self.topicPartition = topicPartition
        self.records.tail.reserveCapacity(bytes)
        self.records.ends.reserveCapacity(records)
        self.records.offsets.reserveCapacity(records)
        self.records.times.reserveCapacity(records)
    }

    public var count: Int { records.count }
    /// Rendered bytes.
    public var renderedBytes: Int { records.liveBytes }

    /// Renders `record` (the next offset of this partition) after the others; `time` places it in a time bucket
    /// (``SinkSettings/placementTime(timestampMs:timestampType:wallClockMs:)``).
    public mutating func append(_ record: RecordView, time: Int64, renderer: RecordRenderer) {
        records.append(record, time: time, renderer: renderer)
        payloadBytes += (record.key?.count ?? 0) + (record.value?.count ?? 0)
    }

    /// The runs of consecutive records of one partition in `records`, rendered as the core renders them (each
    /// with its topic's format and timestamp source, ``SinkSettings/topicSettings(for:)``).
    public static func runs(of records: [SinkRecord], settings: SinkSettings, wallClockMs: Int64) -> [RenderedRun] {
        var topics: [String: TopicEnvironment] = [:]
        return runs(of: records, wallClockMs: wallClockMs) { topic in
            if let known = topics[topic] { return known }
            let resolved = TopicEnvironment(settings.topicSettings(for: topic))
            topics[topic] = resolved
            return resolved
        }
    }

    static func runs(of records: [SinkRecord], wallClockMs: Int64,
                     topic: (String) -> TopicEnvironment) -> [RenderedRun] {
        var runs: [RenderedRun] = []
        var current: TopicEnvironment?
        for record in records {
            if runs.last?.topicPartition != record.topicPartition {
                runs.append(RenderedRun(topicPartition: record.topicPartition))
                current = topic(record.topic)
            }
            let settings = current!.settings
            let time = settings.placementTime(timestampMs: record.timestampMs, timestampType: record.timestampType,
                                              wallClockMs: wallClockMs)
            let renderer = current!.renderer
            record.withView { runs[runs.count - 1].append($0, time: time, renderer: renderer) }
        }
        return runs
    }
}
