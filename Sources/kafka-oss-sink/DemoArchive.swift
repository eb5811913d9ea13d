import Foundation
import KafkaBridge
import Logging
import NIOCore
import OSSEmulator
import SinkConfig
import SinkCore

/// One archived object as the demo reports it.
struct DemoObject: Sendable {
    var key: String
    var size: UInt64
    var crc64: UInt64
    var partition: Int32
    var records: Int
    var firstOffset: Int64
    var lastOffset: Int64
}

/// Reads what the sink wrote straight from the emulator's store (no HTTP), decoding each jsonl object to count
/// its records and find its partition and offset range.
struct DemoArchiveReader {
    let store: OSSObjectStore
    let bucket: String
    let topic: String
    let compression: SinkSettings.Compression

    init(store: OSSObjectStore, bucket: String, topic: String, configuration: SinkConfiguration) throws {
        guard configuration.sink.format == .jsonl else {
            throw DemoFailure("the demo reads back jsonl objects, but the configuration sets sink.format: \(configuration.sink.format.rawValue); use format: jsonl in \(DemoConfigurationSource.relativePath)")
        }
        self.store = store
        self.bucket = bucket
        self.topic = topic
        switch configuration.sink.compression {
        case .none: compression = .none
        case .gzip: compression = .gzip(level: 6)
        case .zstd: compression = .zstd(level: 3)
        }
    }

    /// Every object of `topic` in the bucket, in key order. Objects that do not decode (not written by the sink)
    /// are an error.
    func objects() async throws -> [DemoObject] {
        var result: [DemoObject] = []
        for record in store.list(bucket: bucket) {
            guard let read = try await store.read(bucket: bucket, key: record.key) else { continue }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(read.record.length))
            for buffer in read.body { bytes += buffer.readableBytesView }
            let plain: [UInt8]
            do {
                plain = try AppendCompression.decompress(bytes, compression)
            } catch {
                throw DemoFailure("object \(record.key) does not decode (\(error.description))")
            }
            let lines = plain.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            guard let first = lines.first, let last = lines.last,
                  let head = Self.position(of: first), let tail = Self.position(of: last)
            else { continue }
            guard head.topic == topic else { continue }
            result.append(DemoObject(
                key: read.record.key, size: read.record.length, crc64: read.record.crc64, partition: head.partition,
                records: lines.count, firstOffset: head.offset, lastOffset: tail.offset))
        }
        return result
    }

    /// Records archived so far (lines across the topic's objects).
    func archivedCount() async throws -> Int {
        try await objects().reduce(0) { $0 + $1.records }
    }

    /// `topic`, `partition` and `offset` of one rendered jsonl line.
    static func position(of line: ArraySlice<UInt8>) -> (topic: String, partition: Int32, offset: Int64)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let topic = object["topic"] as? String,
              let partition = (object["partition"] as? NSNumber)?.int32Value,
              let offset = (object["offset"] as? NSNumber)?.int64Value
        else { return nil }
        return (topic, partition, offset)
    }
}
