import ArchiveReading
import Foundation
import KafkaBridge
public import Logging
import SinkCore
import Synchronization

/// Reads a topic's archive back into Kafka: plans (``plan()``), then produces (``run(_:)``).
///
/// - Exactly once without a state store: the producer is idempotent with the gapless guarantee, every record
///   carries a ``Provenance`` header, and planning reads the end of each target partition to resume after the
///   last record an earlier run produced there (see ``ResumeScan``).
/// - Integrity: each segment's bytes are proven against its CRC-64 (and the group's commit, when it names the
///   segment) before any record in them is produced (``VerifiedSegmentReader``); a failure stops that partition
///   with an error naming the key and the first bad byte range, and the other partitions go on.
/// - Order: one task per source partition reads its segments in order and enqueues in order; `memory.jobs`
///   partitions run at a time.
/// - Stop: ``stop()`` (SIGTERM) makes the partitions stop at the next record; ``run(_:)`` then waits up to
///   `shutdownTimeout` for outstanding records and returns.
public final class ReplayEngine: Sendable {
    public let configuration: ReplayConfiguration
    let logger: Logger
    let state: Mutex<ReplayStatus?>
    let stopping = Atomic<Bool>(false)
    let prepared: Mutex<Prepared?>
    /// How the source topic's segments are named and written: the settings of its `kafka.topics` entry, else `sink:`.
    let layout: TopicLayout

    /// What planning learnt about the target, for the run.
    struct Prepared: Sendable {
        var mapping: TargetMapping
        var retentionMs: Int64?
        /// Per source partition, per target partition: the last source offset already there.
        var resume: [Int32: [Int32: Int64]]
    }

    public init(configuration: ReplayConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        layout = configuration.settings.layout(forTopic: configuration.sourceTopic)
        state = Mutex(nil)
        prepared = Mutex(nil)
    }

    /// A snapshot of the running replay; `nil` before ``run(_:)``.
    public var status: ReplayStatus? { state.withLock { $0 } }

