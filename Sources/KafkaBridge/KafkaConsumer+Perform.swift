extension KafkaConsumer {
    /// Runs `body` on the poll thread, between two deliveries to the delegate, with the same
    /// synchronous control a delegate callback gets.
    ///
    /// Operations submitted this way run in submission order. Everything delivered to the delegate
    /// before `body` runs was fetched before it; everything after, after it — so a seek done in `body`
    /// cleanly separates records fetched before the seek from those fetched after.
    ///
    /// - Returns: false when the consumer is closed (`body` does not run).
    @discardableResult
    public func perform(_ body: @escaping @Sendable (KafkaConsumerControl) -> Void) -> Bool {
        core.submit { core in body(KafkaConsumerControl(core: core)) }
    }
}
