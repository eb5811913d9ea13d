import ArchiveReading
import KafkaBridge
import Logging
import SinkCore
import Synchronization

extension ReplayEngine {
    /// Produces the plan's records and returns the final status once every partition finished, failed or stopped
    /// and the producer's outstanding records were acknowledged (or, after ``stop()``, `shutdownTimeout` passed).
    ///
    /// - Throws: ``ReplayError`` when the producer cannot be created. Partition failures are in the status.
    public func run(_ plan: ReplayPlan) async throws(ReplayError) -> ReplayStatus {
        let c = configuration
        guard let prepared = prepared.withLock({ $0 }) else {
            throw ReplayError(.invalidOptions, "run needs the plan of this engine: call plan() first")
        }
        var initial = ReplayStatus(
            sourceTopic: c.sourceTopic, targetTopic: c.targetTopic,
            partitions: plan.partitions.map {
                var partition = ReplayStatus.Partition(
                    source: $0.source, target: $0.target, plannedBytes: $0.bytes, plannedRecords: $0.records,
                    segmentsPlanned: $0.segments.count)
                if $0.upToDate { partition.state = .upToDate }
                return partition
            },
            startedAt: .now)
        initial.stopping = isStopping
        state.withLock { $0 = initial }
        let indexOf = Dictionary(uniqueKeysWithValues: plan.partitions.enumerated().map { ($0.element.source, $0.offset) })

        var properties = c.producerProperties
        if properties["queue.buffering.max.kbytes"] == nil {
            properties["queue.buffering.max.kbytes"] = String(c.memory.producerQueueKilobytes)
        }
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(
                configuration: KafkaProducerConfiguration(
                    bootstrapServers: c.targetBootstrapServers, delivery: .idempotentGapless, properties: properties),
                logger: logger
            ) { report in
                guard let index = indexOf[Int32(truncatingIfNeeded: report.token)] else { return }
                self.state.withLock { status in
                    if report.error == nil {
                        status?.partitions[index].delivered += 1
                    } else {
                        status?.partitions[index].failedDeliveries += 1
                    }
                }
            }
        } catch {
            throw ReplayError(.invalidOptions, "the producer cannot be created: \(error)")
        }

        let limiter = c.maxBytesPerSecond.map { RateLimiter(bytesPerSecond: $0) }
        let work = plan.partitions.filter { !$0.upToDate }
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            func startNext() {
                guard next < work.count else { return }
                let partition = work[next]
                next += 1
                group.addTask {
                    await self.replayPartition(
                        partition, index: indexOf[partition.source]!, prepared: prepared, producer: producer, limiter: limiter)
                }
            }
            for _ in 0..<c.memory.jobs { startNext() }
            while await group.next() != nil { startNext() }
        }

        await finish(producer)
        return state.withLock { $0! }
    }

    /// Waits for the outstanding records: for as long as it takes while running, `shutdownTimeout` after a stop.
    func finish(_ producer: KafkaProducer) async {
        var stopDeadline: ContinuousClock.Instant?
        while producer.outstanding > 0 {
            if let fatal = producer.fatalError {
                state.withLock { $0?.fatal = "\(fatal)" }
                break
            }
            if isStopping {
                let deadline = stopDeadline ?? (.now + configuration.shutdownTimeout)
                stopDeadline = deadline
                if ContinuousClock.now >= deadline { break }
            }
            do {
                try await producer.flush(timeout: .seconds(1))
            } catch {
                continue
            }
        }
        if let fatal = producer.fatalError { state.withLock { $0?.fatal = "\(fatal)" } }
        await producer.close()
    }

    func update(_ index: Int, _ body: (inout ReplayStatus.Partition) -> Void) {
        state.withLock { status in
            guard status != nil else { return }
            body(&status!.partitions[index])
        }
    }

    /// Reads one partition's segments in order and enqueues its records.
    func replayPartition(
        _ partition: ReplayPlan.Partition, index: Int, prepared: Prepared, producer: KafkaProducer, limiter: RateLimiter?
    ) async {
        update(index) {
            $0.state = .running
            $0.startedAt = .now
        }
        var replay = PartitionReplay(
            engine: self, partition: partition, index: index, prepared: prepared, producer: producer, limiter: limiter)
        let outcome = await replay.run()
        update(index) {
            $0.state = outcome
            $0.currentKey = nil
            $0.finishedAt = .now
        }
        if case .failed(let reason) = outcome {
            logger.error("replay of a partition stopped", metadata: [
                "partition": "\(configuration.sourceTopic)[\(partition.source)]", "reason": "\(reason)"])
        }
    }
}