    /// Stops the run: partitions stop at their next record, outstanding records get `shutdownTimeout` to be
    /// acknowledged. A later run resumes.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        state.withLock { $0?.stopping = true }
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }

    var format: SinkSettings.Format { layout.settings.format }

    var isRaw: Bool {
        if case .raw = format { true } else { false }
    }

    // MARK: - Planning

    /// Lists the archive, checks the target, finds where earlier runs stopped, and HEADs the segments to read.
    /// Produces nothing.
    /// - Throws: ``ReplayError`` naming the problem and the fix.
    public func plan() async throws(ReplayError) -> ReplayPlan {
        let c = configuration
        if let problem = c.selection.problem { throw ReplayError(.invalidOptions, problem) }
        if case .raw(let delimiter) = format {
            guard c.valueOnly else {
                throw ReplayError(.lossyFormat, """
                    the archive of \(c.sourceTopic) is in raw format (format: raw): it holds only values, without \
                    keys, headers, timestamps or offsets, so it cannot be replayed losslessly; pass --value-only to \
                    replay the values alone (null keys, no headers, the time of replay as timestamp)
                    """)
            }
            guard !delimiter.isEmpty else {
                throw ReplayError(.lossyFormat, "raw_delimiter is empty: the values in the archive cannot be told apart")
            }
            if c.selection.hasTimeRange {
                throw ReplayError(.invalidOptions, "--from-time/--to-time need timestamps, which raw archives do not hold")
            }
        } else if c.valueOnly {
            throw ReplayError(.invalidOptions, "--value-only is for raw archives; this archive is jsonl and is replayed whole")
        }

        let pattern = layout.pattern
        let listing: SegmentListing
        do {
            listing = try await SegmentListing.list(
                topic: c.sourceTopic, pattern: pattern, otherPatterns: c.settings.segmentKeyPatterns, archive: c.archive)
        } catch {
            throw ReplayError(.archiveUnavailable, "cannot list the archive under \(pattern.listingPrefix(topic: c.sourceTopic)): \(error)")
        }
        var notes: [String] = []
        var archived = listing.partitions
        if let wanted = c.selection.partitions {
            for partition in wanted.sorted() where archived[partition] == nil {
                notes.append("partition \(partition) of \(c.sourceTopic) has no archived segment")
            }
            archived = archived.filter { wanted.contains($0.key) }
        }
        guard !archived.isEmpty else {
            throw ReplayError(.nothingArchived, """
                no archived segment of \(c.sourceTopic)\(c.selection.partitions.map { " partition(s) \($0.sorted().map(String.init).joined(separator: ","))" } ?? "") \
                under the key prefix "\(pattern.listingPrefix(topic: c.sourceTopic))": check --topic, and that key_template, prefix, \
                format and compression (under sink:, or in the topic's kafka.topics entry) are the ones the sink wrote with
                """)
        }
        if !listing.ignoredKeys.isEmpty {
            notes.append("\(listing.ignoredKeys.count) object(s) under the prefix are not segments of the key template and are left out, for example \(listing.ignoredKeys[0])")
        }
        let sources = archived.keys.sorted()

        // The target.
        let reader: KafkaPartitionReader
        do {
            reader = try KafkaPartitionReader(bootstrapServers: c.targetBootstrapServers, properties: c.producerProperties, logger: logger)
        } catch {
            throw ReplayError(.invalidOptions, "the target cluster's client cannot be created: \(error)")
        }
        defer { reader.close() }
        let topics: [String: Int]
        do {
            topics = try await reader.topics(timeout: c.clusterTimeout)
        } catch {
            throw ReplayError(.kafkaUnavailable, """
                cannot reach the target cluster at \(c.targetBootstrapServers) within \(c.clusterTimeout): \(error.message); \
                check --to-bootstrap-servers (default kafka.bootstrap_servers) and the client settings in replay.properties
                """)
        }
        guard let targetPartitions = topics[c.targetTopic] else {
            let count = (sources.last ?? 0) + 1
            throw ReplayError(.targetMissing, """
                topic \(c.targetTopic) does not exist on \(c.targetBootstrapServers): create it first, with \(count) partition(s) \
                to keep every partition's order (for example: kafka-topics.sh --bootstrap-server \(c.targetBootstrapServers) \
                --create --topic \(c.targetTopic) --partitions \(count)), and the retention the restored records need
                """)
        }
        let mapping = try TargetMapping.choose(
            sourceTopic: c.sourceTopic, sourcePartitions: sources, targetTopic: c.targetTopic, targetPartitions: targetPartitions,
            repartition: c.repartition, partitioner: c.partitioner)
        if case .samePartition = mapping, targetPartitions > (sources.last ?? 0) + 1, c.selection.partitions == nil {
            notes.append("\(c.targetTopic) has \(targetPartitions) partitions, more than the archive's \((sources.last ?? 0) + 1): the extra ones receive nothing")
        }

        // retention.ms, asked on a handle of its own while the rest of the planning goes on (a cluster without the
        // Admin API, such as librdkafka's mock, only answers after the timeout).
        let servers = c.targetBootstrapServers
        let properties = c.producerProperties
        let targetTopic = c.targetTopic
        let logger = logger
        let retentionTimeout = c.adminTimeout
        async let retention: Result<Int64?, KafkaError> = {
            do throws(KafkaError) {
                let configReader = try KafkaPartitionReader(bootstrapServers: servers, properties: properties, logger: logger)
                defer { configReader.close() }
                let values = try await configReader.topicConfiguration(targetTopic, names: ["retention.ms"], timeout: retentionTimeout)
                return .success(values["retention.ms"].flatMap { Int64($0) })
            } catch {
                return .failure(error)
            }
        }()

        // Where earlier runs stopped, and where they started.
        let (resume, firstReplayed) = try await resumePositions(
            reader: reader, sources: sources, mapping: mapping, targetPartitions: targetPartitions)

        // Commits that prove segment bytes.
        var commits: [Int32: (offset: Int64, metadata: CommitMetadata)] = [:]
        if let commitReader = c.commits {
            do {
                let read = try await commitReader.committed(sources.map { VerifyPartitionID(topic: c.sourceTopic, partition: $0) })
                for (id, commit) in read {
                    guard let offset = commit.offset else { continue }
                    if let metadata = CommitMetadata.parse(commit.metadata) {
                        commits[id.partition] = (offset, metadata)
                    }
                }
            } catch {
                notes.append("could not read the sink's committed offsets (\(error)): segments are checked against their CRC-64 only")
            }
        }

        // Segments to read, with what proves their bytes: the partitions planned side by side (their reads are
        // HEADs and small ranged GETs, each a round trip).
        var planned: [Int32: PartitionPlanning] = [:]
        await withTaskGroup(of: PartitionPlanning.self) { group in
            var next = 0
            func startNext() {
                guard next < sources.count else { return }
                let source = sources[next]
                next += 1
                let segments = archived[source]!
                let resumeAfter = Self.resumeFloor(resume[source], mapping: mapping, source: source)
                let commit = commits[source]
                let first = firstReplayed[source]
                group.addTask {
                    await self.planPartition(
                        source, segments: segments, resumeAfter: resumeAfter, firstReplayed: first, mapping: mapping, commit: commit)
                }
            }
            for _ in 0..<Self.planningConcurrency { startNext() }
            while let done = await group.next() {
                planned[done.partition.source] = done
                startNext()
            }
        }
        let partitions = sources.map { planned[$0]!.partition }
        notes += sources.flatMap { planned[$0]!.notes }
        var oldest = sources.compactMap { planned[$0]!.firstTimestamp }.min()
        let retentionMs: Int64?
        switch await retention {
        case .success(let value):
            retentionMs = value
        case .failure(let error):
            retentionMs = nil
            notes.append("could not read retention.ms of \(c.targetTopic) (\(error.message)): make sure it keeps records as old as the ones replayed, or the broker deletes them soon after they are written")
        }
        if let from = c.selection.fromTimeMs, let value = oldest { oldest = max(value, from) }
        if let warning = RetentionCheck.warning(
            targetTopic: c.targetTopic, retentionMs: retentionMs, oldestTimestampMs: oldest, nowMs: Self.nowMs()) {
            notes.append(warning)
        }
        if case .jsonl(valueAsJSON: true) = format {
            notes.append("the archive embeds JSON values (sink.json_value: json): a value that was a JSON string, the text null, or a {\"base64\":…} object is restored as text, a tombstone, or bytes, and CR/LF inside JSON values stay spaces (docs/replay.md)")
        }
        prepared.withLock { $0 = Prepared(mapping: mapping, retentionMs: retentionMs, resume: resume) }
        return ReplayPlan(sourceTopic: c.sourceTopic, targetTopic: c.targetTopic, partitions: partitions, notes: notes)
    }

    /// Partitions planned at the same time.
    static let planningConcurrency = 16

    /// One partition's plan, with its notes and the timestamp of its first record to produce.
    struct PartitionPlanning: Sendable {
        var partition: ReplayPlan.Partition
        var notes: [String]
        var firstTimestamp: Int64?
    }

    func planPartition(
        _ source: Int32, segments: [ArchivedSegment], resumeAfter: Int64?, firstReplayed: Int64? = nil, mapping: TargetMapping,
        commit: (offset: Int64, metadata: CommitMetadata)?
    ) async -> PartitionPlanning {
        let c = configuration
        var notes: [String] = []
        var lastOffset: Int64?
        if !isRaw, let last = segments.last {
            lastOffset = try? await lastRecordOffset(last)
        }
        let (selected, skipped) = ReplayPlanner.select(segments, lastOffset: lastOffset, selection: c.selection, resumeAfter: resumeAfter)
        var planned: [ReplayPlan.Segment] = []
        for (segment, endOffset) in selected {
            planned.append(await planSegment(segment, endOffset: endOffset, commit: commit))
        }
        if let commit, !segments.contains(where: { $0.key == commit.metadata.key }) {
            notes.append("the sink's commit for \(c.sourceTopic)[\(source)] (offset \(commit.offset)) names \(commit.metadata.key), which is not archived: run verify")
        }
        let range = ReplayPlanner.offsetRange(read: selected, lastOffset: lastOffset, selection: c.selection, resumeAfter: resumeAfter)
        if let note = Self.narrowerRunNote(
            source: source, sourceTopic: c.sourceTopic, targetTopic: c.targetTopic, archiveStart: segments.first?.firstOffset,
            selection: c.selection, firstReplayed: firstReplayed, resumeAfter: resumeAfter) {
            notes.append(note)
        }
        var target: Int32?
        if case .samePartition = mapping { target = source }
        var firstTimestamp: Int64?
        if !isRaw, let first = planned.first, first.blocked == nil {
            firstTimestamp = try? await firstRecordTimestamp(first)
        }
        return PartitionPlanning(
            partition: ReplayPlan.Partition(
                source: source, target: target, resumeAfter: resumeAfter, segments: planned, skippedSegments: skipped,
                firstOffset: range.first, lastOffset: range.last, records: range.count),
            notes: notes, firstTimestamp: firstTimestamp)
    }

    /// Records of `source` up to this offset are in every target partition they go to: none needs reading.
    static func resumeFloor(_ positions: [Int32: Int64]?, mapping: TargetMapping, source: Int32) -> Int64? {
        switch mapping {
        case .samePartition:
            return positions?[source]
        case .byKey(_, let partitions):
            // Every target partition must hold a record of the source partition for a floor to exist.
            guard let positions, positions.count == Int(partitions) else { return nil }
            return positions.values.min()
        }
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// HEAD of a segment to read, and what proves or blocks it.
    func planSegment(_ segment: ArchivedSegment, endOffset: Int64?, commit: (offset: Int64, metadata: CommitMetadata)?) async -> ReplayPlan.Segment {
        let head: ArchivedObjectHead
        do {
            head = try await configuration.archive.head(key: segment.key)
        } catch {
            return ReplayPlan.Segment(
                key: segment.key, firstOffset: segment.firstOffset, endOffset: endOffset, bytes: segment.size, checkpoints: [],
                storageClass: segment.storageClass, blocked: "HEAD \(segment.key) failed: \(error)")
        }
        var (checkpoints, blocked) = ReplayPlanner.checkpoints(key: segment.key, head: head, commit: commit)
        if head.needsRestore {
            blocked = "\(ArchiveObjectNeedsRestore(key: segment.key, storageClass: head.storageClass, inProgress: head.restoreInProgress, bucket: configuration.archive.bucket))"
        }
        return ReplayPlan.Segment(
            key: segment.key, firstOffset: segment.firstOffset, endOffset: endOffset, bytes: head.length,
            checkpoints: checkpoints, storageClass: head.storageClass ?? segment.storageClass, blocked: blocked)
    }

    func lastRecordOffset(_ segment: ArchivedSegment) async throws -> Int64? {
        let line = try await SegmentEnds.lastRecord(
            archive: configuration.archive, key: segment.key, length: segment.size, compression: layout.settings.compression)
        return try JSONLRecordParser(format: format).parse(line).offset
    }

    func firstRecordTimestamp(_ segment: ReplayPlan.Segment) async throws -> Int64? {
        guard let line = try await SegmentEnds.firstRecord(
            archive: configuration.archive, key: segment.key, length: segment.bytes, compression: layout.settings.compression)
        else { return nil }
        return try JSONLRecordParser(format: format).parse(line).timestampMs
    }

    /// A note when the target partition begins after where this run's selection begins: an earlier run replayed a
    /// narrower range, and resuming after its last record leaves the records before its first one out.
    static func narrowerRunNote(
        source: Int32, sourceTopic: String, targetTopic: String, archiveStart: Int64?, selection: ReplaySelection,
        firstReplayed: Int64?, resumeAfter: Int64?
    ) -> String? {
        guard let firstReplayed, let resumeAfter, let archiveStart, selection.fromTimeMs == nil else { return nil }
        let start = max(archiveStart, selection.fromOffset ?? 0)
        guard firstReplayed > start else { return nil }
        return "\(targetTopic)[\(source)] begins with \(sourceTopic)[\(source)] offset \(firstReplayed): an earlier replay "
            + "covered a narrower range, so offsets \(start)..\(firstReplayed - 1) are not in it, and this run does not produce "
            + "them (it resumes after offset \(resumeAfter)); replay them into a topic of their own (docs/replay.md)"
    }

    /// Per source partition, per target partition: the last source offset the target already holds. With the
    /// same-partition mapping also, per source partition whose target partition holds records replayed from it, the
    /// source offset of that partition's first record when it names the source (best effort: left out when it
    /// cannot be read).
    func resumePositions(
        reader: KafkaPartitionReader, sources: [Int32], mapping: TargetMapping, targetPartitions: Int
    ) async throws(ReplayError) -> (last: [Int32: [Int32: Int64]], first: [Int32: Int64]) {
        let c = configuration
        var result: [Int32: [Int32: Int64]] = [:]
        var first: [Int32: Int64] = [:]
        let targets: [(target: Int32, wanted: Set<Int32>, only: Int32?)]
        switch mapping {
        case .samePartition: targets = sources.map { ($0, [$0], $0) }
        case .byKey: targets = (0..<Int32(targetPartitions)).map { ($0, Set(sources), nil) }
        }
        for (target, wanted, only) in targets {
            let tp = KafkaTopicPartition(topic: c.targetTopic, partition: target)
            var scan = ResumeScan(sourceTopic: c.sourceTopic, wanted: wanted, onlySource: only)
            var low: Int64 = 0
            do {
                let high: Int64
                (low, high) = try await reader.watermarks(tp, timeout: c.clusterTimeout)
                var end = high
                var window: Int64 = 1
                while end > low, !scan.isComplete {
                    let start = max(low, end - window)
                    let records = try await reader.read(
                        tp, from: start, until: end, maxRecords: Int(end - start), timeout: c.clusterTimeout + .seconds(Int64(end - start) / 10_000))
                    scan.feed(records.filter { $0.offset < end })
                    end = start
                    window = min(window * 16, 10_000)
                }
            } catch {
                throw ReplayError(.kafkaUnavailable, "cannot read the end of \(tp) to find where an earlier replay stopped: \(error.message)")
            }
            if let conflict = scan.conflict {
                throw ReplayError(.targetConflict, """
                    \(tp) holds a record replayed from \(conflict.provenance) (at offset \(conflict.targetOffset)) after the last \
                    record replayed from \(c.sourceTopic)\(only.map { "[\($0)]" } ?? ""): another replay writes to this target \
                    (a different --topic, or --repartition), so this one cannot tell where it stopped; replay into a topic of its own
                    """)
            }
            if scan.foreignRecords > 0 {
                logger.warning("the target partition holds records without provenance after the last replayed one: another producer writes to it", metadata: [
                    "partition": "\(tp)", "records": "\(scan.foreignRecords)"])
            }
            for (source, offset) in scan.found { result[source, default: [:]][target] = offset }
            if let only, scan.found[only] != nil,
               let record = try? await reader.read(tp, from: low, until: low + 1, maxRecords: 1, timeout: c.clusterTimeout).first,
               let provenance = Provenance.of(headers: record.headers, name: \.key, value: \.value),
               provenance.topic == c.sourceTopic, provenance.partition == only {
                first[only] = provenance.offset
            }
        }
        return (result, first)
    }
}
