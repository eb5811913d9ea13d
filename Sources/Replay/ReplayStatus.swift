/// Where each partition of a running replay stands: what the progress lines, the metrics and the final summary
/// show. A value (snapshot); ``ReplayEngine/status`` takes one.
public struct ReplayStatus: Sendable {
    public enum State: Sendable, Hashable {
        /// Waiting for a free slot (`--jobs` partitions run at a time).
        case pending
        case running
        /// Every selected record was enqueued (deliveries may still be outstanding).
        case finished
        /// Stopped by a problem; the others go on.
        case failed(String)
        /// Stopped by SIGTERM (or because another partition's failure stopped the producer).
        case stopped
        /// Nothing to produce: already in the target.
        case upToDate
    }

    public struct Partition: Sendable {
        public var source: Int32
        public var target: Int32?
        public var state: State = .pending
        /// Segment bytes planned and read from OSS (the second pass over large objects included).
        public var plannedBytes: UInt64
        public var bytesRead: UInt64 = 0
        /// Offsets planned (`nil`: unknown).
        public var plannedRecords: Int64?
        public var enqueued: Int64 = 0
        public var delivered: Int64 = 0
        public var failedDeliveries: Int64 = 0
        /// Key, value and header bytes enqueued.
        public var producedBytes: UInt64 = 0
        /// Records left out, by reason.
        public var alreadyInTarget: Int64 = 0
        public var outsideRange: Int64 = 0
        public var duplicates: Int64 = 0
        /// Records older than the target's retention at the time they were produced (see ``RetentionCheck``).
        public var olderThanRetention: Int64 = 0
        public var segmentsRead = 0
        public var segmentsPlanned: Int
        /// The segment being read.
        public var currentKey: String?
        /// The last source offset enqueued.
        public var lastOffset: Int64?
        public var startedAt: ContinuousClock.Instant?
        public var finishedAt: ContinuousClock.Instant?

        public init(source: Int32, target: Int32?, plannedBytes: UInt64, plannedRecords: Int64?, segmentsPlanned: Int) {
            self.source = source
            self.target = target
            self.plannedBytes = plannedBytes
            self.plannedRecords = plannedRecords
            self.segmentsPlanned = segmentsPlanned
        }

        public var skipped: Int64 { alreadyInTarget + outsideRange + duplicates }

        public var isDone: Bool {
            switch state {
            case .finished, .failed, .stopped, .upToDate: true
            case .pending, .running: false
            }
        }

        public var failure: String? {
            if case .failed(let reason) = state { return reason }
            return nil
        }
    }

    public var sourceTopic: String
    public var targetTopic: String
    public var partitions: [Partition]
    public var startedAt: ContinuousClock.Instant
    /// Set by SIGTERM (``ReplayEngine/stop()``).
    public var stopping = false
    /// A fatal producer error (every partition stopped).
    public var fatal: String?

    public init(sourceTopic: String, targetTopic: String, partitions: [Partition], startedAt: ContinuousClock.Instant) {
        self.sourceTopic = sourceTopic
        self.targetTopic = targetTopic
        self.partitions = partitions
        self.startedAt = startedAt
    }

    public var delivered: Int64 { partitions.reduce(0) { $0 + $1.delivered } }
    public var enqueued: Int64 { partitions.reduce(0) { $0 + $1.enqueued } }
    public var bytesRead: UInt64 { partitions.reduce(0) { $0 + $1.bytesRead } }
    public var producedBytes: UInt64 { partitions.reduce(0) { $0 + $1.producedBytes } }
    public var failedPartitions: [Partition] { partitions.filter { $0.failure != nil } }
}
