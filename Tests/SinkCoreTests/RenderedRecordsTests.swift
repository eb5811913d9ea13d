@testable import SinkCore
import SinkTesting
import Testing

let rawRenderer = RecordRenderer(format: .raw(delimiter: [0x0A]))

/// `range` rendered as raw records of `size` bytes each.
func filled(_ range: ClosedRange<Int64>, size: Int) -> RenderedRecords {
    var buffer = RenderedRecords()
    for r in records(tp0, range, size: size) { buffer.append(r, time: r.timestampMs, renderer: rawRenderer) }
    return buffer
}

@Suite struct RenderedRecordsTests {
    let renderer = rawRenderer

    @Test func aBufferStartedAfterAWholeBatchWasCutReservesThatBatchAtOnce() {
        var buffer = filled(0...99, size: 1000)
        let batch = buffer.takeFirst(100)
        #expect(batch.count == 100 && batch.liveBytes == 100 * 1001)
        // Emptied: nothing is held until a record arrives.
        #expect(buffer.isEmpty && buffer.allocatedBytes == 0)
        buffer.append(record(tp0, 100, value: "x"), time: 0, renderer: renderer)
        #expect(buffer.tail.capacity >= 100 * 1001)
        #expect(buffer.ends.capacity >= 100 && buffer.offsets.capacity >= 100 && buffer.times.capacity >= 100)
        // The reservation counts against the memory bound as soon as it is made.
        #expect(buffer.allocatedBytes >= 100 * 1001 + 3 * 100 * 8)
        #expect(buffer.joinedBytes() == Array("x\n".utf8) && buffer.firstOffset == 100)
    }

    @Test func cuttingTheFrontHintsTheCutSizeAndKeepsTheRest() {
        var buffer = filled(0...9, size: 99)
        let batch = buffer.takeFirst(4)
        #expect(batch.count == 4 && batch.liveBytes == 400 && batch.offsets == [0, 1, 2, 3])
        #expect(buffer.count == 6 && buffer.firstOffset == 4 && buffer.lastOffset == 9)
        #expect(buffer.capacityHint == 400 && buffer.countHint == 4)
        let rest = buffer.takeFirst(6)
        #expect(rest.liveBytes == 600 && rest.offsets == [4, 5, 6, 7, 8, 9])
        #expect(buffer.capacityHint == 600 && buffer.countHint == 6)
    }

    @Test func aFreshBufferAndOneEmptiedByRevocationReserveNothingUntilARecordArrives() {
        var fresh = RenderedRecords()
        #expect(fresh.allocatedBytes == 0)
        fresh.append(record(tp0, 0, value: "abc"), time: 0, renderer: renderer)
        #expect(fresh.liveBytes == 4)
        var revoked = filled(0...9, size: 99)
        _ = revoked.takeFirst(10)
        revoked.removeAll()
        #expect(revoked.isEmpty && revoked.allocatedBytes == 0)
        // Emptying a buffer that still holds records releases its storage; the hints stay for the next start.
        var held = filled(0...9, size: 99)
        _ = held.takeFirst(4)
        #expect(held.allocatedBytes > 0)
        held.removeAll()
        #expect(held.isEmpty && held.allocatedBytes == 0 && held.capacityHint == 400 && held.countHint == 4)
        held.append(record(tp0, 20, value: "y"), time: 0, renderer: renderer)
        #expect(held.tail.capacity >= 400 && held.firstOffset == 20)
    }
}

@Suite struct RenderedRecordsPieceTests {
    let renderer = rawRenderer

    func address(_ bytes: [UInt8]) -> UnsafeRawPointer? { bytes.withUnsafeBytes { $0.baseAddress } }

