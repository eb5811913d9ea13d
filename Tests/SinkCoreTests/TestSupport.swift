import OSSChecksum
import Foundation
@testable import SinkCore

let tp0 = TopicPartition(topic: "events", partition: 0)
let tp1 = TopicPartition(topic: "events", partition: 1)
let tp2 = TopicPartition(topic: "events", partition: 2)

/// 2023-11-14T22:13:20Z
let baseTime: Int64 = 1_700_000_000_000

func record(_ tp: TopicPartition = tp0, _ offset: Int64, value: String? = nil, time: Int64? = nil,
            key: [UInt8]? = nil) -> SinkRecord {
    SinkRecord(topic: tp.topic, partition: tp.partition, offset: offset, timestampMs: time ?? baseTime + offset,
               key: key, value: Array((value ?? "value-\(offset)").utf8))
}

func records(_ tp: TopicPartition = tp0, _ range: ClosedRange<Int64>, size: Int = 0) -> [SinkRecord] {
    range.map { o in
        record(tp, o, value: size > 0 ? String(repeating: "x", count: size) : nil)
    }
}

func rendered(_ rs: [SinkRecord], _ settings: SinkSettings) -> [UInt8] {
    let r = RecordRenderer(format: settings.format)
    var out: [UInt8] = []
    for x in rs { r.render(x, into: &out) }
    return out
}

/// Drives a `Sink` with a controllable clock.
struct Harness {
    var sink: Sink
    var clock: Duration = .seconds(100)
    var wall: Int64 = baseTime
    var log: [SinkAction] = []

    init(_ settings: SinkSettings = testSettings()) {
        sink = try! Sink(settings: settings)
    }

    var now: SinkInstant { SinkInstant(monotonic: clock, wallClockMs: wall) }

    @discardableResult
    mutating func send(_ event: SinkEvent) -> [SinkAction] {
        let actions = sink.handle(event, at: now)
        log.append(contentsOf: actions)
        return actions
    }

    /// Acknowledges every commit in `actions` and in what the acknowledgements bring (close commits of rolled-over
    /// segments); returns everything the acknowledgements produced.
    @discardableResult
    mutating func acknowledgeCommits(_ actions: [SinkAction]) -> [SinkAction] {
        var pending = actions.commits
        var produced: [SinkAction] = []
        while !pending.isEmpty {
            let c = pending.removeFirst()
            let out = send(.commitCompleted(c.topicPartition, offset: c.offset, .success))
            produced += out
            pending += out.commits
        }
        return produced
    }

    mutating func advance(_ d: Duration) {
        clock += d
        wall += Int64(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }
}

func testSettings(_ configure: (inout SinkSettings) -> Void = { _ in }) -> SinkSettings {
    var s = SinkSettings(
        keyTemplate: try! KeyTemplate("{topic}/{partition}/{topic}+{partition}+{offset:020}{ext}"),
        batchMaxBytes: 1 << 20, batchMaxRecords: 3, linger: .seconds(1),
        maxObjectBytes: 1 << 30, maxUncommittedBytes: 1 << 30, maxBufferedBytes: 1 << 26)
    configure(&s)
    return s
}

extension CommitMetadata {
    /// Only the key, length and CRC-64 (what version 1 carried).
    var place: CommitMetadata { CommitMetadata(key: key, position: position, crc64: crc64) }
}

extension [SinkAction] {
    var seals: [SealRequest] { compactMap { if case .seal(let r) = $0 { r } else { nil } } }
    var tags: [TagRequest] { compactMap { if case .tag(let r) = $0 { r } else { nil } } }
    var finished: [(SegmentDescription, FinishOutcome)] {
        notices.compactMap { if case .segmentFinished(_, let d, let o, _) = $0 { (d, o) } else { nil } }
    }
    var appends: [AppendRequest] { compactMap { if case .append(let a) = $0 { a } else { nil } } }
    var heads: [HeadRequest] { compactMap { if case .head(let h) = $0 { h } else { nil } } }
    var ranges: [RangeRequest] { compactMap { if case .getRange(let r) = $0 { r } else { nil } } }
    var commits: [CommitRequest] { compactMap { if case .commit(let c) = $0 { c } else { nil } } }
    var notices: [SinkNotice] { compactMap { if case .notice(let n) = $0 { n } else { nil } } }
    var timers: [Duration] { compactMap { if case .scheduleTimer(let d) = $0 { d } else { nil } } }
    var pauses: [TopicPartition] {
        flatMap { (a: SinkAction) -> [TopicPartition] in if case .pause(let l) = a { l } else { [] } }
    }
    var resumes: [TopicPartition] {
        flatMap { (a: SinkAction) -> [TopicPartition] in if case .resume(let l) = a { l } else { [] } }
    }
    var seeks: [(TopicPartition, Int64)] { compactMap { if case .seek(let tp, let o) = $0 { (tp, o) } else { nil } } }
    var released: [TopicPartition] { compactMap { if case .released(let tp) = $0 { tp } else { nil } } }
    var healths: [SinkHealth] { compactMap { if case .health(let h) = $0 { h } else { nil } } }
    var rollovers: [RolloverReason] {
        notices.compactMap { if case .rolledOver(_, _, let r) = $0 { r } else { nil } }
    }
    var recoveries: [RecoveryOutcome] {
        notices.compactMap { if case .recovered(_, let o, _) = $0 { o } else { nil } }
    }
    var shutdownComplete: Bool { contains(.shutdownComplete) }
}

/// An in-memory OSS with the append semantics of oss-protocol.md, for end-to-end runs of the pure core.
struct FakeOSS {
    struct Object {
        var bytes: [UInt8]
        var appendable: Bool
        var sealed = false
        var tags: [SegmentTag] = []
        var crc: UInt64 { CRC64.checksum(bytes) }
    }