/// The replay of one source partition: its segments in order, record by record.
struct PartitionReplay {
    let engine: ReplayEngine
    let partition: ReplayPlan.Partition
    let index: Int
    let prepared: ReplayEngine.Prepared
    let producer: KafkaProducer
    let limiter: RateLimiter?

    let topicBytes: [UInt8]
    let targetTopic: String
    let parser: JSONLRecordParser
    let raw: Bool
    /// The last source offset handled (produced or found in the target); later records must be above it.
    var lastOffset: Int64
    var parsed = ParsedRecord()
    var provenance: [UInt8] = []
    var pendingRateBytes = 0
    /// Counters flushed into the status every few thousand records.
    var counts = Counts()

    struct Counts {
        var enqueued: Int64 = 0
        var producedBytes: UInt64 = 0
        var alreadyInTarget: Int64 = 0
        var outsideRange: Int64 = 0
        var duplicates: Int64 = 0
        var olderThanRetention: Int64 = 0
        var lastOffset: Int64?
        var isEmpty: Bool { enqueued == 0 && alreadyInTarget == 0 && outsideRange == 0 && duplicates == 0 }
    }

    init(
        engine: ReplayEngine, partition: ReplayPlan.Partition, index: Int, prepared: ReplayEngine.Prepared,
        producer: KafkaProducer, limiter: RateLimiter?
    ) {
        self.engine = engine
        self.partition = partition
        self.index = index
        self.prepared = prepared
        self.producer = producer
        self.limiter = limiter
        topicBytes = Array(engine.configuration.sourceTopic.utf8)
        targetTopic = engine.configuration.targetTopic
        parser = JSONLRecordParser(format: engine.format)
        raw = engine.isRaw
        lastOffset = -1
    }

    /// What ended the handling of one record.
    enum Step {
        case next
        /// The rest of the segment is superseded by the next segment.
        case endSegment
        /// Nothing after this record is selected.
        case endPartition
    }

    mutating func run() async -> ReplayStatus.State {
        let retentionCutoff = prepared.retentionMs.flatMap { $0 >= 0 ? ReplayEngine.nowMs() - $0 : nil }
        defer { flushCounts() }
        for segment in partition.segments {
            if engine.isStopping { return .stopped }
            if let blocked = segment.blocked { return .failed(blocked) }
            engine.update(index) { $0.currentKey = segment.key }
            do {
                let step = try await replay(segment, retentionCutoff: retentionCutoff)
                engine.update(index) { $0.segmentsRead += 1 }
                if step == .endPartition { break }
            } catch let stop as Stopped {
                return stop.state
            } catch {
                return .failed("\(error)")
            }
        }
        return engine.isStopping ? .stopped : .finished
    }

    struct Stopped: Error {
        var state: ReplayStatus.State
    }

    mutating func replay(_ segment: ReplayPlan.Segment, retentionCutoff: Int64?) async throws -> Step {
        let c = engine.configuration
        var reader = VerifiedSegmentReader(
            archive: c.archive, segment: SegmentToRead(key: segment.key, length: segment.bytes, checkpoints: segment.checkpoints),
            chunkSize: c.memory.chunkSize, inMemoryLimit: c.memory.inMemoryLimit)
        let decoder = StreamingDecoder(engine.layout.settings.compression)
        let delimiter: [UInt8]
        if case .raw(let d) = engine.format { delimiter = d } else { delimiter = [0x0A] }
        let cursor = LineCursor(delimiter: delimiter)
        var readSoFar: UInt64 = 0
        var position = segment.firstOffset
        defer { flushCounts() }
        while true {
            let chunk: (offset: UInt64, bytes: [UInt8])?
            do {
                chunk = try await reader.next()
            } catch {
                engine.update(index) { $0.bytesRead += reader.bytesRead - readSoFar }
                throw ReplayError(error.code, Self.describe(error))
            }
            engine.update(index) { $0.bytesRead += reader.bytesRead - readSoFar }
            readSoFar = reader.bytesRead
            guard let chunk else { break }
            decoder.setInput(chunk.bytes)
            do {
                while let piece = try decoder.next() {
                    var at = 0
                    while let record = cursor.next(in: piece, at: &at) {
                        if engine.isStopping { throw Stopped(state: .stopped) }
                        let step: Step
                        if raw {
                            step = try await produceRaw(record, offset: position, segment: segment)
                            position += 1
                        } else {
                            step = try await produceJSONL(record, segment: segment, line: cursor.lines, retentionCutoff: retentionCutoff)
                        }
                        if step != .next { return step }
                    }
                }
            } catch let error as SegmentDecodeError {
                throw ReplayError(.integrity, "\(segment.key): \(error); its bytes matched their CRC-64, so the sink wrote them so")
            }
        }
        do {
            try decoder.finish()
        } catch {
            throw ReplayError(.unreadableRecord, "\(segment.key): \(error)")
        }
        if cursor.pendingBytes > 0 {
            throw ReplayError(.unreadableRecord, "\(segment.key) ends in the middle of a record (\(cursor.pendingBytes) bytes after the last delimiter)")
        }
        return .next
    }