    @Test func appendingARunAdoptsItsBytesWithoutCopying() {
        var buffer = filled(0...2, size: 3)
        var run = filled(3...7, size: 5)
        run.dropFirst(2)  // 3 and 4 are gone: only 5...7 are live
        buffer.append(contentsOf: run)
        #expect(buffer.count == 6 && buffer.offsets == [0, 1, 2, 5, 6, 7])
        #expect(buffer.joinedBytes() == rendered(records(tp0, 0...2, size: 3) + records(tp0, 5...7, size: 5),
                                                 testSettings { $0.format = .raw(delimiter: [0x0A]) }))
        #expect((0..<6).map { buffer.range($0).count } == [4, 4, 4, 6, 6, 6])
        #expect(buffer.time(3) == run.time(0))
        // The run's storage is now a piece of the buffer, the same memory.
        #expect(buffer.pieces.count == 2 && address(buffer.pieces[1].storage) == address(run.pieces[0].storage))
        #expect(buffer.pieces[1].count == 18 && buffer.tail.isEmpty)
    }

    @Test func cuttingABatchInsideAPieceSharesItsStorage() {
        var buffer = RenderedRecords()
        buffer.append(contentsOf: filled(0...9, size: 9))
        let batch = buffer.takeFirst(4)
        #expect(batch.offsets == [0, 1, 2, 3] && batch.liveBytes == 40 && buffer.firstOffset == 4)
        #expect(address(batch.pieces[0].storage) == address(buffer.pieces[0].storage))
        #expect(batch.liveSlices.map(\.count) == [40] && buffer.liveSlices.map(\.count) == [60])
        // Both sides count the shared storage: never less than what is held. A partition holding both counts it once.
        #expect(batch.allocatedBytes >= 100 && buffer.allocatedBytes >= 100)
        #expect(batch.sharedBytes(with: buffer) == buffer.pieces[0].storage.capacity)
        // A batch cut where a piece ends shares nothing with what follows.
        var split = RenderedRecords()
        split.append(contentsOf: filled(0...1, size: 9))
        split.append(contentsOf: filled(2...3, size: 9))
        let whole = split.takeFirst(2)
        #expect(whole.sharedBytes(with: split) == 0 && whole.liveBytes == 20 && split.firstOffset == 2)
        buffer.withBytes(ofRecord: 0) { #expect(Array($0) == Array((String(repeating: "x", count: 9) + "\n").utf8)) }
    }

    /// Random appends, cuts, drops and put-backs against a plain list of records.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomOperationsKeepEveryRecordsBytesOffsetAndTime(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var buffer = RenderedRecords()
        var model: [(offset: Int64, bytes: [UInt8])] = []
        var next: Int64 = 0
        var taken: (RenderedRecords, [(offset: Int64, bytes: [UInt8])])?
        for _ in 0..<400 {
            switch rng.next() % 6 {
            case 0, 1:  // records rendered here
                for _ in 0..<Int(rng.next() % 5) {
                    let r = record(tp0, next, value: String(repeating: "r", count: Int(rng.next() % 40)))
                    buffer.append(r, time: r.timestampMs, renderer: renderer)
                    model.append((next, renderer.render(r)))
                    next += 1
                }
            case 2:  // a run rendered elsewhere, maybe with its first records left out
                let n = Int(rng.next() % 8) + 1
                let rs = (0..<Int64(n)).map { record(tp0, next + $0, value: String(repeating: "q", count: Int(rng.next() % 30))) }
                var run = RenderedRecords()
                for r in rs { run.append(r, time: r.timestampMs, renderer: renderer) }
                let skip = Int(rng.next() % UInt64(n))
                buffer.append(records: skip..<n, of: run)
                model += rs[skip...].map { ($0.offset, renderer.render($0)) }
                next += Int64(n)
            case 3 where !buffer.isEmpty && taken == nil:
                let k = Int(rng.next() % UInt64(buffer.count)) + 1
                taken = (buffer.takeFirst(k), Array(model[..<k]))
                model.removeFirst(k)
            case 4 where taken != nil:
                buffer.prepend(taken!.0)
                model.insert(contentsOf: taken!.1, at: 0)
                taken = nil
            case 5 where !buffer.isEmpty && taken == nil:
                let k = Int(rng.next() % UInt64(buffer.count)) + 1
                buffer.dropFirst(k)
                model.removeFirst(k)
            default:
                break
            }
            #expect(buffer.count == model.count)
            #expect(buffer.liveBytes == model.reduce(0) { $0 + $1.bytes.count })
            #expect(buffer.joinedBytes() == model.flatMap(\.bytes))
            for i in 0..<buffer.count {
                #expect(buffer.offset(i) == model[i].offset && buffer.time(i) == baseTime + model[i].offset)
                #expect(buffer.withBytes(ofRecord: i) { Array($0) } == model[i].bytes)
            }
        }
    }

    @Test func appendingToAnEmptiedBufferReservesTheLastCutSize() {
        var buffer = filled(0...99, size: 1000)
        _ = buffer.takeFirst(100)
        buffer.append(record(tp0, 100, value: "x"), time: 0, renderer: renderer)
        #expect(buffer.tail.capacity >= 100 * 1001 && buffer.firstOffset == 100)
    }
}
