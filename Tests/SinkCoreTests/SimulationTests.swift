import Foundation
import OSSChecksum
@testable import SinkCore
import SinkTesting
import Testing


/// Kafka (a log per partition, committed offsets) + `FakeOSS` + a sink that can crash and restart.
struct Simulation {
    let settings: SinkSettings
    var oss = FakeOSS()
    var log: [TopicPartition: [SinkRecord]] = [:]
    var committed: [TopicPartition: CommittedOffset] = [:]
    var position: [TopicPartition: Int64] = [:]
    var h: Harness
    var rng: SplitMix64
    /// Probability that an append is applied and the process dies before seeing the response.
    var crashAfterAppend = 0.0
    /// Probability that an applied append's response is lost (the client reports a transient failure).
    var loseResponse = 0.0
    /// Probability that a commit never reaches Kafka.
    var loseCommit = 0.0
    /// A lost commit is reported as failed (as librdkafka reports a timeout); otherwise it is never answered.
    var reportLostCommits = false
    /// Probability that a seal or tag is applied and the process dies before seeing the response.
    var crashAfterFinishing = 0.0
    var crashes = 0
    /// Partitions the core paused (not delivered until resumed); a restart forgets them, like a new consumer.
    var paused: Set<TopicPartition> = []
    /// Pauses the core asked for, across all restarts.
    var pausesSeen = 0
    /// Deliver records with the partition's high watermark (the end of its log), as the consumer does.
    var deliverWatermarks = false
    /// Recovery outcomes across all restarts.
    var outcomes: [RecoveryOutcome] = []
    var partitions: [TopicPartition]

    init(settings: SinkSettings, partitions: [TopicPartition], recordsPerPartition: Int, seed: UInt64) {
        self.settings = settings
        self.partitions = partitions
        rng = SplitMix64(seed: seed)
        h = Harness(settings)
        for tp in partitions {
            log[tp] = (0..<recordsPerPartition).map { i in
                let size = Int(rng.next() % 300)
                var r = record(tp, Int64(i), value: String(repeating: "v", count: size), time: baseTime + Int64(i) * 1000)
                if i % 7 == 0 { r.key = [0xFF, UInt8(i & 0xFF)] }
                if i % 5 == 0 { r.headers = [.init(key: "h", value: Array("\(i)".utf8))] }
                return r
            }
        }
    }