    static func describe(_ failure: SegmentReadFailure) -> String {
        switch failure {
        case .integrity(let key, let integrity):
            let produced = integrity.badRange.lowerBound == 0
                ? "no record of this segment was produced"
                : "its records in bytes 0..<\(integrity.badRange.lowerBound) were produced, none after"
            return "\(key): \(integrity); the partition stops here: \(produced)"
        default:
            return "\(failure)"
        }
    }

    mutating func produceJSONL(_ line: UnsafeRawBufferPointer, segment: ReplayPlan.Segment, line number: Int64, retentionCutoff: Int64?) async throws -> Step {
        do {
            try parser.parse(line, into: &parsed)
        } catch {
            throw ReplayError(.unreadableRecord, "\(segment.key): record \(number) cannot be read back: \(error)")
        }
        guard parsed.partition == partition.source, parsed.bytes[parsed.topic].elementsEqual(topicBytes) else {
            throw ReplayError(.unreadableRecord, "\(segment.key): record \(number) belongs to \(parsed.topicName)[\(parsed.partition)], not to \(engine.configuration.sourceTopic)[\(partition.source)]")
        }
        let offset = parsed.offset
        if let end = segment.endOffset, offset >= end { return .endSegment }
        if offset <= lastOffset {
            counts.duplicates += 1
            return .next
        }
        switch engine.configuration.selection.decide(offset: offset, timestampMs: parsed.timestampMs) {
        case .produce: break
        case .pastRange: return .endPartition
        case .beforeRange, .outsideTime, .noTimestamp:
            counts.outsideRange += 1
            lastOffset = offset
            return .next
        }
        let target: Int32 = parsed.bytes.withUnsafeBytes { bytes in
            prepared.mapping.target(
                sourcePartition: partition.source, key: parsed.key.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) })
        }
        lastOffset = offset
        if let resume = prepared.resume[partition.source]?[target], offset <= resume {
            counts.alreadyInTarget += 1
            return .next
        }
        if let cutoff = retentionCutoff, let stamp = parsed.timestampMs, stamp < cutoff { counts.olderThanRetention += 1 }
        Provenance.encode(topic: topicBytes, partition: partition.source, offset: offset, into: &provenance)
        var size = provenance.count + Provenance.headerNameBytes.count
        size += parsed.key?.count ?? 0
        size += parsed.value?.count ?? 0
        for header in parsed.headers { size += header.name.count + (header.value?.count ?? 0) }
        try await rateLimit(size)
        let token = UInt64(UInt32(bitPattern: partition.source))
        while true {
            let enqueued: Bool
            do {
                enqueued = try enqueueParsed(target: target, token: token)
            } catch {
                throw ReplayError(.produceFailed, "\(segment.key): the record at offset \(offset) cannot be produced to \(targetTopic)[\(target)]: \(error)")
            }
            if enqueued { break }
            try await waitForQueueSpace()
        }
        return countEnqueued(size: size, offset: offset)
    }

    /// The producer's queue is full: publishes the counts so far and waits for room, or stops.
    mutating func waitForQueueSpace() async throws {
        flushCounts()
        await producer.waitForQueueSpace()
        if let fatal = producer.fatalError { throw Stopped(state: .failed("the producer stopped: \(fatal)")) }
        if engine.isStopping { throw Stopped(state: .stopped) }
    }

    /// Counts a record the producer took.
    mutating func countEnqueued(size: Int, offset: Int64) -> Step {
        counts.enqueued += 1
        counts.producedBytes += UInt64(size)
        counts.lastOffset = offset
        if counts.enqueued % 4096 == 0 { flushCounts() }
        return .next
    }

    /// Enqueues the parsed record and its provenance header; `false` when the producer's queue is full.
    func enqueueParsed(target: Int32, token: UInt64) throws -> Bool {
        try parsed.bytes.withUnsafeBytes { bytes in
            try provenance.withUnsafeBytes { source in
                try Provenance.headerNameBytes.withUnsafeBytes { name in
                    var headers: [KafkaHeaderView] = []
                    headers.reserveCapacity(parsed.headers.count + 1)
                    for header in parsed.headers {
                        headers.append(KafkaHeaderView(
                            name: UnsafeRawBufferPointer(rebasing: bytes[header.name]),
                            value: header.value.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }))
                    }
                    headers.append(KafkaHeaderView(name: name, value: source))
                    return try producer.enqueue(
                        KafkaOutgoingRecord(
                            partition: target, key: parsed.key.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) },
                            value: parsed.value.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }, headers: headers,
                            timestampMilliseconds: parsed.timestampMs),
                        topic: targetTopic, token: token)
                }
            }
        }
    }

    /// A raw segment's record: the value alone, its offset the segment's first offset plus its position.
    mutating func produceRaw(_ value: UnsafeRawBufferPointer, offset: Int64, segment: ReplayPlan.Segment) async throws -> Step {
        if let end = segment.endOffset, offset >= end { return .endSegment }
        if offset <= lastOffset {
            counts.duplicates += 1
            return .next
        }
        switch engine.configuration.selection.decide(offset: offset, timestampMs: nil) {
        case .produce: break
        case .pastRange: return .endPartition
        case .beforeRange, .outsideTime, .noTimestamp:
            counts.outsideRange += 1
            lastOffset = offset
            return .next
        }
        let target = prepared.mapping.target(sourcePartition: partition.source, key: nil)
        lastOffset = offset
        if let resume = prepared.resume[partition.source]?[target], offset <= resume {
            counts.alreadyInTarget += 1
            return .next
        }
        Provenance.encode(topic: topicBytes, partition: partition.source, offset: offset, into: &provenance)
        let size = value.count + provenance.count + Provenance.headerNameBytes.count
        try await rateLimit(size)
        let token = UInt64(UInt32(bitPattern: partition.source))
        while true {
            let enqueued: Bool
            do {
                enqueued = try provenance.withUnsafeBytes { source in
                    try Provenance.headerNameBytes.withUnsafeBytes { name in
                        try producer.enqueue(
                            KafkaOutgoingRecord(
                                partition: target, key: nil, value: value, headers: [KafkaHeaderView(name: name, value: source)],
                                timestampMilliseconds: nil),
                            topic: targetTopic, token: token)
                    }
                }
            } catch {
                throw ReplayError(.produceFailed, "the value at position \(offset) cannot be produced to \(targetTopic)[\(target)]: \(error)")
            }
            if enqueued { break }
            try await waitForQueueSpace()
        }
        return countEnqueued(size: size, offset: offset)
    }

    mutating func rateLimit(_ bytes: Int) async throws {
        guard let limiter else { return }
        pendingRateBytes += bytes
        if pendingRateBytes >= 64 * 1024 {
            let taken = pendingRateBytes
            pendingRateBytes = 0
            await limiter.acquire(taken)
        }
    }

    mutating func flushCounts() {
        guard !counts.isEmpty else { return }
        let c = counts
        counts = Counts()
        engine.update(index) { status in
            status.enqueued += c.enqueued
            status.producedBytes += c.producedBytes
            status.alreadyInTarget += c.alreadyInTarget
            status.outsideRange += c.outsideRange
            status.duplicates += c.duplicates
            status.olderThanRetention += c.olderThanRetention
            if let last = c.lastOffset { status.lastOffset = last }
        }
    }
}

extension SegmentReadFailure {
    var code: ReplayError.Code {
        switch self {
        case .integrity, .changedDuringRead: .integrity
        case .needsRestore: .needsRestore
        case .unreadable: .archiveUnavailable
        }
    }
}