    var objects: [String: Object] = [:]
    /// Keys whose next append is applied but answered with a transient failure (response lost).
    var dropResponseOnce: Set<String> = []

    mutating func append(_ a: AppendRequest) -> AppendOutcome {
        var o = objects[a.key] ?? Object(bytes: [], appendable: true)
        guard o.appendable else { return .objectNotAppendable }
        guard !o.sealed else { return .objectSealed }
        guard o.bytes.count == a.position else { return .positionNotEqualToLength(nextPosition: o.bytes.count) }
        o.bytes += a.bytes
        objects[a.key] = o
        if dropResponseOnce.remove(a.key) != nil { return .transientFailure("response lost") }
        return .success(nextPosition: o.bytes.count, crc64: o.crc)
    }

    func head(_ key: String) -> HeadOutcome {
        guard let o = objects[key] else { return .notFound }
        return .found(ObjectInfo(length: o.bytes.count, crc64: o.crc, appendable: o.appendable, sealed: o.sealed))
    }

    /// SealAppendObject: only at the length; sealing again at the length succeeds.
    mutating func seal(_ r: SealRequest) -> SealOutcome {
        guard var o = objects[r.key] else { return .notFound }
        guard o.appendable else { return .notAppendable }
        guard o.bytes.count == r.position else { return .positionMismatch(length: o.bytes.count) }
        o.sealed = true
        objects[r.key] = o
        return .sealed
    }

    mutating func tag(_ r: TagRequest) -> TagOutcome {
        guard objects[r.key] != nil else { return .notFound }
        objects[r.key]!.tags = r.tags
        return .success
    }

    func range(_ r: RangeRequest) -> RangeOutcome {
        guard let o = objects[r.key], r.range.upperBound <= o.bytes.count else { return .unavailable }
        return .success(Array(o.bytes[r.range]))
    }
}

/// Runs a sink against `FakeOSS` and a commit log, executing every request immediately.
struct Driver {
    var h: Harness
    var oss: FakeOSS
    var committed: [TopicPartition: CommittedOffset] = [:]
    var commitsAcknowledged = true

    init(_ settings: SinkSettings = testSettings(), oss: FakeOSS = FakeOSS()) {
        h = Harness(settings)
        self.oss = oss
    }

    @discardableResult
    mutating func run(_ event: SinkEvent) -> [SinkAction] {
        var queue: [SinkEvent] = [event]
        var all: [SinkAction] = []
        while !queue.isEmpty {
            let e = queue.removeFirst()
            let actions = h.send(e)
            all += actions
            for a in actions {
                switch a {
                case .append(let r): queue.append(.appendCompleted(r.id, oss.append(r)))
                case .head(let r): queue.append(.headCompleted(r.id, oss.head(r.key)))
                case .getRange(let r): queue.append(.rangeCompleted(r.id, oss.range(r)))
                case .seal(let r): queue.append(.sealCompleted(r.id, oss.seal(r)))
                case .tag(let r): queue.append(.tagCompleted(r.id, oss.tag(r)))
                case .commit(let c):
                    if commitsAcknowledged {
                        committed[c.topicPartition] = CommittedOffset(offset: c.offset, metadata: c.metadata)
                        queue.append(.commitCompleted(c.topicPartition, offset: c.offset, .success))
                    }
                default: break
                }
            }
        }
        return all
    }

    mutating func flushByTimer() {
        h.advance(.seconds(60))
        run(.timerFired)
    }

    /// All objects of a partition, in key order, concatenated and decoded.
    func archive(_ tp: TopicPartition, _ settings: SinkSettings) -> [UInt8] {
        let prefix = "\(tp.topic)/\(tp.partition)/"
        var out: [UInt8] = []
        for key in oss.objects.keys.filter({ $0.hasPrefix(prefix) }).sorted() {
            out += try! AppendCompression.decompress(oss.objects[key]!.bytes, settings.compression)
        }
        return out
    }
}

extension RenderedRecords {
    /// Renders `record` into the tail (the core renders through `RenderedRun`s; tests build buffers directly).
    mutating func append(_ record: SinkRecord, time: Int64, renderer: RecordRenderer) {
        record.withView { append($0, time: time, renderer: renderer) }
    }
}