    func chance(_ p: Double, _ rng: inout SplitMix64) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }

    mutating func start() {
        let clock = h.clock
        h = Harness(settings)
        h.clock = clock
        paused = []
        for tp in partitions { position[tp] = committed[tp]?.offset ?? 0 }
        pump(.assigned(partitions.map { PartitionAssignment($0, committed: committed[$0]) }))
    }

    /// Executes actions until quiet; returns false when the process "crashed".
    @discardableResult
    mutating func pump(_ first: SinkEvent) -> Bool {
        var queue = [first]
        while !queue.isEmpty {
            let actions = h.send(queue.removeFirst())
            outcomes += actions.recoveries
            for a in actions {
                switch a {
                case .append(let r):
                    let outcome = oss.append(r)
                    if case .success = outcome {
                        if chance(crashAfterAppend, &rng) {
                            crashes += 1
                            start()
                            return false
                        }
                        if chance(loseResponse, &rng) {
                            queue.append(.appendCompleted(r.id, .transientFailure("response lost")))
                            continue
                        }
                    }
                    queue.append(.appendCompleted(r.id, outcome))
                case .head(let r): queue.append(.headCompleted(r.id, oss.head(r.key)))
                case .getRange(let r): queue.append(.rangeCompleted(r.id, oss.range(r)))
                case .seal(let r):
                    let outcome = oss.seal(r)
                    if chance(crashAfterFinishing, &rng) {
                        crashes += 1
                        start()
                        return false
                    }
                    queue.append(.sealCompleted(r.id, chance(loseResponse, &rng) ? .transientFailure("response lost") : outcome))
                case .tag(let r):
                    let outcome = oss.tag(r)
                    if chance(crashAfterFinishing, &rng) {
                        crashes += 1
                        start()
                        return false
                    }
                    queue.append(.tagCompleted(r.id, chance(loseResponse, &rng) ? .transientFailure("response lost") : outcome))
                case .commit(let c):
                    if !chance(loseCommit, &rng) {
                        committed[c.topicPartition] = CommittedOffset(offset: c.offset, metadata: c.metadata)
                        queue.append(.commitCompleted(c.topicPartition, offset: c.offset, .success))
                    } else if reportLostCommits {
                        queue.append(.commitCompleted(c.topicPartition, offset: c.offset, .failure("REQUEST_TIMED_OUT")))
                    }
                case .seek(let tp, let offset): position[tp] = offset
                case .pause(let list):
                    paused.formUnion(list)
                    pausesSeen += list.count
                case .resume(let list): paused.subtract(list)
                case .fail(let f): Issue.record("unexpected failure: \(f)")
                default: break
                }
            }
        }
        return true
    }

    /// Delivers the next chunk of every partition (a consumer poll).
    mutating func poll(maxChunk: Int) {
        var batch: [SinkRecord] = []
        for tp in partitions where !paused.contains(tp) {
            let from = Int(position[tp]!)
            let n = min(Int(rng.next() % UInt64(maxChunk)) + 1, log[tp]!.count - from)
            guard n > 0 else { continue }
            batch += log[tp]![from..<(from + n)]
            position[tp] = Int64(from + n)
        }
        if !batch.isEmpty {
            if deliverWatermarks {
                var runs = RenderedRun.runs(of: batch, settings: settings, wallClockMs: h.wall)
                for i in runs.indices { runs[i].highWatermark = Int64(log[runs[i].topicPartition]!.count) }
                pump(.rendered(runs))
            } else {
                pump(.records(batch))
            }
        }
        h.advance(.milliseconds(Int64(rng.next() % 700)))
        pump(.timerFired)
    }

    var allConsumed: Bool { partitions.allSatisfy { position[$0]! == Int64(log[$0]!.count) } }

    /// Partitions the core paused and never resumed although records are left: a stuck flow control.
    var stuck: [TopicPartition] { partitions.filter { paused.contains($0) && position[$0]! < Int64(log[$0]!.count) } }

    mutating func runToEnd(maxChunk: Int = 40) {
        var rounds = 0
        while rounds < 100_000 {
            rounds += 1
            poll(maxChunk: maxChunk)
            if allConsumed && partitions.allSatisfy({ committed[$0]?.offset == Int64(log[$0]!.count) }) { break }
            if allConsumed {
                // A lost commit is re-sent on the next append; with no more records, restart to settle.
                h.advance(.seconds(2))
                pump(.timerFired)
                if partitions.allSatisfy({ committed[$0]?.offset == Int64(log[$0]!.count) }) { break }
                if !partitions.allSatisfy({ h.sink.bufferedBytes($0) == 0 }) { continue }
                start()
            }
        }
    }

    /// The keys of `tp`'s segments (those its topic's template renders for it), ordered by first offset.
    func keys(_ tp: TopicPartition) -> [String] {
        let topic = settings.topicSettings(for: tp.topic)
        return oss.objects.keys.compactMap { key -> (Int64, String)? in
            topic.keyTemplate.offset(ofKey: key, prefix: topic.keyPrefix, topic: tp.topic, partition: tp.partition,
                                     ext: topic.fileExtension).map { ($0, key) }
        }.sorted { $0 < $1 }.map(\.1)
    }

    func archive(_ tp: TopicPartition) -> [UInt8] {
        let compression = settings.topicSettings(for: tp.topic).compression
        var out: [UInt8] = []
        for key in keys(tp) {
            out += try! AppendCompression.decompress(oss.objects[key]!.bytes, compression)
        }
        return out
    }

    /// What `tp`'s segments must hold: its records rendered with its topic's format.
    func expected(_ tp: TopicPartition) -> [UInt8] {
        let renderer = RecordRenderer(format: settings.topicSettings(for: tp.topic).format)
        var out: [UInt8] = []
        for record in log[tp]! { renderer.render(record, into: &out) }
        return out
    }

    /// After the run, without faults: a restart and timers until every finished segment is sealed and tagged.
    mutating func settleFinishing() {
        crashAfterAppend = 0
        crashAfterFinishing = 0
        loseResponse = 0
        loseCommit = 0
        start()
        for _ in 0..<100 where h.sink.finishingSegments > 0 {
            h.advance(.seconds(31))
            pump(.timerFired)
        }
        #expect(h.sink.finishingSegments == 0)
    }

    /// Every segment of `tp` but the open one is sealed at its length, and its tags describe exactly what it holds;
    /// the last one is sealed too when the commit says it was closed.
    func checkFinished(_ tp: TopicPartition) {
        let keys = keys(tp)
        let closed = CommitMetadata.parse(committed[tp]?.metadata)?.closed ?? false
        let topic = settings.topicSettings(for: tp.topic)
        let format = SegmentTags.formatValue(topic)
        var next: Int64 = 0
        for (index, key) in keys.enumerated() {
            let object = oss.objects[key]!
            let lines = (try? AppendCompression.decompress(object.bytes, topic.compression))?.filter { $0 == 0x0a }.count ?? -1
            let first = next
            next += Int64(lines)
            guard index < keys.count - 1 || closed else {
                #expect(!object.sealed, "the open segment \(key) is sealed")
                continue
            }
            #expect(object.sealed == topic.sealOnRollover, "finished segment \(key): sealed \(object.sealed)")
            #expect(object.tags == SegmentTags.tags(
                for: SegmentDescription(key: key, length: object.bytes.count, crc64: object.crc, firstOffset: first,
                                        lastOffset: next - 1, recordCount: lines),
                sealed: topic.sealOnRollover, format: format), "tags of \(key)")
        }
    }

    /// Committed metadata names an object whose length and CRC at that point we can check.
    func checkCommitMetadata() {
        for tp in partitions {
            guard let c = committed[tp], let meta = CommitMetadata.parse(c.metadata) else {
                Issue.record("no commit metadata for \(tp)")
                continue
            }
            let object = oss.objects[meta.key]!.bytes
            #expect(meta.position <= object.count)
            #expect(CRC64.checksum(object[..<meta.position]) == meta.crc64)
        }
    }
}

