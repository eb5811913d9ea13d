import Foundation
import Yams

// `kafka.topics`: names, patterns and entries with settings of their own; which entry a topic takes; keys that
// two topics could share.

extension SinkConfiguration {
    /// Keys of an entry that belong to the whole sink, and where they are set.
    static let sinkWideKeys: [String: String] = [
        "max_buffered_bytes": "sink.max_buffered_bytes",
        "max_uncommitted_bytes": "sink.max_uncommitted_bytes",
        "max_inflight_appends": "sink.max_inflight_appends",
        "acl": "oss.acl",
        "metadata": "oss.metadata",
        "bucket": "oss.bucket",
        "endpoint": "oss.endpoint",
        "properties": "kafka.properties",
        "auto_offset_reset": "kafka.auto_offset_reset",
        "group_id": "kafka.group_id",
    ]

    static let topicsExample = "[\"events\", \"^logs-.*\"], or entries such as {name: audit, compression: gzip}"

    static func decodeTopics(_ node: MappingNode, reader: inout ConfigReader) -> [TopicEntry]? {
        let path = node.child("topics")
        guard let value = node.value("topics"), !ConfigReader.isNull(value) else {
            reader.problem(path, "is required (for example: topics: [\"events\", \"^logs-.*\"])")
            return nil
        }
        guard case .sequence(let sequence) = value else {
            reader.problem(path, "expected a list of topics, found \(ConfigReader.kind(of: value)) (for example: \(topicsExample))")
            return nil
        }
        if sequence.isEmpty {
            reader.problem(path, "must name at least one topic (for example: [\"events\", \"^logs-.*\"])")
        }
        var topics: [TopicEntry] = []
        for (index, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(index)]"
            if case .mapping = item {
                if let entry = decodeTopicEntry(item, path: itemPath, reader: &reader) { topics.append(entry) }
            } else if let text = reader.text(item, path: itemPath, expected: "a topic name, a pattern starting with ^, or a mapping with name or pattern") {
                if let selector = topicSelector(text, path: itemPath, reader: &reader) { topics.append(TopicEntry(selector)) }
            }
        }
        return topics
    }

    /// A plain `kafka.topics` string: a name, or a pattern when it starts with `^`.
    static func topicSelector(_ entry: String, path: String, reader: inout ConfigReader) -> TopicSelector? {
        if entry.trimmingSpaces().isEmpty {
            reader.problem(path, "topic name must not be empty")
        } else if entry.hasPrefix("^") {
            if let error = TopicPattern.compileError(entry) {
                reader.problem(path, "'\(entry)' is not a valid regular expression: \(error) (librdkafka uses POSIX extended syntax)")
            } else {
                return .pattern(entry)
            }
        } else if let invalid = TopicName.invalidCharacter(in: entry) {
            reader.problem(path, "'\(entry)' is not a valid topic name: '\(invalid)' is not allowed (allowed: letters, digits, '.', '_', '-'; start with ^ for a regular expression)")
        } else if entry.count > TopicName.maxLength {
            reader.problem(path, "'\(entry.prefix(20))…' is \(entry.count) characters long (allowed: Kafka topic names of at most \(TopicName.maxLength))")
        } else {
            return .name(entry)
        }
        return nil
    }

    /// A `kafka.topics` mapping: `name` or `pattern`, and the settings the entry sets for its topics.
    static func decodeTopicEntry(_ item: Node, path: String, reader: inout ConfigReader) -> TopicEntry? {
        guard let node = reader.mapping(item, path: path) else { return nil }
        let name = reader.string(node, "name")
        let pattern = reader.string(node, "pattern")
        var selector: TopicSelector?
        switch (name, pattern) {
        case (.some, .some):
            reader.problem(path, "sets both name and pattern; keep one (name: one topic, pattern: a regular expression starting with ^)")
        case (nil, nil):
            reader.problem(path, "needs name (one topic) or pattern (a regular expression starting with ^), for example: - name: events")
        case (let name?, nil):
            if name.hasPrefix("^") {
                reader.problem(node.child("name"), "'\(name)' is a regular expression: write pattern: \"\(name)\"")
            } else {
                selector = topicSelector(name, path: node.child("name"), reader: &reader)
            }
        case (nil, let pattern?):
            if !pattern.hasPrefix("^") {
                reader.problem(node.child("pattern"), "'\(pattern)' does not start with ^: librdkafka reads a subscription as a regular expression only when it does (write \"^\(pattern)\", or name: \(pattern) for one topic)")
            } else {
                selector = topicSelector(pattern, path: node.child("pattern"), reader: &reader)
            }
        }
        var entry = TopicEntry(selector ?? .name(""))
        entry.format = reader.choice(node, "format", Format.self)
        entry.jsonValue = reader.choice(node, "json_value", JSONValue.self)
        entry.rawDelimiter = reader.string(node, "raw_delimiter")
        entry.compression = reader.choice(node, "compression", Compression.self)
        entry.compressionLevel = reader.integer(node, "compression_level", range: 1...19, allowed: "1 to 9 for gzip, 1 to 19 for zstd")
        entry.keyTemplate = reader.string(node, "key_template")
        if let template = entry.keyTemplate {
            let requiresTopic = if case .name = selector { false } else { true }
            KeyTemplateCheck.validate(template, path: node.child("key_template"), requiresTopic: requiresTopic, reader: &reader)
        }
        entry.prefix = reader.string(node, "prefix")
        entry.timestampSource = reader.choice(node, "timestamp_source", TimestampSource.self)
        entry.timeZone = reader.string(node, "time_zone")
        if let zone = entry.timeZone { validateTimeZone(zone, path: node.child("time_zone"), reader: &reader) }
        let batch = reader.section(node, "batch")
        entry.batch.maxBytes = reader.size(batch, "max_bytes", range: 1...(1 << 30))
        entry.batch.maxRecords = reader.integer(batch, "max_records", range: 1...10_000_000)
        entry.batch.linger = reader.duration(batch, "linger", minimum: .zero, maximum: .seconds(3600))
        reader.finish(batch)
        let rollover = reader.section(node, "rollover")
        entry.rollover.maxObjectBytes = reader.size(rollover, "max_object_bytes", range: 1...maxObjectBytesLimit)
        entry.rollover.maxAge = reader.duration(rollover, "max_age", minimum: .seconds(1))
        entry.rollover.seal = reader.bool(rollover, "seal")
        reader.finish(rollover)
        entry.storageClass = reader.string(node, "storage_class")
        if let storageClass = entry.storageClass {
            validateStorageClass(storageClass, path: node.child("storage_class"), reader: &reader)
        }
        entry.tags = reader.stringMap(node, "tags")
        if let tags = entry.tags { validateTags(tags, path: node.child("tags"), reader: &reader) }
        for key in node.unknownKeys {
            guard let owner = sinkWideKeys[key] else { continue }
            _ = node.value(key)
            reader.problem(node.child(key), "applies to the whole sink, not to one topic (set \(owner))")
        }
        reader.finish(node)
        return selector == nil ? nil : entry
    }

    // MARK: Entries against the rest of the file

    /// What depends on the `sink:` and `oss:` sections: each entry's settings as they apply, which entry takes
    /// which topics, and keys two topics could share.
    static func validateTopicEntries(_ config: SinkConfiguration, reader: inout ConfigReader) {
        let sinkShare = Int64(MemoryBudget(maxBufferedBytes: config.sink.maxBufferedBytes).sinkBytes)
        for (index, entry) in config.kafka.topics.enumerated() {
            let path = "kafka.topics[\(index)]"
            let sink = config.effective(entry).sink
            if let level = entry.compressionLevel {
                switch sink.compression {
                case .none:
                    reader.problem("\(path).compression_level", "is set but compression is none (set compression: gzip or zstd, or remove it)")
                case .gzip where level > 9:
                    reader.problem("\(path).compression_level", "\(level) is out of range (allowed: 1 to 9 for gzip, 1 to 19 for zstd; compression is gzip)")
                default: break
                }
            }
            let maxBytes = sink.batch.maxBytes
            if let set = entry.batch.maxBytes, set > sinkShare {
                reader.problem("\(path).batch.max_bytes", "\(ByteSize.format(set)) must be at most half of sink.max_buffered_bytes (\(ByteSize.format(config.sink.maxBufferedBytes)), so at most \(ByteSize.format(sinkShare))): every topic's batches share that memory; raise max_buffered_bytes or lower max_bytes")
            }
            if maxBytes > sink.rollover.maxObjectBytes, entry.batch.maxBytes != nil || entry.rollover.maxObjectBytes != nil {
                let at = entry.batch.maxBytes != nil ? "\(path).batch.max_bytes" : "\(path).rollover.max_object_bytes"
                reader.problem(at, "batch.max_bytes (\(ByteSize.format(maxBytes))) must not exceed rollover.max_object_bytes (\(ByteSize.format(sink.rollover.maxObjectBytes))) for the entry's topics")
            }
            if let set = entry.batch.maxBytes, set > config.sink.maxUncommittedBytes {
                reader.problem("\(path).batch.max_bytes", "\(ByteSize.format(set)) must be at most sink.max_uncommitted_bytes (\(ByteSize.format(config.sink.maxUncommittedBytes)))")
            }
            if sink.format == .raw, sink.rawDelimiter.isEmpty, entry.format != nil || entry.rawDelimiter != nil {
                reader.warning("\(path).raw_delimiter", "is empty: record boundaries are lost in raw objects and recovery cannot split a tail")
            }
        }
        let routing = TopicRouting(config.kafka.topics.map(\.selector))
        for shadowed in routing.neverApplies {
            let entry = config.kafka.topics[shadowed.entry]
            let earlier = shadowed.by.map { "kafka.topics[\($0)] ('\(config.kafka.topics[$0].selector)')" }.joined(separator: ", ")
            let verb = shadowed.by.count == 1 ? "matches" : "match"
            let what = if case .name = entry.selector { "\(verb) it first" } else { "\(verb) every topic it matches first" }
            reader.problem("kafka.topics[\(shadowed.entry)]", "'\(entry.selector)' never applies: \(earlier) \(what) (a topic takes the first entry that matches it); move this entry before \(shadowed.by.count == 1 ? "it" : "them"), or remove it")
        }
        for overlap in routing.overlaps where !overlap.earlierWithinLater {
            let earlier = config.kafka.topics[overlap.earlier].selector
            reader.warning("kafka.topics[\(overlap.later)]", "'\(config.kafka.topics[overlap.later].selector)' overlaps kafka.topics[\(overlap.earlier)] ('\(earlier)'): topics such as '\(overlap.example)' match both and take kafka.topics[\(overlap.earlier)]'s settings (the first entry that matches wins)")
        }
        validateKeyLayouts(config, reader: &reader)
    }

    /// Rejects key templates under which two topics could write the same object (``KeyLayout``).
    static func validateKeyLayouts(_ config: SinkConfiguration, reader: inout ConfigReader) {
        let entries = config.kafka.topics
        var layouts: [KeyLayout?] = []
        for entry in entries {
            let sink = config.effective(entry).sink
            let ext = fileExtension(format: sink.format, compression: sink.compression)
            switch entry.selector {
            case .name(let name):
                layouts.append(KeyLayout(template: sink.keyTemplate, prefix: sink.prefix, ext: ext, topic: name, pattern: nil))
            case .pattern where !sink.keyTemplate.contains("{topic}"):
                layouts.append(nil)  // reported by KeyTemplateCheck
            case .pattern(let pattern):
                layouts.append(KeyLayout(template: sink.keyTemplate, prefix: sink.prefix, ext: ext, topic: nil,
                                         pattern: TopicRegex(pattern)))
            }
        }
        /// Where to report a key collision of `index`: the template or prefix it sets, else the entry.
        func place(_ index: Int) -> String? {
            if entries[index].keyTemplate != nil { return "kafka.topics[\(index)].key_template" }
            if entries[index].prefix != nil { return "kafka.topics[\(index)].prefix" }
            return nil
        }
        var reported: Set<String> = []
        for (index, entry) in entries.enumerated() {
            guard let layout = layouts[index] else { continue }
            if case .pattern = entry.selector, let key = layout.collision(with: layout) {
                let path = place(index) ?? "sink.key_template"
                let message = "two topics of '\(entry.selector)' can get the same key, for example \"\(key)\": the topic name must end where the template says (put a character topic names cannot hold, such as '/', right after {topic}, and nothing of varying length before it)"
                if reported.insert(path + message).inserted { reader.problem(path, message) }
            }
            for earlier in 0..<index {
                guard let other = layouts[earlier], let key = other.collision(with: layout) else { continue }
                let path = place(index) ?? place(earlier) ?? "kafka.topics[\(index)]"
                reader.problem(path, "kafka.topics[\(index)] ('\(entry.selector)') and kafka.topics[\(earlier)] ('\(entries[earlier].selector)') can write the same object key, for example \"\(key)\": two topics would append to one object. Put {topic} in both key templates where the other has it (as the default template does), or give one of them a prefix the other cannot produce")
            }
        }
    }
}

