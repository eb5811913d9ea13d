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
    /// Any other failure: a configuration error (403, 404 `NoSuchBucket`, other 4xx), retries exhausted,
    /// or an integrity error (a 200 with an unexpected position or CRC-64).
    case error = "error"
}

/// Why a segment was closed and a new key opened, the `reason` label of `kafka_oss_sink_rollovers_total`.
///
/// The raw values equal those of `SinkCore.RolloverReason`, so the shell converts with
/// `RolloverMetricReason(rawValue: reason.rawValue)`.
public enum RolloverMetricReason: String, Sendable, Hashable, CaseIterable {
    /// The next append would pass `sink.rollover.max_object_bytes`.
    case size = "size"
    /// The segment is older than `sink.rollover.max_age`.
    case age = "age"
    /// The time bucket of incoming records moved forward (a date placeholder in the key changed).
    case timeBucket = "time_bucket"
    /// OSS answered `ObjectNotAppendable`.
    case objectNotAppendable = "object_not_appendable"
    /// Recovery could not read or use the committed segment (missing, not appendable, shorter).
    case recoveryFailed = "recovery_failed"
    /// Recovery found a tail after the commit that does not match the re-rendered records.
    case recoveryMismatch = "recovery_mismatch"
    /// A 200 whose next position or CRC-64 differs from the expected one.
    case integrity = "integrity"
    /// The rolled key is held by an object this sink did not write; a suffixed key is used.
    case keyTaken = "key_taken"
}

/// How recovery of an assigned partition ended, the `outcome` label of `kafka_oss_sink_recoveries_total`.
///
/// The raw values equal those of `SinkCore.RecoveryOutcome`, so the shell converts with
/// `RecoveryMetricOutcome(rawValue: outcome.rawValue)`.
public enum RecoveryMetricOutcome: String, Sendable, Hashable, CaseIterable {
    /// No committed offset: start at `auto.offset.reset` with a new segment.
    case noCommit = "no_commit"
    /// A committed offset without usable metadata: start there with a new segment.
    case noMetadata = "no_metadata"
    /// Length and CRC-64 match the commit metadata: appending resumes.
    case clean = "clean"
    /// A tail after the commit matched the re-rendered records: appending resumes after it.
    case tailProven = "tail_proven"
    /// A tail after the commit did not match: a new segment.
    case tailMismatch = "tail_mismatch"
    /// The committed segment is gone: a new segment.
    case missing = "missing"
    /// The committed key holds an object that cannot be appended to: a new segment.
    case notAppendable = "not_appendable"
    /// The object is shorter than the committed position: a new segment.
    case shorter = "shorter"
    /// Same length as committed but another CRC-64 (the object was rewritten): a new segment.
    case crcMismatch = "crc_mismatch"
}

/// How an offset commit ended, the `outcome` label of `kafka_oss_sink_commits_total`.
public enum CommitMetricOutcome: String, Sendable, Hashable, CaseIterable {
    case ok = "ok"
    case error = "error"
}