@Suite struct SimulationTests {
    let partitions = [tp0, tp1, tp2]

    @Test(arguments: [SinkSettings.Compression.none, .gzip(level: 1), .zstd(level: 1)])
    func plainRunArchivesEveryRecordOnceInOrder(compression: SinkSettings.Compression) {
        var sim = Simulation(settings: testSettings { $0.compression = compression; $0.batchMaxRecords = 50 },
                             partitions: partitions, recordsPerPartition: 400, seed: 1)
        sim.start()
        sim.runToEnd()
        for tp in partitions {
            #expect(sim.archive(tp) == sim.expected(tp))
            #expect(sim.committed[tp]?.offset == 400)
        }
        sim.checkCommitMetadata()
    }

    @Test func restartAfterACleanStopContinuesTheSameObject() throws {
        var sim = Simulation(settings: testSettings { $0.batchMaxRecords = 20 }, partitions: [tp0], recordsPerPartition: 200, seed: 2)
        sim.start()
        for _ in 0..<3 { sim.poll(maxChunk: 30) }
        sim.pump(.shutdown)
        #expect(sim.h.log.shutdownComplete)
        let objectsBefore = sim.oss.objects.count
        let meta = try #require(CommitMetadata.parse(sim.committed[tp0]?.metadata))
        sim.start()
        #expect(sim.h.log.recoveries == [.clean])
        sim.runToEnd()
        #expect(sim.oss.objects.count == objectsBefore)
        #expect(sim.oss.objects[meta.key]!.bytes.count > meta.position)
        #expect(sim.archive(tp0) == sim.expected(tp0))
    }

