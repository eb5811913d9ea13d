import SinkCore

/// The OSS operations the sink needs, already classified into the outcomes `SinkCore` decides on.
///
/// Implementations retry transient failures themselves (same bytes, same position) and never throw.
protocol SegmentStore: Sendable {
    /// AppendObject `request.bytes` at `request.position` of `request.key`.
    func append(_ request: AppendRequest) async -> AppendOutcome
    /// HeadObject.
    func head(key: String) async -> HeadOutcome
    /// GetObject of exactly `range`.
    func read(key: String, range: Range<Int>) async -> RangeOutcome
    /// SealAppendObject `request.key` at `request.position`.
    func seal(_ request: SealRequest) async -> SealOutcome
    /// PutObjectTagging: `request.tags` plus the tags configured for new objects (replacing every tag).
    func tag(_ request: TagRequest) async -> TagOutcome
}
