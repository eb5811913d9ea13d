/// How `sink.max_buffered_bytes` is shared between the three places records wait in memory, so that together
/// they stay within it: librdkafka's prefetch queue, the hand-over from the poll thread to the sink, and the
/// sink's own buffers (rendered records, buffered and in flight, counted by their allocated capacity).
public struct MemoryBudget: Sendable, Equatable {
    /// librdkafka's `queued.max.messages.kbytes` and `fetch.max.bytes` (one eighth each, unless set in
    /// `kafka.properties`): the records fetched but not yet polled, and one fetch response on top.
    public var prefetchBytes: Int
    /// Records polled but not yet taken by the sink (one eighth): the poll thread waits above it.
    public var handoverBytes: Int
    /// The sink's high watermark (the rest, three quarters): above it the fullest partitions pause.
    public var sinkBytes: Int

    public init(maxBufferedBytes: Int64) {
        let total = Int(clamping: maxBufferedBytes)
        prefetchBytes = total / 8
        handoverBytes = total / 8
        sinkBytes = total - prefetchBytes - handoverBytes
    }
}

extension SinkConfiguration.Sink {
    /// How `max_buffered_bytes` is shared (see `MemoryBudget`).
    public var memoryBudget: MemoryBudget { MemoryBudget(maxBufferedBytes: maxBufferedBytes) }
}