    @Test(arguments: [false, true])
    func intakeRotationWithManyPartitionsArchivesEveryRecordOnceThroughCrashes(watermarks: Bool) {
        // 40 partitions, 4 filling at a time once more than 4 KB are held; batches of up to 50 records.
        let many = (0..<40).map { TopicPartition(topic: "events", partition: Int32($0)) }
        var sim = Simulation(settings: testSettings {
            $0.batchMaxRecords = 50; $0.batchMaxBytes = 1 << 16; $0.linger = .seconds(1); $0.maxBufferedBytes = 1 << 16
            $0.resumeBelowBytes = 1 << 15; $0.rotateAboveBytes = 4096; $0.maxFillingPartitions = 4
        }, partitions: many, recordsPerPartition: 120, seed: 6)
        sim.deliverWatermarks = watermarks
        sim.crashAfterAppend = 0.01
        sim.loseResponse = 0.1
        sim.loseCommit = 0.1
        sim.start()
        sim.runToEnd(maxChunk: 20)
        #expect(sim.pausesSeen > 40, "the rotation paused partitions")
        #expect(sim.stuck.isEmpty)
        for tp in many {
            #expect(sim.archive(tp) == sim.expected(tp))
            #expect(sim.committed[tp]?.offset == 120)
        }
        sim.checkCommitMetadata()
    }

