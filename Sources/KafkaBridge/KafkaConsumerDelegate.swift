/// Receives everything a `KafkaConsumer` produces. Every method is called on the consumer's poll
/// thread, one at a time, in the order things happened.
///
/// Contract:
/// - Records of a partition arrive in offset order. All records fetched before a rebalance are
///   delivered before the rebalance event; no record of a partition is delivered after its
///   `.revoked` / `.lost` event (until it is assigned again).
/// - `.revoked` and `.lost` are delivered *before* the partitions are unassigned: while the handler
///   runs, the partitions are still assigned, and the handler may block to finish in-flight work and
///   commit with `control.commitSync`. On `.lost` it must not commit.
/// - Backpressure: pause partitions with `control.pause` (takes effect before the next poll). A
///   handler may also block, but that delays rebalances and must stay under `max.poll.interval.ms`.
///
/// - Important: never wait, inside a handler, for an `await consumer.…` call (commit, pause, close,
///   …) to finish: those run on this same poll thread after the handler returns, so waiting deadlocks.
///   Use the synchronous methods of the control instead.
public protocol KafkaConsumerDelegate: AnyObject, Sendable {
    /// A batch of records as librdkafka holds them, valid only during the call; ``KafkaMessageBatch/copied()``
    /// copies them out.
    func consumer(_ control: KafkaConsumerControl, didReceive messages: KafkaMessageBatch)
    /// The assignment changed (see the contract above for ordering).
    func consumer(_ control: KafkaConsumerControl, didRebalance event: KafkaRebalanceEvent)
    /// Fresh consumer lag per assigned partition from librdkafka statistics: end offset minus
    /// committed offset (see `KafkaStatistics.consumerLag`; partitions whose lag is not yet known are
    /// left out). Every `statisticsInterval`. Default: ignored.
    func consumer(_ control: KafkaConsumerControl, didUpdateLag lag: [KafkaTopicPartition: Int64])
    /// An error librdkafka reported. `error.isFatal` means the consumer stopped consuming and must be
    /// closed and recreated. Errors are also logged. Default: ignored.
    func consumer(_ control: KafkaConsumerControl, didReceiveError error: KafkaError)
    /// Brokers up and the group's membership state from librdkafka statistics, every `statisticsInterval`.
    /// Default: ignored.
    func consumer(_ control: KafkaConsumerControl, didUpdateStatus status: KafkaConsumerStatus)
}

extension KafkaConsumerDelegate {
    public func consumer(_ control: KafkaConsumerControl, didUpdateStatus status: KafkaConsumerStatus) {}
    public func consumer(_ control: KafkaConsumerControl, didUpdateLag lag: [KafkaTopicPartition: Int64]) {}
    public func consumer(_ control: KafkaConsumerControl, didReceiveError error: KafkaError) {}
}
