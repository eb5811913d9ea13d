import Logging
public import NIOCore
import OSSSigning

/// The classified result of ``OSSClient/appendExactlyOnce(key:position:data:previousCRC:create:earlierAttemptMayHaveLanded:retryPolicy:)``,
/// one case per row of the "Append outcomes" table in docs/architecture.md.
public enum OSSAppendOutcome: Sendable {
    /// 200 with the expected next position and CRC-64. Commit.
    case appended(OSSAppendResult)
    /// An earlier attempt landed but its response was lost: a retried attempt got `PositionNotEqualToLength`
    /// and HEAD shows length `position + n` with CRC-64 `== CRC64.update(previousCRC, bytes)`. Success; commit.
    case landedEarlier(OSSAppendResult)
    /// `PositionNotEqualToLength` that is not our own earlier attempt: another writer owns the object.
    /// Stop writing the partition, drop its buffer, run recovery. `nextPosition` is the object's length when known.
    case fenced(nextPosition: UInt64?, OSSError)
    /// 409 `ObjectNotAppendable`: roll over, same bytes to a new key at position 0.
    case notAppendable(OSSError)
    /// 409 `AppendSealedObjectNotAllowed`: the object was sealed (by the partition's current owner, or by this
    /// writer before it lost track): it never grows again. Stop writing the partition and run recovery, as
    /// for ``fenced(nextPosition:_:)``.
    case sealed(OSSError)
    /// 200 whose next position or CRC-64 disagree with what was sent: roll over and alert.
    case integrityMismatch(OSSError)
    /// 403, 404 (`NoSuchBucket`, ...), other 4xx, or a credentials problem: pause, report unhealthy, retry slowly,
    /// never commit.
    case configurationError(OSSError)
    /// Retries exhausted on timeouts / connection errors / 5xx / 429, or cancelled: the bytes may or may not have
    /// landed. Retry later with the same bytes at the same position and `earlierAttemptMayHaveLanded:
    /// mayHaveLanded`.
    case unresolved(OSSError, mayHaveLanded: Bool)

    /// The outcome as the sink's logs and metrics name it: `ok`, `lost_response_resolved`, `fenced`,
    /// `not_appendable`, `sealed`, or `error` (an integrity mismatch, a configuration error, or retries exhausted).
    public var label: String {
        switch self {
        case .appended: "ok"
        case .landedEarlier: "lost_response_resolved"
        case .fenced: "fenced"
        case .notAppendable: "not_appendable"
        case .sealed: "sealed"
        case .integrityMismatch, .configurationError, .unresolved: "error"
        }
    }

    /// The verified result for `.appended` and `.landedEarlier`; nil otherwise.
    public var success: OSSAppendResult? {
        switch self {
        case .appended(let result), .landedEarlier(let result): return result
        default: return nil
        }
    }
}

extension OSSClient {
    /// Appends `data` at `position` so that it lands exactly once, and classifies the outcome.
    ///
    /// Retries ambiguous failures with the same bytes at the same position. When a retry, after an attempt that
    /// may have been applied (timeout, broken connection, 5xx), gets `PositionNotEqualToLength`, it asks HEAD:
    /// if the object is appendable with length `position + n` and CRC-64 `CRC64.update(previousCRC, data)`,
    /// the earlier attempt landed (``OSSAppendOutcome/landedEarlier(_:)``); anything else is
    /// ``OSSAppendOutcome/fenced(nextPosition:_:)``. A `PositionNotEqualToLength` on a first attempt is always
    /// `fenced` (unless `earlierAttemptMayHaveLanded` says a previous call ended unresolved).
    ///
    /// - Parameters:
    ///   - previousCRC: the object's CRC-64 before this append (0 at position 0).
    ///   - earlierAttemptMayHaveLanded: true when a previous call for these same bytes ended `.unresolved` with
    ///     `mayHaveLanded: true`.
    ///   - expectedCRC: `CRC64.update(previousCRC, data)` when the caller already computed it (it is trusted, not
    ///     recomputed); nil to let the client compute it.
    /// - Returns: never throws; cancellation gives `.unresolved`.
    public func appendExactlyOnce(
        key: String, position: UInt64, data: ByteBuffer, previousCRC: UInt64, create: OSSCreateOptions = OSSCreateOptions(),
        earlierAttemptMayHaveLanded: Bool = false, retryPolicy: OSSRetryPolicy? = nil, expectedCRC: UInt64? = nil
    ) async -> OSSAppendOutcome {
        await appendExactlyOnce(
            key: key, position: position, body: .buffer(data), previousCRC: previousCRC, create: create,
            earlierAttemptMayHaveLanded: earlierAttemptMayHaveLanded, retryPolicy: retryPolicy, expectedCRC: expectedCRC)
    }

