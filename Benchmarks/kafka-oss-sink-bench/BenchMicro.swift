import Foundation
import Logging
import NIOCore
import OSSClient
import OSSEmulator
import OSSSigning

/// Section 5: CRC-64 speed and append rates of the emulator (memory store).
struct BenchMicro {
    let stack: BenchStack
    let plan: BenchPlan
    let logger: Logger
    let progress: @Sendable (String) -> Void

    /// CRC-64/XZ over one buffer, `plan.crcRounds` times: the implementation in use (carry-less multiply folding
    /// where the CPU has it) and the portable slicing-by-8 table for comparison.
    func crc() -> CRCResult {
        let size = plan.crcBufferBytes
        let buffer = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let total = size * plan.crcRounds
        func measure(_ update: (UInt64, UnsafeRawBufferPointer) -> UInt64) -> Double {
            var crc: UInt64 = 0
            let start = monotonicNanoseconds()
            for _ in 0..<plan.crcRounds {
                crc = buffer.withUnsafeBytes { update(crc, $0) }
            }
            let seconds = Double(monotonicNanoseconds() - start) / 1e9
            precondition(crc != 0 || total == 0)  // keeps the loop from being optimized away
            return seconds
        }
        let seconds = measure(CRC64.update)
        let tableSeconds = measure(CRC64.updateTable)
        let result = CRCResult(
            implementation: CRC64.isHardwareAccelerated ? "PCLMULQDQ folding" : "slicing-by-8 table",
            bufferBytes: size, totalBytes: total, seconds: seconds, gbPerSecond: Double(total) / seconds / 1e9,
            tableGBPerSecond: Double(total) / tableSeconds / 1e9)
        progress(String(format: "  CRC-64: %.2f GB/s (%@), slicing-by-8 table %.2f GB/s",
                        result.gbPerSecond, result.implementation, result.tableGBPerSecond))
        return result
    }

    /// Appends of `size`-byte bodies: straight into the store, over HTTP on one connection, and over HTTP from
    /// 16 tasks to 16 keys (the sink's default `max_inflight_appends`).
    func emulator(size: Int, appends: Int) async throws -> [EmulatorResult] {
        let body = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let prefix = "micro-\(stack.runID)-\(size)/"
        var results: [EmulatorResult] = []

        // Direct.
        var start = monotonicNanoseconds()
        var position: UInt64 = 0
        for _ in 0..<appends {
            guard case .applied(let record, _) = try await stack.emulator.store.append(
                bucket: stack.bucket, key: prefix + "direct", position: position, body: body, attributes: .init())
            else { throw BenchFailure("direct append to the emulator store was refused at position \(position)") }
            position = record.length
        }
        results.append(result("store, direct", size, appends, since: start))

        // HTTP through OSSClient (V4 signing, CRC-64 check on every answer).
        let client = try OSSClient(configuration: OSSClientConfiguration(
            endpoint: stack.endpoint, region: "cn-hangzhou", bucket: stack.bucket, pathStyle: true,
            credentialsProvider: StaticCredentialsProvider(BenchStack.credentials), maxConnections: 16), logger: logger)
        defer { Task { try? await client.shutdown() } }
        _ = try await client.appendObject(key: prefix + "warmup", position: 0, data: body, previousCRC: 0)
        start = monotonicNanoseconds()
        try await appendSequentially(client, key: prefix + "http-1", body: body, count: appends)
        results.append(result("HTTP via OSSClient, 1 connection", size, appends, since: start))

        start = monotonicNanoseconds()
        let perTask = max(1, appends / 16)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask { try await appendSequentially(client, key: prefix + "http-16-\(task)", body: body, count: perTask) }
            }
            try await group.waitForAll()
        }
        results.append(result("HTTP via OSSClient, 16 concurrent", size, perTask * 16, since: start))
        try? await client.shutdown()
        await stack.deleteObjects(prefix: prefix)
        for r in results {
            progress(String(format: "  emulator %@ %d B: %.0f appends/s, %.1f MB/s", r.path, size, r.appendsPerSecond, r.mbPerSecond))
        }
        return results
    }

    private func appendSequentially(_ client: OSSClient, key: String, body: ByteBuffer, count: Int) async throws {
        var position: UInt64 = 0
        var crc: UInt64 = 0
        for _ in 0..<count {
            let appended = try await client.appendObject(key: key, position: position, data: body, previousCRC: crc)
            position = appended.nextPosition
            crc = appended.crc64
        }
    }

    private func result(_ path: String, _ size: Int, _ appends: Int, since start: UInt64) -> EmulatorResult {
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        return EmulatorResult(path: path, bodyBytes: size, appends: appends, seconds: seconds,
                              appendsPerSecond: Double(appends) / seconds, mbPerSecond: Double(size * appends) / seconds / 1e6)
    }
}
