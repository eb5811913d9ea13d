import Foundation
import KafkaBridge
import Logging
import OSSEmulator
import OSSSigning
import SinkConfig
import SinkCore
import SinkService
import SinkTesting
import Testing

/// Fault scenarios of the exactly-once contract (README, Guarantees) against the mock cluster and the OSS
/// emulator: after each, the objects hold every produced record exactly once in offset order (byte-for-byte
/// equal to the rendered records) and the commits point after the last record and describe the last object.
@Suite(.serialized) struct ScenarioTests {
    /// Checks that the committed offset of every partition is after its last record and that the metadata
    /// names the partition's last object with its length and CRC.
    func expectCommitsDescribeObjects(_ stack: TestStack, _ all: [Int32: [SinkRecord]], partitions: Int) async throws {
        let committed = try await stack.committed(partitions: partitions)
        for partition in 0..<Int32(partitions) {
            let commit = try #require(committed[partition])
            #expect(commit.offset == Int64(all[partition]!.count))
            let metadata = try #require(CommitMetadata.parse(commit.metadata))
            let last = try #require(try await stack.objects(partition: partition).last)
            #expect(metadata.key == last.record.key)
            #expect(metadata.position == Int(last.record.length))
            #expect(metadata.crc64 == last.record.crc64)
        }
    }

