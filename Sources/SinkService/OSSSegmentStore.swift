import Foundation
import NIOCore
import OSSClient
import SinkCore
import Synchronization

/// `SegmentStore` over `OSSClient`: the client retries transient failures at the same position and
/// resolves lost append responses; this type maps its outcomes onto SinkCore's.
final class OSSSegmentStore: SegmentStore {
    let client: OSSClient
    /// The create-time headers of a topic's new segments (content type, storage class, ACL, metadata, tags).
    let createOptions: @Sendable (String) -> OSSCreateOptions
    let observer: SinkObserver?
    /// `createOptions` per topic, resolved once.
    private let topicOptions = Mutex<[String: OSSCreateOptions]>([:])
    /// Appends whose last call ended unresolved after an attempt that may have landed, keyed by
    /// key and position: the next call for the same bytes must accept "it landed earlier".
    private let ambiguous = Mutex<Set<AmbiguousAppend>>([])

    struct AmbiguousAppend: Hashable {
        var key: String
        var position: Int
        var length: Int
    }

    init(client: OSSClient, createOptions: @escaping @Sendable (String) -> OSSCreateOptions, observer: SinkObserver? = nil) {
        self.client = client
        self.createOptions = createOptions
        self.observer = observer
    }

    /// The create-time headers of `topic`'s segments.
    func options(forTopic topic: String) -> OSSCreateOptions {
        if let known = topicOptions.withLock({ $0[topic] }) { return known }
        let resolved = createOptions(topic)
        topicOptions.withLock { $0[topic] = resolved }
        return resolved
    }

    func append(_ request: AppendRequest) async -> AppendOutcome {
        let marker = AmbiguousAppend(key: request.key, position: request.position, length: request.payload.count)
        let mayHaveLanded = ambiguous.withLock { $0.contains(marker) }
        let started = ContinuousClock.now
        let outcome = await client.appendExactlyOnce(
            key: request.key, position: UInt64(request.position), body: .slices(request.payload.slices),
            previousCRC: request.previousCRC64,
            create: request.isCreate ? options(forTopic: request.topicPartition.topic) : OSSCreateOptions(),
            earlierAttemptMayHaveLanded: mayHaveLanded, expectedCRC: request.expectedCRC64)
        observer?.appended(request, outcome: outcome, latency: ContinuousClock.now - started)
        if case .unresolved(_, true) = outcome {
            ambiguous.withLock { _ = $0.insert(marker) }
        } else if mayHaveLanded {
            ambiguous.withLock { _ = $0.remove(marker) }
        }
        switch outcome {
        case .appended(let result), .landedEarlier(let result):
            return .success(nextPosition: Int(result.nextPosition), crc64: result.crc64)
        case .fenced(let next, _):
            return .positionNotEqualToLength(nextPosition: next.map { Int($0) })
        case .notAppendable:
            return .objectNotAppendable
        case .sealed:
            return .objectSealed
        case .integrityMismatch(let error):
            // OSS answered 200 with a length or CRC-64 other than expected. Report what it said so that
            // SinkCore raises the integrity alert and rolls over; a CRC known to differ stands for the
            // server's value when only the CRC disagreed.
            let expectedNext = request.position + request.payload.count
            let next = error.nextAppendPosition.map { Int($0) } ?? -1
            return .success(nextPosition: next, crc64: next == expectedNext ? ~request.expectedCRC64 : nil)
        case .configurationError(let error):
            return .configurationError(error.description)
        case .unresolved(let error, _):
            return .transientFailure(error.description)
        }
    }

    func head(key: String) async -> HeadOutcome {
        do {
            let metadata = try await client.headObject(key: key)
            return .found(ObjectInfo(length: Int(metadata.contentLength), crc64: metadata.crc64,
                                     appendable: metadata.objectType == .appendable, sealed: metadata.isSealed))
        } catch {
            if error.code == .noSuchKey { return .notFound }
            return error.isConfigurationError ? .configurationError(error.description) : .transientFailure(error.description)
        }
    }

    func read(key: String, range: Range<Int>) async -> RangeOutcome {
        guard !range.isEmpty else { return .success([]) }
        do {
            let result = try await client.getObject(
                key: key, range: .bounded(first: UInt64(range.lowerBound), last: UInt64(range.upperBound - 1)))
            var body = result.body
            guard result.statusCode == 206, body.readableBytes == range.count,
                  let bytes = body.readBytes(length: body.readableBytes) else {
                return .unavailable
            }
            return .success(bytes)
        } catch {
            if error.code == .noSuchKey || error.code == .invalidRange { return .unavailable }
            if error.code == .invalidObjectState { return await restoreToRead(key: key) }
            return error.isConfigurationError ? .configurationError(error.description) : .transientFailure(error.description)
        }
    }

    /// A segment in cold storage (`oss.storage_class: Archive`, or moved there by a lifecycle rule) answers GET only
    /// once restored: asks OSS for a readable copy and reports a transient failure, so that SinkCore reads again
    /// with its backoff until the copy is ready (about a minute for Archive). Needs `oss:RestoreObject`.
    func restoreToRead(key: String) async -> RangeOutcome {
        let object = "oss://\(client.configuration.bucket)/\(key)"
        do {
            let status = try await client.restoreObject(key: key, days: 1)
            let state = switch status {
            case .started: "restore requested"
            case .inProgress: "restore in progress"
            case .restored: "restored copy not readable yet"
            }
            return .transientFailure("\(object) is in cold storage and must be restored to read its tail (\(state); "
                + "Archive takes about a minute, Cold Archive hours): reading again until the restored copy is ready")
        } catch {
            let reason = "\(object) is in cold storage and could not be restored to read its tail: \(error.description)"
            return error.isConfigurationError ? .configurationError(reason) : .transientFailure(reason)
        }
    }

    func seal(_ request: SealRequest) async -> SealOutcome {
        let started = ContinuousClock.now
        let outcome: SealOutcome
        do {
            _ = try await client.sealAppendObject(key: request.key, position: UInt64(request.position))
            outcome = .sealed
        } catch {
            switch error.code {
            case .positionNotEqualToLength: outcome = .positionMismatch(length: error.nextAppendPosition.map { Int($0) })
            case .appendSealedObjectNotAllowed, .objectNotAppendable: outcome = .notAppendable
            case .noSuchKey: outcome = .notFound
            case .operationNotSupported: outcome = .notEnabled(error.description)
            default: outcome = Self.failure(error)
            }
        }
        observer?.sealed(request, outcome: outcome, latency: ContinuousClock.now - started)
        return outcome
    }

    func tag(_ request: TagRequest) async -> TagOutcome {
        // PutObjectTagging replaces every tag: keep the ones configured for the topic's new objects (checked not to
        // clash).
        var tags = options(forTopic: request.topicPartition.topic).tags.sorted { $0.key < $1.key }.map { OSSTag(key: $0.key, value: $0.value) }
        tags += request.tags.map { OSSTag(key: $0.key, value: $0.value) }
        do {
            try await client.putObjectTagging(key: request.key, tags: tags)
            return .success
        } catch {
            if error.code == .noSuchKey { return .notFound }
            return error.isRetryable || error.code == .cancelled ? .transientFailure(error.description) : .configurationError(error.description)
        }
    }

    /// A failure of a seal or tag request that is not one of its specific answers.
    static func failure(_ error: OSSError) -> SealOutcome {
        if error.isRetryable || error.code == .cancelled { return .transientFailure(error.description) }
        return .configurationError(error.description)
    }
}