    /// ``appendExactlyOnce(key:position:data:previousCRC:create:earlierAttemptMayHaveLanded:retryPolicy:expectedCRC:)``
    /// for any ``OSSBody`` (a byte array is sent without a full-size copy).
    public func appendExactlyOnce(
        key: String, position: UInt64, body data: OSSBody, previousCRC: UInt64, create: OSSCreateOptions = OSSCreateOptions(),
        earlierAttemptMayHaveLanded: Bool = false, retryPolicy: OSSRetryPolicy? = nil, expectedCRC: UInt64? = nil
    ) async -> OSSAppendOutcome {
        var log = AttemptLog()
        do {
            let result = try await appendObject(
                key: key, position: position, data: data, previousCRC: previousCRC, create: create,
                retryPolicy: retryPolicy, expectedCRC: expectedCRC, log: &log)
            return .appended(result)
        } catch {
            let mayHaveLanded = earlierAttemptMayHaveLanded || log.ambiguousFailure != nil
            switch error.code {
            case .integrityMismatch:
                return .integrityMismatch(error)
            case .objectNotAppendable:
                return .notAppendable(error)
            case .appendSealedObjectNotAllowed:
                // An earlier attempt may have landed just before someone sealed the object at its new length.
                guard mayHaveLanded else { return .sealed(error) }
                let resolved = await resolveLostAppend(
                    key: key, position: position, data: data, previousCRC: previousCRC, expectedCRC: expectedCRC, conflict: error,
                    attempts: log.attempts, retryPolicy: retryPolicy)
                if case .fenced = resolved { return .sealed(error) }
                return resolved
            case .positionNotEqualToLength:
                let length = UInt64(data.count)
                guard mayHaveLanded, error.nextAppendPosition == nil || error.nextAppendPosition == position + length else {
                    return .fenced(nextPosition: error.nextAppendPosition, error)
                }
                return await resolveLostAppend(
                    key: key, position: position, data: data, previousCRC: previousCRC, expectedCRC: expectedCRC, conflict: error,
                    attempts: log.attempts, retryPolicy: retryPolicy)
            default:
                if error.code == .cancelled {
                    // The request may have been on the wire when the task was cancelled.
                    return .unresolved(error, mayHaveLanded: true)
                }
                if error.isRetryable {
                    return .unresolved(error, mayHaveLanded: mayHaveLanded)
                }
                if let status = error.statusCode, (400..<500).contains(status) {
                    return .configurationError(error)
                }
                if error.isConfigurationError { return .configurationError(error) }
                // A 2xx without the headers the append needs, or an unparseable answer: the state is unknown.
                return .unresolved(error, mayHaveLanded: true)
            }
        }
    }

    /// After a `PositionNotEqualToLength` that followed an ambiguous attempt: HEAD decides whether our bytes are
    /// the object's tail.
    private func resolveLostAppend(
        key: String, position: UInt64, data: OSSBody, previousCRC: UInt64, expectedCRC: UInt64?, conflict: OSSError,
        attempts: Int, retryPolicy: OSSRetryPolicy?
    ) async -> OSSAppendOutcome {
        let length = UInt64(data.count)
        let expectedCRC = expectedCRC ?? data.crc64(continuing: previousCRC)
        let head: OSSObjectMetadata
        do {
            head = try await headObject(key: key)
        } catch {
            if error.isRetryable || error.code == .cancelled { return .unresolved(error, mayHaveLanded: true) }
            if error.code == .noSuchKey { return .fenced(nextPosition: nil, conflict) }
            return .configurationError(error)
        }
        let headLength = head.nextAppendPosition ?? head.contentLength
        guard head.objectType == nil || head.objectType == .appendable else {
            var notAppendable = conflict
            notAppendable.code = .objectNotAppendable
            notAppendable.message = "the object is now \(head.objectType?.rawValue ?? "not appendable") and no longer appendable"
            return .notAppendable(notAppendable)
        }
        if headLength == position + length, head.crc64 == expectedCRC {
            logger.info(
                "append response was lost but the bytes landed; continuing",
                metadata: ["key": "\(key)", "position": "\(position)", "length": "\(length)"])
            return .landedEarlier(
                OSSAppendResult(
                    nextPosition: headLength, crc64: expectedCRC, etag: head.etag, requestId: head.requestId,
                    attempts: attempts))
        }
        var fenced = conflict
        fenced.nextAppendPosition = headLength
        return .fenced(nextPosition: headLength, fenced)
    }
}
