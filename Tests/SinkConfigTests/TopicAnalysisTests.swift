@testable import SinkConfig
import Testing

/// The automata behind check-config's topic and key analyses, checked against glibc's `regexec` (what
/// librdkafka matches subscriptions with) and against keys rendered by hand.
@Suite struct TopicAnalysisTests {
    static let patterns = [
        "^logs-.*", "^ev.*", "^.*-x$", "^(a|b)+$", "^[a-c]{2,3}[0-9]?$", "^[^.]+\\.v[0-9]+$", "events", "^$", "a|^b",
        "^[[:alpha:]]+[[:digit:]]*$", "^x{2}", "\\.", "^\\w+$", "^(ab|a)(bc|c)$", "^a?b+c*$", "^.{3}$", "^[]a-]+$",
        "^(logs|metrics)-a.*", "b$", "^(a(b|c)*)?d$", "^[A-Z_]+", "^a{2,}$", "^[[:upper:][:digit:]]{1,2}$",
    ]

    /// For every pattern the automaton models, it accepts exactly the topic names `regexec` matches.
    @Test func automataAgreeWithRegexec() throws {
        var random = SplitMix(seed: 28)
        let letters = Array("abcdegilmorstvxAB.-_0129".utf8)
        for pattern in Self.patterns {
            let automaton = try #require(TopicRegex(pattern), "\(pattern) is modelled")
            for _ in 0..<3000 {
                let length = 1 + Int(random.next() % 9)
                let name = String(decoding: (0..<length).map { _ in letters[Int(random.next() % UInt64(letters.count))] }, as: UTF8.self)
                #expect(automaton.matches(name) == TopicPattern.matches(pattern, name), "\(pattern) on \(name)")
            }
        }
    }

    @Test func unmodelledSyntaxHasNoAutomaton() {
        #expect(TopicRegex("^(a)\\1$") == nil)
        #expect(TopicRegex("^\\bev") == nil)
        #expect(TopicRegex("^a{1000}$") == nil)
    }

    @Test func searchesFindTheShortestTopicOrProveThereIsNone() throws {
        let logs = try #require(TopicRegex("^logs-.*"))
        let audit = try #require(TopicRegex("^.*-audit$"))
        let logsA = try #require(TopicRegex("^logs-a.*"))
        #expect(TopicRegex.topic(matchedBy: [logs, audit], notMatchedBy: []) == .found("logs-audit"))
        #expect(TopicRegex.topic(matchedBy: [logsA], notMatchedBy: [logs]) == .none)
        #expect(TopicRegex.topic(matchedBy: [logs], notMatchedBy: [logsA]) == .found("logs-"))
        #expect(TopicRegex.topic(matchedBy: [TopicRegex(name: "events")], notMatchedBy: [logs]) == .found("events"))
    }

    /// The key layout of an entry, as check-config builds it.
    static func layout(_ template: String, prefix: String = "", ext: String = ".jsonl", name: String? = nil,
                       pattern: String? = nil) -> KeyLayout {
        KeyLayout(template: template, prefix: prefix, ext: ext, topic: name, pattern: pattern.flatMap(TopicRegex.init))!
    }

    @Test func collisionsAreRealKeysBothEntriesRender() {
        // Two topic-less templates: the example is a key either renders.
        let audit = Self.layout("{prefix}{partition}/{offset:020}{ext}", prefix: "x/", name: "audit")
        let billing = Self.layout("x/{partition}/{offset}{ext}", name: "billing")
        #expect(audit.collision(with: billing) == "x/0/00000000000000000000.jsonl")
        // A taken key's ~N suffix is part of the layout.
        let suffixed = Self.layout("x/{partition}/{offset:020}~1{ext}", name: "c")
        #expect(audit.collision(with: suffixed) != nil)
        // The same template for different topic names, and different extensions: apart.
        let events = Self.layout(SinkConfiguration.defaultKeyTemplate, name: "events")
        let orders = Self.layout(SinkConfiguration.defaultKeyTemplate, name: "events.v2")
        #expect(events.collision(with: orders) == nil)
        #expect(audit.collision(with: Self.layout("{prefix}{partition}/{offset:020}{ext}", prefix: "x/", ext: ".jsonl.gz", name: "b")) == nil)
    }

    @Test func aPatternTopicIsOnlyWhatThePatternMatches() {
        let archive = Self.layout("archive/{partition}/{offset:020}{ext}", name: "audit")
        let byTopic = "{prefix}{topic}/{partition}/{offset:020}{ext}"
        #expect(Self.layout(byTopic, pattern: "^logs-.*").collision(with: archive) == nil)
        #expect(Self.layout(byTopic, pattern: "^[a-z]+$").collision(with: archive) == "archive/0/00000000000000000000.jsonl")
        // A pattern that the analysis cannot model stands for every topic name.
        #expect(Self.layout(byTopic).collision(with: archive) == "archive/0/00000000000000000000.jsonl")
    }

    @Test func aTemplateSharedByTopicsMustDelimitTheTopic() {
        let delimited = Self.layout(SinkConfiguration.defaultKeyTemplate, pattern: "^.*")
        #expect(delimited.collision(with: delimited) == nil)
        let dateLed = Self.layout("{yyyy}/{MM}/{topic}/{partition}/{offset:020}{ext}", pattern: "^.*")
        #expect(dateLed.collision(with: dateLed) == nil)
        let runOn = Self.layout("{topic}{partition}/{offset:020}{ext}", pattern: "^.*")
        // Topic "a", partition 00 and topic "a0", partition 0.
        #expect(runOn.collision(with: runOn) == "a00/00000000000000000000.jsonl")
        // The partition ends at the first '-' (digits only), so the topic starts at the same character in every reading.
        let afterPartition = Self.layout("{partition}-{topic}/{offset:020}{ext}", pattern: "^.*")
        #expect(afterPartition.collision(with: afterPartition) == nil)
        let unpadded = Self.layout("{partition}{topic}/{offset:020}{ext}", pattern: "^.*")
        // Partition 0 of topic "0a" and partition 00 of topic "a".
        #expect(unpadded.collision(with: unpadded) == "00a/00000000000000000000.jsonl")
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