/// How the `kafka.topics` entries share out topics, the first entry that matches a topic taking it: entries
/// that never apply, and patterns that match topics an earlier entry takes.
struct TopicRouting {
    /// An entry that no topic ever takes: `by` match every topic it matches first.
    struct Shadowed: Equatable {
        var entry: Int
        var by: [Int]
    }

    /// An entry that matches some topics an earlier one takes.
    struct Overlap: Equatable {
        var earlier: Int
        var later: Int
        /// A topic both match that no entry before `earlier` takes.
        var example: String
        /// Every topic `earlier` matches is matched by `later` too (a narrower entry first, on purpose).
        var earlierWithinLater: Bool
    }

    var neverApplies: [Shadowed] = []
    var overlaps: [Overlap] = []

    init(_ selectors: [SinkConfiguration.TopicSelector]) {
        let automata: [TopicRegex?] = selectors.map { selector in
            switch selector {
            case .name(let name): TopicRegex(name: name)
            case .pattern(let pattern): TopicRegex(pattern)
            }
        }
        for (later, selector) in selectors.enumerated() {
            switch selector {
            case .name(let name):
                let by = (0..<later).filter { selectors[$0].matches(name) }
                if !by.isEmpty {
                    neverApplies.append(Shadowed(entry: later, by: by))
                    continue
                }
            case .pattern:
                if let same = (0..<later).first(where: { selectors[$0] == selector }) {
                    neverApplies.append(Shadowed(entry: later, by: [same]))
                    continue
                }
            }
            var overlapping: [Int] = []
            let dead = Set(neverApplies.map(\.entry))
            for earlier in 0..<later where !dead.contains(earlier) {
                guard case .pattern = selector else { break }
                switch selectors[earlier] {
                case .name(let name):
                    if selector.matches(name) {
                        overlapping.append(earlier)
                        overlaps.append(Overlap(earlier: earlier, later: later, example: name, earlierWithinLater: true))
                    }
                case .pattern:
                    guard let a = automata[earlier], let b = automata[later] else { continue }
                    // Only entries that share topics with `later` can take one of them first.
                    let before = overlapping.compactMap { automata[$0] }
                    guard before.count == overlapping.count,
                          case .found(let topic) = TopicRegex.topic(matchedBy: [a, b], notMatchedBy: before),
                          selectors[earlier].matches(topic), selector.matches(topic) else { continue }
                    overlapping.append(earlier)
                    let within = TopicRegex.topic(matchedBy: [a], notMatchedBy: [b]) == .none
                    overlaps.append(Overlap(earlier: earlier, later: later, example: topic, earlierWithinLater: within))
                }
            }
            // A pattern whose every topic an earlier entry takes.
            if case .pattern = selector, !overlapping.isEmpty, let automaton = automata[later],
               (0..<later).allSatisfy({ automata[$0] != nil || dead.contains($0) }) {
                // The entries that share no topic with it cannot take any of its topics.
                let before = overlapping.compactMap { automata[$0] }
                if TopicRegex.topic(matchedBy: [automaton], notMatchedBy: before) == .none {
                    neverApplies.append(Shadowed(entry: later, by: overlapping))
                    overlaps.removeAll { $0.later == later }
                }
            }
        }
    }

    /// Notes for `entry` in check-config's listing: the topics it matches that earlier entries take.
    func notes(_ entry: Int, _ selectors: [SinkConfiguration.TopicSelector]) -> [String] {
        overlaps.filter { $0.later == entry }.map { overlap in
            let earlier = selectors[overlap.earlier]
            if case .name(let name) = earlier {
                return "topic \(name) takes kafka.topics[\(overlap.earlier)] instead"
            }
            return overlap.earlierWithinLater
                ? "topics matching '\(earlier)' take kafka.topics[\(overlap.earlier)] instead"
                : "topics also matching '\(earlier)' (such as \(overlap.example)) take kafka.topics[\(overlap.earlier)] instead"
        }
    }
}