    @Test func lostResponsesNeverDuplicate() {
        var sim = Simulation(settings: testSettings { $0.batchMaxRecords = 10 }, partitions: partitions, recordsPerPartition: 300, seed: 3)
        sim.loseResponse = 0.3
        sim.start()
        sim.runToEnd()
        for tp in partitions { #expect(sim.archive(tp) == sim.expected(tp)) }
        sim.checkCommitMetadata()
    }

    @Test(arguments: [SinkSettings.Compression.none, .gzip(level: 1), .zstd(level: 1)])
    func crashesWithUncommittedTailsNeverDuplicateOrLose(compression: SinkSettings.Compression) {
        var sim = Simulation(settings: testSettings { $0.compression = compression; $0.batchMaxRecords = 15 },
                             partitions: partitions, recordsPerPartition: 300, seed: 4)
        sim.crashAfterAppend = 0.08
        sim.loseCommit = 0.2
        sim.loseResponse = 0.1
        sim.start()
        sim.runToEnd()
        #expect(sim.crashes > 3)
        #expect(sim.outcomes.contains(.tailProven))
        #expect(sim.outcomes.contains(.clean))
        for tp in partitions { #expect(sim.archive(tp) == sim.expected(tp)) }
        sim.checkCommitMetadata()
    }

    @Test func keyOverwrittenByPutObjectRollsOverWithoutLosingTheBatch() throws {
        var sim = Simulation(settings: testSettings { $0.batchMaxRecords = 10 }, partitions: [tp0], recordsPerPartition: 100, seed: 5)
        sim.start()
        for _ in 0..<4 { sim.poll(maxChunk: 15) }
        let meta = try #require(CommitMetadata.parse(sim.committed[tp0]?.metadata))
        let overwrittenThrough = sim.committed[tp0]!.offset
        sim.oss.objects[meta.key] = FakeOSS.Object(bytes: Array("replaced by a person".utf8), appendable: false)
        sim.runToEnd()
        #expect(sim.h.log.rollovers.contains(.objectNotAppendable))
        // Everything from the first batch after the overwrite is archived exactly once in the new objects.
        let others = sim.oss.objects.keys.filter { $0 != meta.key }.sorted()
        let tail = others.flatMap { sim.oss.objects[$0]!.bytes }
        let expectedTail = rendered(Array(sim.log[tp0]![Int(overwrittenThrough)...]), sim.settings)
        #expect(Array(tail.suffix(expectedTail.count)) == expectedTail)
        #expect(sim.committed[tp0]?.offset == 100)
    }

    @Test func aForeignWriterIsFencedAndNothingInterleaves() throws {
        var sim = Simulation(settings: testSettings { $0.batchMaxRecords = 10 }, partitions: [tp0], recordsPerPartition: 100, seed: 6)
        sim.start()
        for _ in 0..<4 { sim.poll(maxChunk: 15) }
        let meta = try #require(CommitMetadata.parse(sim.committed[tp0]?.metadata))
        let foreign = Array("a zombie writes here\n".utf8)
        sim.oss.objects[meta.key]!.bytes += foreign
        sim.runToEnd()
        #expect(sim.h.log.notices.contains { if case .fenced = $0 { true } else { false } })
        // The zombie's bytes sit only at the very end of the old object; every record is archived once.
        let old = sim.oss.objects[meta.key]!.bytes
        #expect(Array(old.suffix(foreign.count)) == foreign)
        let all = sim.oss.objects.keys.sorted().flatMap { sim.oss.objects[$0]!.bytes }
        let expected = sim.expected(tp0)
        let cut = old.count - foreign.count
        var interleaved: [UInt8] = Array(expected[..<cut])
        interleaved += foreign
        interleaved += expected[cut...]
        #expect(all == interleaved)
    }

    @Test func aPartitionMovesBetweenTwoSinksExactlyOnce() throws {
        let settings = testSettings { $0.batchMaxRecords = 10 }
        var sim = Simulation(settings: settings, partitions: [tp0], recordsPerPartition: 120, seed: 7)
        sim.start()
        for _ in 0..<3 { sim.poll(maxChunk: 12) }
        // Member A is revoked: its in-flight append finishes, it commits, and releases.
        sim.pump(.revoked([tp0]))
        #expect(sim.h.log.released == [tp0])
        let handedOver = sim.committed[tp0]!
        // Member B gets the partition at the committed offset and continues the same object.
        sim.start()
        #expect(sim.h.log.recoveries == [.clean])
        #expect(sim.position[tp0] == handedOver.offset)
        sim.runToEnd()
        #expect(sim.oss.objects.count == 1)
        #expect(sim.archive(tp0) == sim.expected(tp0))
    }

    @Test(arguments: [(SinkSettings.Compression.none, UInt64(9)), (.gzip(level: 1), 10), (.none, 11), (.zstd(level: 1), 12)])
    func sealingWithCrashesFinishesEverySegmentAtItsCommittedLength(compression: SinkSettings.Compression, seed: UInt64) {
        var sim = Simulation(settings: testSettings {
            $0.compression = compression; $0.batchMaxRecords = 5; $0.batchMaxBytes = 2000; $0.maxObjectBytes = 3000
            $0.sealOnRollover = true
        }, partitions: partitions, recordsPerPartition: 300, seed: seed)
        sim.crashAfterAppend = 0.05
        sim.crashAfterFinishing = 0.1
        sim.loseCommit = 0.2
        sim.loseResponse = 0.1
        sim.start()
        sim.runToEnd()
        sim.settleFinishing()
        #expect(sim.crashes > 3)
        for tp in partitions {
            #expect(sim.archive(tp) == sim.expected(tp))
            sim.checkFinished(tp)
        }
        #expect(sim.oss.objects.values.filter(\.sealed).count > 5)
        sim.checkCommitMetadata()
    }

    @Test func rolloverBySizeKeepsEveryObjectUnderTheLimit() {
        var sim = Simulation(settings: testSettings { $0.batchMaxRecords = 5; $0.batchMaxBytes = 2000; $0.maxObjectBytes = 4000 },
                             partitions: [tp0], recordsPerPartition: 200, seed: 8)
        sim.start()
        sim.runToEnd()
        #expect(sim.oss.objects.count > 5)
        #expect(sim.oss.objects.values.allSatisfy { $0.bytes.count <= 4000 })
        #expect(sim.archive(tp0) == sim.expected(tp0))
    }
}
