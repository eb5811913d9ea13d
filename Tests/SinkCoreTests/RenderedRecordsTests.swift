import Testing
@testable import SinkCore

@Suite struct RenderedRecordsTests {
    let renderer = RecordRenderer(format: .raw(delimiter: [0x0A]))

    func filled(_ range: ClosedRange<Int64>, size: Int) -> RenderedRecords {
        var buffer = RenderedRecords()
        for r in records(tp0, range, size: size) { buffer.append(r, time: r.timestampMs, renderer: renderer) }
        return buffer
    }

    @Test func aBufferStartedAfterAWholeBatchWasCutReservesThatBatchAtOnce() {
        var buffer = filled(0...99, size: 1000)
        let batch = buffer.takeFirst(100)
        #expect(batch.count == 100 && batch.bytes.count == 100 * 1001)
        // Emptied: nothing is held until a record arrives.
        #expect(buffer.isEmpty && buffer.allocatedBytes == 0)
        buffer.append(record(tp0, 100, value: "x"), time: 0, renderer: renderer)
        #expect(buffer.bytes.capacity >= 100 * 1001)
        #expect(buffer.ends.capacity >= 100 && buffer.offsets.capacity >= 100 && buffer.times.capacity >= 100)
        // The reservation counts against the memory bound as soon as it is made.
        #expect(buffer.allocatedBytes >= 100 * 1001 + 3 * 100 * 8)
        #expect(Array(buffer.bytes) == Array("x\n".utf8) && buffer.firstOffset == 100)
    }

    @Test func cuttingTheFrontHintsTheCutSizeAndKeepsTheRest() {
        var buffer = filled(0...9, size: 99)
        let batch = buffer.takeFirst(4)
        #expect(batch.count == 4 && batch.bytes.count == 400 && batch.offsets == [0, 1, 2, 3])
        #expect(buffer.count == 6 && buffer.firstOffset == 4 && buffer.lastOffset == 9)
        #expect(buffer.capacityHint == 400 && buffer.countHint == 4)
        let rest = buffer.takeFirst(6)
        #expect(rest.bytes.count == 600 && rest.offsets == [4, 5, 6, 7, 8, 9])
        #expect(buffer.capacityHint == 600 && buffer.countHint == 6)
    }

    @Test func aFreshBufferAndOneEmptiedByRevocationReserveNothingUntilARecordArrives() {
        var fresh = RenderedRecords()
        #expect(fresh.allocatedBytes == 0)
        fresh.append(record(tp0, 0, value: "abc"), time: 0, renderer: renderer)
        #expect(fresh.bytes.count == 4)
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
        #expect(held.bytes.capacity >= 400 && held.firstOffset == 20)
    }
}
