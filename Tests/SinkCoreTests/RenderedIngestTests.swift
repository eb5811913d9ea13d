import Testing
@testable import SinkCore

/// Records rendered outside the core (`SinkEvent.rendered`, what the service's consumer bridge sends) must lead to
/// exactly what the same records lead to as `SinkEvent.records`, which the core renders into runs itself (so the
/// rest of the suite, written with `records`, covers the path the service takes).
@Suite struct RenderedIngestTests {
    /// Runs the same deliveries through two sinks, one per event kind, and returns both action logs. Every append
    /// succeeds, so later batches of a partition go out too.
    func bothWays(_ settings: SinkSettings, _ deliveries: [[SinkRecord]],
                  assign: [PartitionAssignment]) -> (records: [SinkAction], rendered: [SinkAction]) {
        var a = Harness(settings)
        var b = Harness(settings)
        func both(_ event: SinkEvent) {
            a.send(event)
            b.send(event)
        }
        both(.assigned(assign))
        var answered = 0
        for batch in deliveries {
            a.send(.records(batch))
            b.send(.rendered(Self.bridgeRuns(batch, settings, wallClockMs: b.wall)))
            a.advance(.milliseconds(600))
            b.advance(.milliseconds(600))
            both(.timerFired)
            while answered < a.log.appends.count {
                let append = a.log.appends[answered]
                answered += 1
                both(.appendCompleted(append.id, .success(nextPosition: append.position + append.bytes.count,
                                                          crc64: append.expectedCRC64)))
            }
        }
        return (a.log, b.log)
    }

    /// Runs built the way the service's consumer bridge builds them on the poll thread: one per stretch of a
    /// partition, its capacity reserved from ``RecordRenderer/estimatedBytes(records:payloadBytes:)`` up front,
    /// each record appended as a view.
    static func bridgeRuns(_ batch: [SinkRecord], _ settings: SinkSettings, wallClockMs: Int64) -> [RenderedRun] {
        let renderer = RecordRenderer(format: settings.format)
        var runs: [RenderedRun] = []
        var i = 0
        while i < batch.count {
            var end = i + 1
            while end < batch.count, batch[end].topicPartition == batch[i].topicPartition { end += 1 }
            let payload = batch[i..<end].reduce(0) { $0 + ($1.key?.count ?? 0) + ($1.value?.count ?? 0) }
            var run = RenderedRun(topicPartition: batch[i].topicPartition,
                                  reservingBytes: renderer.estimatedBytes(records: end - i, payloadBytes: payload), records: end - i)
            for r in batch[i..<end] {
                let time = settings.placementTime(timestampMs: r.timestampMs, timestampType: r.timestampType, wallClockMs: wallClockMs)
                r.withView { run.append($0, time: time, renderer: renderer) }
            }
            runs.append(run)
            i = end
        }
        return runs
    }

    @Test(arguments: [SinkSettings.Format.jsonl(valueAsJSON: false), .jsonl(valueAsJSON: true), .raw(delimiter: [0x0A])])
    func renderedRecordsGiveTheSameAppendsAndNotices(format: SinkSettings.Format) {
        let settings = testSettings { $0.format = format; $0.batchMaxRecords = 4 }
        var mixed: [SinkRecord] = []
        for o in Int64(0)...9 {
            var r = record(tp0, o, value: o % 3 == 0 ? #"{"n": \#(o),\#n"s":"x"}"# : "v\"\(o)\u{1}")
            if o % 2 == 0 { r.key = [0xFF, UInt8(o)] }
            if o % 4 == 0 { r.headers = [.init(key: "h", value: nil), .init(key: "é", value: Array("\(o)".utf8))] }
            if o == 5 { r.timestampType = .notAvailable }
            if o == 6 { r.value = nil }
            mixed.append(r)
        }
        let deliveries = [
            // Before the committed offset (ignored), then new ones.
            records(tp0, 0...4),
            Array(mixed[3...9]),
            // A redelivery overlapping what was consumed, and records of a partition this member does not own.
            Array(mixed[7...9]) + records(tp2, 0...2),
            records(tp1, 0...5) + Array(records(tp0, 10...14)),
        ]
        let assign = [PartitionAssignment(tp0, committed: CommittedOffset(offset: 3, metadata: nil)),
                      PartitionAssignment(tp1, committed: nil)]
        let (viaRecords, viaRendered) = bothWays(settings, deliveries, assign: assign)
        #expect(viaRecords.appends.count >= 4)
        #expect(viaRecords.notices.contains { if case .recordsIgnored(tp2, 3, _) = $0 { true } else { false } })
        #expect(viaRecords.notices.contains { if case .recordsIgnored(tp0, _, "offset already handled") = $0 { true } else { false } })
        #expect(viaRendered == viaRecords)
    }

    @Test func aRunWithSomeRecordsAlreadyHandledKeepsOnlyTheNewOnes() throws {
        var h = Harness(testSettings { $0.batchMaxRecords = 100 })
        h.send(.assigned([PartitionAssignment(tp0, committed: nil)]))
        h.send(.rendered(RenderedRun.runs(of: records(tp0, 0...2), settings: h.sink.settings, wallClockMs: h.wall)))
        let out = h.send(.rendered(RenderedRun.runs(of: records(tp0, 1...5), settings: h.sink.settings, wallClockMs: h.wall)))
        #expect(out.notices.contains(.recordsIgnored(tp0, count: 2, reason: "offset already handled")))
        h.advance(.seconds(1))
        let append = try #require(h.send(.timerFired).appends.first)
        #expect(append.bytes == rendered(records(tp0, 0...5), h.sink.settings))
        #expect(append.firstOffset == 0 && append.lastOffset == 5 && append.recordCount == 6)
    }

    @Test func runsSplitWhereThePartitionChangesAndCountPayloadBytes() {
        let batch = records(tp0, 0...1, size: 10) + records(tp1, 0...2, size: 5) + records(tp0, 2...2, size: 7)
        let runs = RenderedRun.runs(of: batch, settings: testSettings { $0.format = .raw(delimiter: [0x0A]) }, wallClockMs: 0)
        #expect(runs.map(\.topicPartition) == [tp0, tp1, tp0])
        #expect(runs.map(\.count) == [2, 3, 1])
        #expect(runs.map(\.payloadBytes) == [20, 15, 7])
        #expect(runs.map(\.renderedBytes) == [22, 18, 8])
    }

    @Test func recordsWithoutATimestampArePlacedByTheWallClockTheRendererWasGiven() throws {
        var r = record(tp0, 0)
        r.timestampType = .notAvailable
        let settings = testSettings()
        let run = try #require(RenderedRun.runs(of: [r], settings: settings, wallClockMs: 42).first)
        #expect(run.records.time(0) == 42)
        #expect(settings.placementTime(timestampMs: 7, timestampType: .createTime, wallClockMs: 42) == 7)
        #expect(testSettings { $0.timestampSource = .wallClock }
            .placementTime(timestampMs: 7, timestampType: .createTime, wallClockMs: 42) == 42)
    }
}
