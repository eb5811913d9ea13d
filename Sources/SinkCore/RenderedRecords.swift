/// Rendered (uncompressed) records of one partition, in offset order, with per-record boundaries.
///
/// Records are rendered once, on arrival, straight into `bytes`; batches are cut from the front. Memory is the
/// live bytes only: emptied buffers release their storage. A buffer that starts after a batch was cut reserves
/// that batch's size at once instead of doubling up to it, which would allocate, copy and fault in fresh memory
/// at every step.
struct RenderedRecords: Sendable {
    var bytes: [UInt8] = []
    /// End index in `bytes` of each record (absolute, including consumed ones before `head`).
    var ends: [Int] = []
    var offsets: [Int64] = []
    /// Time (epoch ms) that places each record in a time bucket.
    var times: [Int64] = []
    var head = 0
    /// Bytes and records of the last batch cut from the front: what the next buffer reserves when it starts.
    var capacityHint = 0
    var countHint = 0

    var count: Int { ends.count - head }
    var isEmpty: Bool { head == ends.count }
    var startByte: Int { head == 0 ? 0 : ends[head - 1] }
    var liveBytes: Int { bytes.count - startByte }
    /// Memory held: the allocated capacity of the byte and per-record index storage (not just the live bytes).
    var allocatedBytes: Int {
        bytes.capacity + (ends.capacity + offsets.capacity + times.capacity) * MemoryLayout<Int64>.stride
    }

    func range(_ i: Int) -> Range<Int> {
        let k = head + i
        return (k == 0 ? 0 : ends[k - 1])..<ends[k]
    }

    func offset(_ i: Int) -> Int64 { offsets[head + i] }
    func time(_ i: Int) -> Int64 { times[head + i] }

    /// Bytes of the first `k` live records.
    func bytes(first k: Int) -> Int { k == 0 ? 0 : ends[head + k - 1] - startByte }

    mutating func append(_ record: SinkRecord, time: Int64, renderer: RecordRenderer) {
        if ends.capacity == 0 && countHint > 0 {
            bytes.reserveCapacity(capacityHint)
            ends.reserveCapacity(countHint)
            offsets.reserveCapacity(countHint)
            times.reserveCapacity(countHint)
        }
        renderer.render(record, into: &bytes)
        ends.append(bytes.count)
        offsets.append(record.offset)
        times.append(time)
    }

    /// Empties the buffer and releases its storage (the size hints stay).
    mutating func removeAll() {
        self = RenderedRecords(capacityHint: capacityHint, countHint: countHint)
    }

    /// Drops the first `k` live records.
    mutating func dropFirst(_ k: Int) {
        head += k
        if head == ends.count {
            removeAll()
        } else if head >= 1024 && startByte >= bytes.count / 2 {
            compact()
        }
    }

    mutating func compact() {
        let shift = startByte
        bytes.removeFirst(shift)
        ends.removeFirst(head)
        offsets.removeFirst(head)
        times.removeFirst(head)
        for i in ends.indices { ends[i] -= shift }
        head = 0
    }

    /// Removes and returns the first `k` live records as their own buffer (moved, not copied, when `k` is all).
    mutating func takeFirst(_ k: Int) -> RenderedRecords {
        if k == count {
            if head > 0 { compact() }
            let all = self
            self = RenderedRecords(capacityHint: all.bytes.count, countHint: all.ends.count)
            return all
        }
        let start = startByte
        let end = ends[head + k - 1]
        var out = RenderedRecords()
        out.bytes = Array(bytes[start..<end])
        out.ends = ends[head..<(head + k)].map { $0 - start }
        out.offsets = Array(offsets[head..<(head + k)])
        out.times = Array(times[head..<(head + k)])
        dropFirst(k)
        capacityHint = end - start
        countHint = k
        return out
    }

    /// Puts `other` (records that precede everything here) back in front.
    mutating func prepend(_ other: RenderedRecords) {
        var merged = other
        if merged.head > 0 { merged.compact() }
        let shift = merged.bytes.count
        let start = startByte
        merged.bytes.append(contentsOf: bytes[start...])
        merged.ends.append(contentsOf: ends[head...].map { $0 - start + shift })
        merged.offsets.append(contentsOf: offsets[head...])
        merged.times.append(contentsOf: times[head...])
        self = merged
    }

    var firstOffset: Int64? { isEmpty ? nil : offsets[head] }
    var lastOffset: Int64? { isEmpty ? nil : offsets[ends.count - 1] }
}
