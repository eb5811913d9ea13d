import SinkCore

/// One archived segment as its key and the listing describe it.
public struct ArchivedSegment: Sendable, Hashable {
    public var key: String
    /// The first offset the key names.
    public var firstOffset: Int64
    /// The `~N` suffix of a key that was taken when the segment rolled over (0: none).
    public var suffix: Int
    /// Size from the listing.
    public var size: UInt64
    public var storageClass: String?

    public init(key: String, firstOffset: Int64, suffix: Int = 0, size: UInt64, storageClass: String? = nil) {
        self.key = key
        self.firstOffset = firstOffset
        self.suffix = suffix
        self.size = size
        self.storageClass = storageClass
    }
}

/// A topic's segments found by listing the key template's prefix, per partition in archive order.
public struct SegmentListing: Sendable {
    /// Per partition, ordered by first offset (then `~N` suffix, then key): the order the sink wrote them in.
    public var partitions: [Int32: [ArchivedSegment]]
    /// Keys under the prefix that the key template does not produce (left out).
    public var ignoredKeys: [String]

    public init(partitions: [Int32: [ArchivedSegment]], ignoredKeys: [String]) {
        self.partitions = partitions
        self.ignoredKeys = ignoredKeys
    }

    /// Lists the segments of `topic` (of `partition` only, when given): one listing of the longest prefix the key
    /// template fixes for them. Keys under that prefix which one of `otherPatterns` produces (another topic's
    /// segments under a shared prefix) are skipped without being reported as ignored.
    public static func list(
        topic: String, partition: Int32? = nil, pattern: SegmentKeyPattern, otherPatterns: [SegmentKeyPattern] = [],
        archive: any ArchiveReader
    ) async throws -> SegmentListing {
        let prefix = pattern.listingPrefix(topic: topic, partition: partition)
        var partitions: [Int32: [ArchivedSegment]] = [:]
        var ignored: [String] = []
        for object in try await archive.list(prefix: prefix) {
            guard let parsed = pattern.parse(object.key) else {
                if !otherPatterns.contains(where: { $0.parse(object.key) != nil }) { ignored.append(object.key) }
                continue
            }
            guard parsed.topic == topic, partition == nil || parsed.partition == partition else { continue }
            partitions[parsed.partition, default: []].append(ArchivedSegment(
                key: object.key, firstOffset: parsed.firstOffset, suffix: parsed.suffix, size: object.size,
                storageClass: object.storageClass))
        }
        for (partition, segments) in partitions {
            partitions[partition] = segments.sorted(by: archiveOrder)
        }
        return SegmentListing(partitions: partitions, ignoredKeys: ignored.sorted())
    }

    /// The order the sink writes a partition's segments in: by first offset, then by `~N` suffix, then by key.
    public static func archiveOrder(_ a: ArchivedSegment, _ b: ArchivedSegment) -> Bool {
        (a.firstOffset, a.suffix, a.key) < (b.firstOffset, b.suffix, b.key)
    }

    /// Every topic with at least one segment that one of `patterns` produces: one listing per distinct
    /// topic-independent prefix (a prefix inside another is covered by the other's listing).
    public static func topics(patterns: [SegmentKeyPattern], archive: any ArchiveReader) async throws -> Set<String> {
        var topics = Set<String>()
        let prefixes = Set(patterns.map { $0.listingPrefix(topic: nil) })
        for prefix in prefixes.sorted() where !prefixes.contains(where: { $0 != prefix && prefix.hasPrefix($0) }) {
            for object in try await archive.list(prefix: prefix) {
                for pattern in patterns {
                    if let parsed = pattern.parse(object.key) { topics.insert(parsed.topic) }
                }
            }
        }
        return topics
    }
}

/// Reads an object's bytes `[0, length)` in chunks of `chunkSize` from an ``ArchiveReader``, fetching the next
/// chunk while the caller works on the current one (at most two chunks in memory).
public struct ObjectChunkReader: Sendable {
    public let archive: any ArchiveReader
    public let key: String
    public let length: UInt64
    public let chunkSize: Int
    private var offset: UInt64 = 0
    private var pending: Task<[UInt8], any Error>?

    public init(archive: any ArchiveReader, key: String, length: UInt64, chunkSize: Int) {
        self.archive = archive
        self.key = key
        self.length = length
        self.chunkSize = max(1, chunkSize)
    }

    /// The next chunk and its offset in the object, or `nil` after the last.
    /// - Throws: the read's error; ``ObjectShorterThanExpected`` when the object ends before `length`.
    public mutating func next() async throws -> (offset: UInt64, bytes: [UInt8])? {
        guard offset < length else { return nil }
        let task = pending ?? fetch(at: offset)
        pending = nil
        let bytes: [UInt8]
        do {
            bytes = try await task.value
        } catch {
            throw error
        }
        guard !bytes.isEmpty else { throw ObjectShorterThanExpected(key: key, expected: length, got: offset) }
        let at = offset
        offset += UInt64(bytes.count)
        if offset < length { pending = fetch(at: offset) }
        return (at, bytes)
    }

    /// Stops the read ahead (call when giving up before the end).
    public mutating func cancel() {
        pending?.cancel()
        pending = nil
    }

    private func fetch(at position: UInt64) -> Task<[UInt8], any Error> {
        let count = min(UInt64(chunkSize), length - position)
        let archive = archive
        let key = key
        return Task { try await archive.read(key: key, offset: position, count: count) }
    }
}

/// An object ended before the length HEAD reported (it was replaced or truncated while being read).
public struct ObjectShorterThanExpected: Error, Sendable, Hashable, CustomStringConvertible {
    public var key: String
    public var expected: UInt64
    public var got: UInt64

    public var description: String {
        "\(key) ended after \(got) bytes while reading \(expected): it was replaced or truncated during the read"
    }
}
