/// How `sink.max_buffered_bytes` is shared between the places records wait in memory, so that together they
/// stay within it: librdkafka's prefetch queue and the fetch response on its way in, the hand-over from the
/// poll thread to the sink, and the sink's own buffers (rendered records, buffered and in flight, counted by
/// their allocated capacity).
///
/// Of a budget T: librdkafka's queue T/8 and one fetch response T/8, the hand-over T/16. The sink sends partial
/// batches early above T/4, pauses its fullest partitions above T/2 and every partition above 5T/8; what was
/// already polled when the pause came (the hand-over and one delivered batch) lands on top of that, larger once
/// rendered.
public struct MemoryBudget: Sendable, Equatable {
    /// librdkafka's `queued.max.messages.kbytes` and `fetch.max.bytes` (an eighth each, unless set in
    /// `kafka.properties`): the records fetched but not yet polled, and one fetch response on top.
    public var prefetchBytes: Int
    /// Records polled but not yet taken by the sink (a sixteenth): the poll thread waits above it.
    public var handoverBytes: Int
    /// The sink's high watermark (half): above it the fullest partitions pause.
    public var sinkBytes: Int
    /// Above this (five eighths) every partition pauses, also those that hold nothing yet.
    public var sinkPauseAllBytes: Int

    public init(maxBufferedBytes: Int64) {
        let total = Int(clamping: maxBufferedBytes)
        prefetchBytes = total / 8
        handoverBytes = total / 16
        sinkBytes = total / 2
        sinkPauseAllBytes = total / 8 * 5
    }
}

extension SinkConfiguration.Sink {
    /// How `max_buffered_bytes` is shared (see `MemoryBudget`).
    public var memoryBudget: MemoryBudget { MemoryBudget(maxBufferedBytes: maxBufferedBytes) }
}