    /// With `oss.storage_class: Archive` the segments answer GET only once restored (here a restore takes 1.5 s): the
    /// sink restores the one whose tail it has to read and reads it when the copy is ready.
    @Test(arguments: ["Standard", "Archive"])
    func tailOfAnUncommittedAppendIsProvedAfterRestart(storageClass: String) async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "scn-tail-\(storageClass.lowercased())")
        defer { Task { await stack.shutdown() } }
        stack.emulator.store.restoreTime = 1.5
        var configuration = try stack.configuration(shutdownTimeout: "3s")
        configuration.oss.storageClass = storageClass

        // Wave 0 is archived and committed normally.
        let wave0 = try await stack.produce(count: 200, partitions: partitions, seed: 1)
        let total0 = renderedCount(wave0)
        try await stack.runSink(configuration) { await stack.archivedByteCount() >= total0 }
        let keysAfterWave0 = try await stack.objects().map(\.record.key)

        // Wave 1 is appended while every commit fails: the objects get a tail no commit describes.
        try stack.cluster.pushRequestErrors(.offsetCommit, Array(repeating: .offsetMetadataTooLarge, count: 100_000))
        let wave1 = try await stack.produce(count: 300, partitions: partitions, startOffsets: nextOffsets(wave0), seed: 2)
        let total1 = renderedCount(mergedWaves(wave0, wave1))
        let stopRequested = ScenarioClock()
        let gaveUp = FailureSignal()
        var failedStop: (any Error)?
        do {
            try await stack.runSink(configuration, reporter: gaveUp) {
                guard await stack.archivedByteCount() >= total1 else { return false }
                stopRequested.mark()
                // Once the stop has given up (shutdown_timeout 3 s), commits may work again: the consumer is
                // closed without committing, and librdkafka's teardown is not kept busy by failing commits.
                Task {
                    await eventually(timeout: .seconds(30)) { gaveUp.failed }
                    try? stack.cluster.clearRequestErrors(.offsetCommit)
                }
                return true
            }
        } catch {
            failedStop = error
        }
        // The stop that cannot commit ends within shutdown_timeout (3 s) plus the consumer's 5 s close deadline.
        let stopDuration = stopRequested.elapsed
        print("scn-tail: the run whose commits failed stopped \(stopDuration) after the stop request, with \(failedStop.map { "\($0)" } ?? "no error")")
        #expect(failedStop != nil)
        #expect(stopDuration < .seconds(9))
        for partition in 0..<Int32(partitions) {
            #expect(try await stack.objects(partition: partition).flatMap(\.bytes) == rendered(mergedWaves(wave0, wave1)[partition]!))
        }
        try stack.cluster.clearRequestErrors(.offsetCommit)
        // The commits still describe wave 0 only.
        #expect(try await stack.committedOffsets(partitions: partitions) == nextOffsets(wave0))

        // Wave 2 after the restart: recovery matches the tail with wave 1 and appends after it.
        let wave2 = try await stack.produce(count: 300, partitions: partitions,
                                            startOffsets: nextOffsets(mergedWaves(wave0, wave1)), seed: 3)
        let all = mergedWaves(wave0, wave1, wave2)
        let total = renderedCount(all)
        let log = CapturedLogs(echo: .warning)
        try await stack.runSink(configuration, logger: log.logger(label: "sink")) { await stack.archivedByteCount() >= total }

        // Both partitions proved the tail (instead of rolling over) and kept appending to the same objects.
        let outcomes = log.lines("partition recovered").map { $0.metadata["outcome"] ?? "" }
        #expect(outcomes.filter { $0 == "tail_proven" }.count == partitions, "recoveries: \(outcomes)")
        #expect(log.lines("segment rolled over").isEmpty)
        #expect(try await stack.objects().map(\.record.key) == keysAfterWave0)
        let retries = log.lines("OSS request failed; retrying").compactMap { $0.metadata["reason"] }
        let requested = retries.filter { $0.contains("is in cold storage and must be restored to read its tail (restore requested") }
        let running = retries.filter { $0.contains("is in cold storage and must be restored to read its tail (restore in progress") }
        #expect(requested.count == (storageClass == "Archive" ? partitions : 0), "retries: \(retries)")
        #expect(storageClass == "Archive" ? running.count >= partitions : running.isEmpty, "retries: \(retries)")
        #expect(try await stack.objects().allSatisfy { $0.record.attributes.storageClass == storageClass })
        for partition in 0..<Int32(partitions) {
            #expect(try await stack.objects(partition: partition).flatMap(\.bytes) == rendered(all[partition]!))
        }
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }

    @Test func droppedAppendResponsesLeaveNoDuplicate() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "scn-drop")
        defer { Task { await stack.shutdown() } }
        // The first append of each partition (creating its object) is applied and its response lost; once the
        // sink has recognised both, one later append of partition 0 is lost the same way. Each time the sink
        // retries at the same position and must recognise its own bytes instead of writing them twice.
        let lost = "an append's response was lost but its bytes had landed; not sent again"
        let prefix = "\(stack.topic)/"
        stack.emulator.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST", keyPrefix: prefix + "0/"))
        stack.emulator.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST", keyPrefix: prefix + "1/"))
        let wave1 = try await stack.produce(count: 1000, partitions: partitions, seed: 1)
        let total1 = renderedCount(wave1)
        let log = CapturedLogs(echo: .warning)
        let wave2Box = WaveBox()
        try await stack.runSink(try stack.configuration(), logger: log.logger(label: "sink")) {
            if wave2Box.value == nil {
                guard await stack.archivedByteCount() >= total1, log.lines(lost).count == 2 else { return false }
                stack.emulator.faults.dropAfterApplyNext(1, match: OSSFaultMatch(method: "POST", keyPrefix: prefix + "0/"))
                wave2Box.set(try? await stack.produce(count: 600, partitions: partitions,
                                                      startOffsets: nextOffsets(wave1), seed: 2))
                return false
            }
            let all = mergedWaves(wave1, wave2Box.value ?? [:])
            return await stack.archivedByteCount() >= renderedCount(all) && log.lines(lost).count >= 3
        }
        let all = mergedWaves(wave1, try #require(wave2Box.value))
        #expect(stack.emulator.faults.injected.droppedAfterApply == 3)
        let recognised = log.lines(lost).map { "\($0.metadata["partition"] ?? "?")@\($0.metadata["position"] ?? "?")" }
        #expect(recognised.count == 3, "\(recognised)")
        #expect(Set(recognised).count == 3, "\(recognised)")
        for partition in 0..<Int32(partitions) {
            let objects = try await stack.objects(partition: partition)
            #expect(objects.flatMap(\.bytes) == rendered(all[partition]!))
            for object in objects { #expect(object.record.crc64 == OSSSigning.CRC64.checksum(object.bytes)) }
        }
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }

    @Test func overwrittenKeyRollsOverWithoutLosingRecords() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "scn-overwrite")
        defer { Task { await stack.shutdown() } }
        let wave1 = try await stack.produce(count: 300, partitions: partitions, seed: 1)
        let total1 = renderedCount(wave1)
        let foreign = Array("replaced by someone else\n".utf8)
        let overwritten = LockedKeys()
        let wave2Box = WaveBox()

        let log = CapturedLogs(echo: .warning)
        try await stack.runSink(try stack.configuration(), logger: log.logger(label: "sink")) {
            if overwritten.keys.isEmpty {
                // Once wave 1 is archived and committed, replace partition 0's open object with PutObject.
                guard await stack.archivedByteCount() >= total1, await stack.allCommitted(nextOffsets(wave1)) else { return false }
                let key = (try? await stack.objects(partition: 0).last?.record.key) ?? nil
                guard let key else { return false }
                try? await stack.overwrite(key: key, with: foreign)
                overwritten.set([key])
                wave2Box.set(try? await stack.produce(count: 400, partitions: partitions,
                                                      startOffsets: nextOffsets(wave1), seed: 2))
                return false
            }
            guard let wave2 = wave2Box.value else { return true }
            let p0 = (try? await stack.objects(partition: 0)) ?? []
            let p1 = (try? await stack.objects(partition: 1)) ?? []
            return p0.dropFirst().flatMap(\.bytes).count >= rendered(wave2[0]!).count
                && p1.flatMap(\.bytes).count >= rendered(mergedWaves(wave1, wave2)[1]!).count
        }

        let wave2 = try #require(wave2Box.value)
        let all = mergedWaves(wave1, wave2)
        let key = try #require(overwritten.keys.first)
        let p0 = try await stack.objects(partition: 0)
        // The overwritten object keeps the other writer's content; the records after the commit went to a new key.
        #expect(p0.first?.record.key == key)
        #expect(p0.first?.bytes == foreign)
        #expect(p0.count >= 2)
        #expect(p0.dropFirst().flatMap(\.bytes) == rendered(wave2[0]!))
        let rollovers = log.lines("segment rolled over").map { $0.metadata["reason"] ?? "" }
        #expect(rollovers == ["object_not_appendable"])
        for object in p0.dropFirst() { #expect(object.record.type.rawValue == "Appendable") }
        #expect(try await stack.objects(partition: 1).flatMap(\.bytes) == rendered(all[1]!))
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }

    @Test func foreignAppendIsFencedAndNothingInterleaves() async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "scn-foreign")
        defer { Task { await stack.shutdown() } }
        let wave1 = try await stack.produce(count: 300, partitions: partitions, seed: 1)
        let total1 = renderedCount(wave1)
        let foreign = Array("{\"writer\":\"someone else\"}\n".utf8)
        let fenced = LockedKeys()
        let wave2Box = WaveBox()

        let log = CapturedLogs(echo: .warning)
        try await stack.runSink(try stack.configuration(), logger: log.logger(label: "sink")) {
            if fenced.keys.isEmpty {
                // Once wave 1 is archived and committed, another writer appends to partition 0's open object.
                guard await stack.archivedByteCount() >= total1, await stack.allCommitted(nextOffsets(wave1)) else { return false }
                let key = (try? await stack.objects(partition: 0).last?.record.key) ?? nil
                guard let key else { return false }
                _ = try? await stack.emulator.foreignAppend(bucket: stack.bucket, key: key, bytes: foreign)
                fenced.set([key])
                wave2Box.set(try? await stack.produce(count: 400, partitions: partitions,
                                                      startOffsets: nextOffsets(wave1), seed: 2))
                return false
            }
            guard let wave2 = wave2Box.value else { return true }
            let p0 = (try? await stack.objects(partition: 0)) ?? []
            let p1 = (try? await stack.objects(partition: 1)) ?? []
            return p0.dropFirst().flatMap(\.bytes).count >= rendered(wave2[0]!).count
                && p1.flatMap(\.bytes).count >= rendered(mergedWaves(wave1, wave2)[1]!).count
        }

        let wave2 = try #require(wave2Box.value)
        let all = mergedWaves(wave1, wave2)
        let key = try #require(fenced.keys.first)
        let p0 = try await stack.objects(partition: 0)
        // Our records, then the foreign bytes, in the fenced object; a new object continues from the commit.
        #expect(p0.first?.record.key == key)
        #expect(p0.first?.bytes == rendered(wave1[0]!) + foreign)
        #expect(p0.count >= 2)
        #expect(p0.dropFirst().flatMap(\.bytes) == rendered(wave2[0]!))
        #expect(log.lines("partition recovered").contains { $0.metadata["outcome"] == "tail_mismatch" })
        // Every record exactly once across our bytes.
        let ours = Array(p0.flatMap(\.bytes).prefix(rendered(wave1[0]!).count)) + p0.dropFirst().flatMap(\.bytes)
        #expect(ours == rendered(all[0]!))
        #expect(try await stack.objects(partition: 1).flatMap(\.bytes) == rendered(all[1]!))
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }

    @Test func twoInstancesShareTheGroupAndArchiveEveryRecordOnce() async throws {
        let partitions = 4
        let stack = try await TestStack(partitions: partitions, name: "scn-two")
        defer { Task { await stack.shutdown() } }
        let wave1 = try await stack.produce(count: 800, partitions: partitions, seed: 1)
        let total1 = renderedCount(wave1)
        let wave2Box = WaveBox()

        let logs = (CapturedLogs(echo: .warning), CapturedLogs(echo: .warning))
        let configuration = try stack.configuration()
        try await stack.withSink(configuration, logger: logs.0.logger(label: "sink-a")) { _ in
            #expect(await eventually { await stack.archivedByteCount() >= total1 })
            try await stack.withSink(configuration, logger: logs.1.logger(label: "sink-b")) { _ in
                // Records produced while the group rebalances onto two members, paced over a few seconds.
                for seed in 2...5 {
                    let previous = mergedWaves(wave1, wave2Box.value ?? [:])
                    let wave = try await stack.produce(count: 200, partitions: partitions,
                                                       startOffsets: nextOffsets(previous), seed: seed)
                    wave2Box.set(mergedWaves(wave2Box.value ?? [:], wave))
                    try await Task.sleep(for: .milliseconds(700))
                }
                // Archived and committed: a commit lost in the rebalance is redone by the partition's new owner
                // after it proves the tail.
                let archived = await eventually(timeout: .seconds(60)) {
                    let all = mergedWaves(wave1, wave2Box.value ?? [:])
                    guard await stack.archivedByteCount() >= renderedCount(all) else { return false }
                    return await stack.allCommitted(nextOffsets(all))
                }
                #expect(archived)
            }
        }

        let all = mergedWaves(wave1, try #require(wave2Box.value))
        // The first instance owned all partitions, then the second one took some over.
        let assignedA = logs.0.lines("partitions assigned").map { $0.metadata["partitions"] ?? "" }
        let assignedB = logs.1.lines("partitions assigned").map { $0.metadata["partitions"] ?? "" }
        print("scn-two: assignments of the first instance \(assignedA), of the second \(assignedB)")
        #expect(assignedA.first?.contains("[3]") == true)
        #expect(assignedB.contains { $0 != "[]" })
        for partition in 0..<Int32(partitions) {
            #expect(try await stack.objects(partition: partition).flatMap(\.bytes) == rendered(all[partition]!))
        }
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }

    @Test(arguments: [("gzip", "/usr/bin/zcat"), ("zstd", "/usr/bin/zstdcat")])
    func compressedObjectsReadBackWholeWithTheSystemTools(compression: String, tool: String) async throws {
        let partitions = 2
        let stack = try await TestStack(partitions: partitions, name: "scn-\(compression)")
        defer { Task { await stack.shutdown() } }
        let codec: SinkSettings.Compression = compression == "gzip" ? .gzip(level: 6) : .zstd(level: 3)
        let configuration = try stack.configuration(compression: compression)
        let first = try await stack.produce(count: 600, partitions: partitions, seed: 1)
        try await stack.runSink(configuration) { await stack.decodedByteCount(codec) >= renderedCount(first) }
        // A restart appends more members/frames to the same objects.
        let second = try await stack.produce(count: 600, partitions: partitions, startOffsets: nextOffsets(first), seed: 2)
        let all = mergedWaves(first, second)
        try await stack.runSink(configuration) { await stack.decodedByteCount(codec) >= renderedCount(all) }

        for partition in 0..<Int32(partitions) {
            let objects = try await stack.objects(partition: partition)
            #expect(!objects.isEmpty)
            var decoded: [UInt8] = []
            for object in objects {
                #expect(object.record.key.hasSuffix(compression == "gzip" ? ".gz" : ".zst"))
                decoded += try pipeThrough(tool, object.bytes)
            }
            #expect(decoded.count == rendered(all[partition]!).count)
            #expect(decoded == rendered(all[partition]!))
        }
        try await expectCommitsDescribeObjects(stack, all, partitions: partitions)
    }
}

/// A value shared between the test and the sink's stop condition.
final class WaveBox: Sendable {
    private let stored = SharedBox<[Int32: [SinkRecord]]?>(nil)
    var value: [Int32: [SinkRecord]]? { stored.current }
    func set(_ value: [Int32: [SinkRecord]]?) { stored.set(value) }
}

final class LockedKeys: Sendable {
    private let stored = SharedBox<[String]>([])
    var keys: [String] { stored.current }
    func set(_ keys: [String]) { stored.set(keys) }
}

/// The instant something happened, shared with a stop condition.
final class ScenarioClock: Sendable {
    private let instant = SharedBox<ContinuousClock.Instant?>(nil)
    func mark() { instant.set(ContinuousClock.now) }
    var marked: Bool { instant.current != nil }
    var elapsed: Duration { instant.current.map { ContinuousClock.now - $0 } ?? .zero }
}

/// Tells when the sink service gave up (its reporter's `failed`).
final class FailureSignal: SinkReporter {
    private let flag = SharedBox(false)
    var failed: Bool { flag.current }
    func failed(reason: String) { flag.set(true) }
}
