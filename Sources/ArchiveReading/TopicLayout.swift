public import SinkCore

/// How one topic's segments are named and written: its settings and the key pattern they produce.
public struct TopicLayout: Sendable {
    public var settings: TopicSettings
    public var pattern: SegmentKeyPattern

    public init(settings: TopicSettings, pattern: SegmentKeyPattern) {
        self.settings = settings
        self.pattern = pattern
    }

    /// jsonl records carry their offsets; raw records do not.
    public var carriesOffsets: Bool {
        if case .jsonl = settings.format { true } else { false }
    }
}

extension SinkSettings {
    /// The layout of `topic`'s segments: the settings of the first `kafka.topics` entry that matches it, else the
    /// defaults. A `name` entry's pattern serves that topic alone (its template may leave `{topic}` out).
    public func layout(forTopic topic: String) -> TopicLayout {
        if let index = topicRuleIndex(for: topic) {
            let rule = topicRules[index]
            return TopicLayout(settings: rule.settings, pattern: SegmentKeyPattern(rule.settings, topic: rule.singleTopic))
        }
        return TopicLayout(settings: defaultTopic, pattern: SegmentKeyPattern(defaultTopic))
    }

    /// The key patterns of every `kafka.topics` entry and of the defaults, each with the topic it serves alone (if any).
    public var segmentKeyPatterns: [SegmentKeyPattern] {
        topicRules.map { SegmentKeyPattern($0.settings, topic: $0.singleTopic) } + [SegmentKeyPattern(defaultTopic)]
    }
}

extension TopicRule {
    /// The topic a `name` entry serves; nil for a `pattern` entry.
    var singleTopic: String? {
        if case .name(let name) = selector { name } else { nil }
    }
}
