/// How one append request to OSS ended, the `outcome` label of `kafka_oss_sink_appends_total`.
///
/// The raw values are the label values. An append that is retried counts once as ``retried`` per retry and
/// once more with its final outcome, so `sum by (outcome)` is the number of attempts, not of batches.
public enum AppendMetricOutcome: String, Sendable, Hashable, CaseIterable {
    /// 200 with the expected next position and CRC-64.
    case ok = "ok"
    /// A timeout, connection error, 5xx or 429 that is retried at the same position.
    case retried = "retried"
    /// 409 `PositionNotEqualToLength` proven to be an earlier try whose response was lost: a success.
    case lostResponseResolved = "lost_response_resolved"
    /// 409 `PositionNotEqualToLength` with another writer's bytes: this writer is fenced off the partition.
    case fenced = "fenced"
    /// 409 `ObjectNotAppendable`: the bytes go to a new key.
    case notAppendable = "not_appendable"
    /// 409 `AppendSealedObjectNotAllowed`: the object was sealed by the partition's owner; this writer is fenced.
    case sealed = "sealed"
    /// Any other failure: a configuration error (403, 404 `NoSuchBucket`, other 4xx), retries exhausted,
    /// or an integrity error (a 200 with an unexpected position or CRC-64).
    case error = "error"
}

/// How an offset commit ended, the `outcome` label of `kafka_oss_sink_commits_total`.
public enum CommitMetricOutcome: String, Sendable, Hashable, CaseIterable {
    case ok = "ok"
    case error = "error"
}
