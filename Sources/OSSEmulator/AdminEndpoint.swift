import Foundation
import Hummingbird
import NIOCore

/// The fault-injection admin endpoint at `/-/faults` (path-style; not a valid OSS request because `-` is not a
/// valid bucket name). No authentication: the emulator is a local test tool.
///
/// - `GET /-/faults` → `{"failed":N,"droppedAfterApply":N,"delayed":N}` (faults injected so far).
/// - `DELETE /-/faults` → removes every rule and the chaos settings.
/// - `POST /-/faults` with a JSON object whose `action` is one of:
///   - `fail`: `count` (1), `status` (503), `code` ("ServiceUnavailable"), `message`, `headers` {name: value}
///   - `drop-after-apply`: `count` (1) — apply, then close the connection without a response
///   - `latency`: `milliseconds`, `count` (omit for every request)
///   - `chaos`: `p_drop_after_apply`, `p_503`, `latency_ms` [min, max], `seed`; `{"action":"chaos"}` alone turns it off
///   - `foreign-append`: `bucket`, `key`, and `data` (UTF-8 text) or `size` (that many `x` bytes)
///   - `corrupt`: `bucket`, `key`, `offset` — flips bits of that stored byte; HEAD keeps the CRC-64 written (bit rot)
///   - `network`: `latency_ms` (one number: added to every request), `bytes_per_second` (request bodies arrive no
///     faster; omit for unlimited); `{"action":"network"}` alone turns both off. Not removed by `reset`.
///   - `reset`
///   Every rule action also accepts the filters `method`, `bucket`, `key_prefix`, `query` (a query parameter the
///   request must carry, such as `seal`).
struct AdminEndpoint {
    let store: OSSObjectStore
    let faults: OSSFaultInjector

    struct Command: Decodable {
        var action: String
        var count: Int?
        var status: Int?
        var code: String?
        var message: String?
        var headers: [String: String]?
        var milliseconds: Int?
        var method: String?
        var bucket: String?
        var key_prefix: String?
        var query: String?
        var p_drop_after_apply: Double?
        var p_503: Double?
        var latency_ms: [Int]?
        var seed: UInt64?
        var key: String?
        var data: String?
        var size: Int?
        var offset: UInt64?
        var bytes_per_second: Int?

        var match: OSSFaultMatch { OSSFaultMatch(method: method, bucket: bucket, keyPrefix: key_prefix, query: query) }
    }

    func handle(method: String, request: inout Request, builder: ResponseBuilder) async -> Response {
        switch method {
        case "GET":
            return json(builder, .ok, counters())
        case "DELETE":
            faults.reset()
            return json(builder, .ok, counters())
        case "POST", "PUT":
            do {
                let body = try await request.collectBody(upTo: 64 * 1024 * 1024)
                let command = try JSONDecoder().decode(Command.self, from: Data(body.readableBytesView))
                return try await apply(command, builder: builder)
            } catch let error as AdminError {
                return json(builder, .badRequest, ["error": error.message])
            } catch {
                return json(builder, .badRequest, ["error": "invalid fault command: \(error)"])
            }
        default:
            return json(builder, .methodNotAllowed, ["error": "use GET, POST or DELETE on /-/faults"])
        }
    }

    struct AdminError: Error { var message: String }

    private func apply(_ command: Command, builder: ResponseBuilder) async throws -> Response {
        switch command.action {
        case "fail":
            faults.failNext(
                command.count ?? 1, status: command.status ?? 503, code: command.code ?? "ServiceUnavailable",
                message: command.message, match: command.match, headers: command.headers ?? [:]
            )
        case "drop-after-apply":
            faults.dropAfterApplyNext(command.count ?? 1, match: command.match)
        case "latency":
            guard let milliseconds = command.milliseconds else { throw AdminError(message: "latency needs 'milliseconds'") }
            faults.addLatency(milliseconds: milliseconds, count: command.count, match: command.match)
        case "chaos":
            let drop = command.p_drop_after_apply ?? 0
            let unavailable = command.p_503 ?? 0
            var latency: ClosedRange<Int>?
            if let range = command.latency_ms {
                guard range.count == 2, range[0] >= 0, range[0] <= range[1] else {
                    throw AdminError(message: "latency_ms must be [min, max] with 0 <= min <= max")
                }
                latency = range[0]...range[1]
            }
            if drop == 0, unavailable == 0, latency == nil {
                faults.setChaos(nil)
            } else {
                faults.setChaos(OSSChaosSettings(
                    dropAfterApplyProbability: drop, serviceUnavailableProbability: unavailable,
                    latencyMilliseconds: latency, seed: command.seed ?? 1, match: command.match
                ))
            }
        case "foreign-append":
            guard let bucket = command.bucket, let key = command.key else {
                throw AdminError(message: "foreign-append needs 'bucket' and 'key'")
            }
            guard store.bucketExists(bucket) else { throw AdminError(message: "no bucket named '\(bucket)'") }
            let bytes = command.data.map { Array($0.utf8) } ?? Array(repeating: UInt8(ascii: "x"), count: command.size ?? 1)
            let outcome = try await store.foreignAppend(bucket: bucket, key: key, body: ByteBuffer(bytes: bytes))
            guard case .applied(let record, _) = outcome else {
                throw AdminError(message: "foreign-append failed: \(outcome)")
            }
            return json(builder, .ok, ["length": String(record.length), "crc64": String(record.crc64)])
        case "corrupt":
            guard let bucket = command.bucket, let key = command.key, let offset = command.offset else {
                throw AdminError(message: "corrupt needs 'bucket', 'key' and 'offset'")
            }
            guard try await store.corrupt(bucket: bucket, key: key, at: offset) else {
                throw AdminError(message: "no object '\(key)' in bucket '\(bucket)'")
            }
        case "network":
            let latency = command.latency_ms?.first ?? 0
            guard latency >= 0, (command.latency_ms?.count ?? 1) == 1 else {
                throw AdminError(message: "network takes 'latency_ms' as one number of milliseconds (>= 0)")
            }
            if let rate = command.bytes_per_second, rate <= 0 {
                throw AdminError(message: "bytes_per_second must be positive (omit it for unlimited)")
            }
            faults.setNetworkConditions(OSSNetworkConditions(latencyMilliseconds: latency, bytesPerSecond: command.bytes_per_second))
        case "reset":
            faults.reset()
        default:
            throw AdminError(message: "unknown action '\(command.action)'; use fail, drop-after-apply, latency, chaos, foreign-append, corrupt, network or reset")
        }
        return json(builder, .ok, counters())
    }

    private func counters() -> [String: String] {
        let counters = faults.injected
        return ["failed": String(counters.failed), "droppedAfterApply": String(counters.droppedAfterApply), "delayed": String(counters.delayed)]
    }

    private func json(_ builder: ResponseBuilder, _ status: HTTPResponse.Status, _ object: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(object)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: builder.headers([("Content-Type", "application/json")]),
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
