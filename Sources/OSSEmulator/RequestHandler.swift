import Foundation
import Hummingbird
import Logging
import NIOCore
import OSSSigning

/// Turns HTTP requests into OSS operations on the store: routing, faults, authentication, dispatch, errors.
struct RequestHandler: HTTPResponder {
    typealias Context = EmulatorRequestContext

    let store: OSSObjectStore
    let faults: OSSFaultInjector
    let authenticator: RequestAuthenticator
    let region: String
    let faultAdminEnabled: Bool
    let sealEnabled: Bool
    let now: @Sendable () -> Date

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = IncomingRequest.makeRequestID()
        let headers = IncomingRequest.headerDictionary(request)
        let hostID = headers["host"] ?? "127.0.0.1"
        let builder = ResponseBuilder(requestID: requestID, hostID: hostID)
        let method = request.method.rawValue
        let target: RequestTarget
        do {
            target = try RequestTarget.parse(target: request.head.path ?? "/", host: headers["host"]) { store.bucketExists($0) }
        } catch {
            return builder.error(
                .init(status: .badRequest, code: "InvalidURI", message: "Couldn't parse the specified URI.", ec: "0016-00000001"),
                method: method
            )
        }

        if faultAdminEnabled, target.bucket == "-", target.key == "faults" {
            var request = request
            return await AdminEndpoint(store: store, faults: faults).handle(method: method, request: &request, builder: builder)
        }

        let conditions = faults.networkConditions
        let plan = faults.plan(method: method, bucket: target.bucket, key: target.key, query: target.query.map(\.name))
        let delay = plan.delayMilliseconds + conditions.latencyMilliseconds
        if delay > 0 { try? await Task.sleep(for: .milliseconds(delay)) }
        if let failure = plan.failure { return builder.error(failure, method: method) }

        var incoming = IncomingRequest(
            method: method, target: target, headers: headers, body: ByteBuffer(), requestID: requestID, hostID: hostID
        )
        let response: Response
        do {
            if method == "PUT" || method == "POST" {
                let limit = Int(clamping: store.maxObjectSize)
                let started = ContinuousClock.now
                guard let body = try await Self.collectBody(
                    request.body, declaredLength: headers["content-length"].flatMap { Int($0) }, limit: limit
                ) else {
                    throw OSSServiceError.entityTooLarge(limit: store.maxObjectSize)
                }
                // A capped bandwidth: the body is held until it could have arrived at that rate.
                let arrival = started + conditions.transferTime(bytes: body.readableBytes)
                if arrival > ContinuousClock.now { try? await Task.sleep(until: arrival, clock: .continuous) }
                incoming.body = body
            }
            response = try await handle(&incoming, builder: builder)
        } catch let error as OSSServiceError {
            response = builder.error(error, method: method)
        } catch {
            context.logger.error("request failed", metadata: ["request-id": "\(requestID)", "error": "\(error)"])
            response = builder.error(.internalError("\(error)"), method: method)
        }
        if plan.dropAfterApply {
            // The operation is applied; the client never hears about it.
            try? await context.channel.close()
        }
        return response
    }

    /// The whole request body in one buffer, or nil when it is longer than `limit`. With a declared length the
    /// buffer is allocated once at that size (growing it chunk by chunk copies a 4 MiB append about twice over
    /// and faults in twice the memory); a body that arrives as one chunk is kept as it is.
    static func collectBody(_ body: RequestBody, declaredLength: Int?, limit: Int) async throws -> ByteBuffer? {
        if let declaredLength, declaredLength > limit { return nil }
        var collected: ByteBuffer?
        for try await chunk in body {
            if collected == nil {
                if chunk.readableBytes == declaredLength || declaredLength == nil && chunk.readableBytes <= limit {
                    collected = chunk
                    continue
                }
                collected = ByteBufferAllocator().buffer(capacity: min(declaredLength ?? chunk.readableBytes, limit))
            }
            guard collected!.readableBytes + chunk.readableBytes <= limit else { return nil }
            collected!.writeImmutableBuffer(chunk)
        }
        return collected ?? ByteBuffer()
    }

    // Not optimized: the Swift 6.3.1 optimizer crashes splitting this coroutine (`emitSetAndGetSwiftErrorValueAround`)
    // in release builds. It only dispatches; the operations it calls are optimized as usual.
    @_optimize(none)
    private func handle(_ request: inout IncomingRequest, builder: ResponseBuilder) async throws -> Response {
        if let failure = authenticator.verify(request.signingParts, now: now()) { throw failure }
        guard let bucket = request.bucket else {
            throw OSSServiceError.notImplemented("service-level operations (such as ListBuckets)")
        }
        guard store.bucketExists(bucket) else { throw OSSServiceError.noSuchBucket(bucket) }
        let operations = ObjectOperations(store: store, region: region, sealEnabled: sealEnabled, now: now, builder: builder)
        guard let key = request.key else {
            return try await operations.bucketOperation(request, bucket: bucket)
        }
        try ObjectOperations.validateKey(key)
        switch request.method {
        case "POST":
            if request.target.has("append") { return try await operations.append(request, bucket: bucket, key: key) }
            if request.target.has("seal") { return try await operations.seal(request, bucket: bucket, key: key) }
            if request.target.has("restore") { return try await operations.restore(request, bucket: bucket, key: key) }
            throw OSSServiceError.notImplemented("POST on an object without ?append, ?seal or ?restore")
        case "PUT":
            if request.target.has("tagging") { return try await operations.putTagging(request, bucket: bucket, key: key) }
            guard request.target.query.isEmpty else {
                throw OSSServiceError.notImplemented("PUT with sub-resources (\(request.target.query.map(\.name).joined(separator: ", ")))")
            }
            return try await operations.put(request, bucket: bucket, key: key)
        case "GET":
            if request.target.has("tagging") { return try operations.getTagging(bucket: bucket, key: key) }
            return try await operations.get(request, bucket: bucket, key: key, headOnly: false)
        case "HEAD": return try await operations.get(request, bucket: bucket, key: key, headOnly: true)
        case "DELETE":
            if request.target.has("tagging") { return try await operations.deleteTagging(bucket: bucket, key: key) }
            try await store.delete(bucket: bucket, key: key)
            return builder.empty(.noContent)
        default:
            throw OSSServiceError.notImplemented("method \(request.method)")
        }
    }
}
