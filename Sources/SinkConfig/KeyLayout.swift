/// The object keys one `kafka.topics` entry can produce, as an automaton over bytes, to prove that two topics never
/// write the same key.
///
/// A key is the entry's key template with `{prefix}` and `{ext}` filled in, `{topic}` the topic's name (a
/// `name` entry) or any topic its pattern matches (``TopicRegex``), `{partition}` and `{offset}` any number
/// (at least their width in digits), the time fields their digits, and the `~N` a taken key gets before `{ext}`
/// (or at the end). Two entries, or one pattern entry with itself, can collide when some key is in both
/// languages *and* the two readings do not put the same topic name at the same place in it: when the first
/// `{topic}` of both readings covers exactly the same characters, the key names one topic, and one topic belongs
/// to one entry only (the first that matches it). The check walks both automata over the same characters
/// (breadth first, so the example it reports is the shortest key), tracking whether the first `{topic}`s
/// started and ended together.
///
/// It over-approximates (numbers of any length, every calendar value, later `{topic}`s independent of the
/// first, topics also matched by earlier entries): it may reject a layout whose collisions cannot happen with
/// real offsets or dates, never accept one whose can.
struct KeyLayout {
    /// A set of bytes.
    struct ByteSet: Hashable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        init(_ bytes: some Sequence<UInt8>) {
            for byte in bytes { insert(byte) }
        }

        mutating func insert(_ byte: UInt8) {
            let bit = UInt64(1) << UInt64(byte % 64)
            switch byte / 64 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        func intersection(_ other: ByteSet) -> ByteSet {
            var set = ByteSet([UInt8]())
            set.words = (words.0 & other.words.0, words.1 & other.words.1, words.2 & other.words.2, words.3 & other.words.3)
            return set
        }

        var bytes: [UInt8] {
            var out: [UInt8] = []
            for (index, word) in [words.0, words.1, words.2, words.3].enumerated() where word != 0 {
                var rest = word
                while rest != 0 {
                    out.append(UInt8(index * 64 + rest.trailingZeroBitCount))
                    rest &= rest - 1
                }
            }
            return out
        }

        static func == (a: ByteSet, b: ByteSet) -> Bool { a.words == b.words }
        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
        }
    }

    static let digits = ByteSet(Array("0123456789".utf8))
    static let topicBytes = ByteSet(TopicRegex.alphabet)

    /// One step of a key: a byte from `set`, once or any number of times (`repeats`), or a topic its pattern
    /// matches.
    enum Unit {
        case bytes(ByteSet, repeats: Bool, firstTopic: Bool)
        /// One or more topic characters forming a name `regex` matches.
        case patternTopic(TopicRegex, firstTopic: Bool)

        var firstTopic: Bool {
            switch self {
            case .bytes(_, _, let first), .patternTopic(_, let first): first
            }
        }
    }

    /// The key without and with a `~N` suffix.
    let variants: [[Unit]]
    /// The bytes every key starts with (up to the first unit that varies).
    let lead: [UInt8]

    /// The layout of `template` (already checked by ``KeyTemplateCheck``) for a `name` entry (`topic`) or a
    /// pattern entry (`pattern`'s automaton; nil when the pattern is not modelled: then any topic name).
    init?(template: String, prefix: String, ext: String, topic: String?, pattern: TopicRegex?) {
        var plain: [Unit] = []
        var suffixed: [Unit] = []
        var suffixPlaced = false
        var topicSeen = false
        func literal(_ text: String) -> [Unit] {
            text.utf8.map { .bytes(ByteSet([$0]), repeats: false, firstTopic: false) }
        }
        func number(width: Int) -> [Unit] {
            Array(repeating: .bytes(Self.digits, repeats: false, firstTopic: false), count: max(1, width))
                + [.bytes(Self.digits, repeats: true, firstTopic: false)]
        }
        func add(_ units: [Unit]) {
            plain += units
            suffixed += units
        }
        var rest = Substring(template)
        var text = ""
        while let c = rest.first {
            rest = rest.dropFirst()
            if c == "{" || c == "}" {
                if rest.first == c {
                    text.append(c)
                    rest = rest.dropFirst()
                    continue
                }
                guard c == "{", let close = rest.firstIndex(of: "}") else { return nil }
                let body = rest[..<close]
                rest = rest[rest.index(after: close)...]
                add(literal(text))
                text = ""
                let parts = body.split(separator: ":", maxSplits: 1)
                let width = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
                switch parts.first.map(String.init) ?? "" {
                case "prefix": add(literal(prefix))
                case "topic":
                    let first = !topicSeen
                    topicSeen = true
                    if let topic {
                        add(topic.utf8.map { .bytes(ByteSet([$0]), repeats: false, firstTopic: first) })
                    } else if let pattern {
                        add([.patternTopic(pattern, firstTopic: first)])
                    } else {
                        add([.bytes(Self.topicBytes, repeats: false, firstTopic: first),
                             .bytes(Self.topicBytes, repeats: true, firstTopic: first)])
                    }
                case "partition", "offset": add(number(width: width))
                case "yyyy": add(Array(repeating: .bytes(Self.digits, repeats: false, firstTopic: false), count: 4))
                case "MM", "dd", "HH", "mm": add(Array(repeating: .bytes(Self.digits, repeats: false, firstTopic: false), count: 2))
                case "ext":
                    if !suffixPlaced {
                        suffixPlaced = true
                        suffixed += literal("~") + number(width: 1)
                    }
                    add(literal(ext))
                default: return nil
                }
            } else {
                text.append(c)
            }
        }
        add(literal(text))
        if !suffixPlaced { suffixed += literal("~") + number(width: 1) }
        variants = [plain, suffixed]
        func fixed(_ units: [Unit]) -> [UInt8] {
            var bytes: [UInt8] = []
            for unit in units {
                guard case .bytes(let set, false, _) = unit, set.bytes.count == 1 else { break }
                bytes.append(set.bytes[0])
            }
            return bytes
        }
        let plainLead = fixed(plain), suffixedLead = fixed(suffixed)
        lead = Array(zip(plainLead, suffixedLead).prefix { $0 == $1 }.map(\.0))
    }

    /// A key both layouts can produce for two different topics (the shortest one), or nil when there is none.
    /// - Parameter limit: states explored before giving up (then the answer is nil as well: the layouts are
    ///   too intricate to tell; real templates stay far below it).
    func collision(with other: KeyLayout, limit: Int = 200_000) -> String? {
        // Keys that start differently never meet (most pairs of names end here).
        if zip(lead, other.lead).contains(where: { $0 != $1 }) { return nil }
        for a in variants {
            for b in other.variants {
                if let key = Self.collision(a, b, limit: limit) { return key }
            }
        }
        return nil
    }

    /// Where the first `{topic}`s of the two readings stand relative to each other.
    enum TopicSync: Hashable {
        /// Neither reading has reached its first `{topic}`.
        case before
        /// Both started at the same character and are still in it.
        case together
        /// They started or ended at different characters: the readings name different topics.
        case apart
    }

    /// A position in one reading: the unit, and inside a pattern topic the automaton's states (nil before it).
    struct Cursor: Hashable {
        var unit: Int
        var topic: TopicRegex.States?
    }

    struct State: Hashable {
        var a: Cursor
        var b: Cursor
        var sync: TopicSync
    }

    /// Moves of one reading by one byte from `cursor`: each with the bytes it takes, where it goes, and whether
    /// the byte belongs to the first `{topic}`.
    static func moves(_ units: [Unit], _ cursor: Cursor) -> [(bytes: ByteSet, next: Cursor, firstTopic: Bool, regex: TopicRegex?)] {
        var out: [(ByteSet, Cursor, Bool, TopicRegex?)] = []
        for position in reachable(units, cursor) {
            guard position.unit < units.count else { continue }
            switch units[position.unit] {
            case .bytes(let set, let repeats, let first):
                out.append((set, Cursor(unit: repeats ? position.unit : position.unit + 1, topic: nil), first, nil))
            case .patternTopic(let regex, let first):
                let states = position.topic ?? regex.initial
                let readable = regex.readable(states)
                let bytes = ByteSet(TopicRegex.alphabet.enumerated().filter { readable.contains($0.offset) }.map(\.element))
                out.append((bytes, Cursor(unit: position.unit, topic: states), first, regex))
            }
        }
        return out
    }

    /// `cursor` and the positions reachable from it without reading a byte (past repeated units, out of a topic
    /// its pattern accepts).
    static func reachable(_ units: [Unit], _ cursor: Cursor) -> [Cursor] {
        var out = [cursor]
        var current = cursor
        while current.unit < units.count {
            switch units[current.unit] {
            case .bytes(_, let repeats, _):
                guard repeats else { return out }
            case .patternTopic(let regex, _):
                guard let states = current.topic, regex.accepts(states) else { return out }
            }
            current = Cursor(unit: current.unit + 1, topic: nil)
            out.append(current)
        }
        return out
    }

    static func atEnd(_ units: [Unit], _ cursor: Cursor) -> Bool {
        reachable(units, cursor).contains { $0.unit == units.count }
    }

    static func collision(_ a: [Unit], _ b: [Unit], limit: Int) -> String? {
        let start = State(a: Cursor(unit: 0, topic: nil), b: Cursor(unit: 0, topic: nil), sync: .before)
        var parent: [State: (State, UInt8)] = [:]
        var seen: Set<State> = [start]
        var frontier = [start]
        func key(_ state: State) -> String {
            var bytes: [UInt8] = []
            var current = state
            while let (previous, byte) = parent[current] {
                bytes.append(byte)
                current = previous
            }
            return String(decoding: bytes.reversed(), as: UTF8.self)
        }
        while !frontier.isEmpty {
            var next: [State] = []
            for state in frontier {
                for moveA in moves(a, state.a) {
                    for moveB in moves(b, state.b) {
                        let common = moveA.bytes.intersection(moveB.bytes)
                        let choices = common.bytes
                        if choices.isEmpty { continue }
                        let sync: TopicSync
                        switch state.sync {
                        case .before:
                            sync = moveA.firstTopic && moveB.firstTopic ? .together
                                : moveA.firstTopic || moveB.firstTopic ? .apart : .before
                        case .together:
                            // Both left at the same byte: the same characters, the same topic, one entry.
                            if !moveA.firstTopic && !moveB.firstTopic { continue }
                            sync = moveA.firstTopic && moveB.firstTopic ? .together : .apart
                        case .apart:
                            sync = .apart
                        }
                        // Inside a pattern topic each byte steps its automaton; elsewhere one byte stands for all.
                        let perByte = moveA.regex != nil || moveB.regex != nil
                        for byte in perByte ? Self.readable(choices) : [Self.representative(choices)] {
                            var nextA = moveA.next
                            var nextB = moveB.next
                            if let regex = moveA.regex {
                                nextA.topic = regex.step(nextA.topic!, TopicRegex.index(of: byte)!)
                                if nextA.topic!.isEmpty { continue }
                            }
                            if let regex = moveB.regex {
                                nextB.topic = regex.step(nextB.topic!, TopicRegex.index(of: byte)!)
                                if nextB.topic!.isEmpty { continue }
                            }
                            let target = State(a: nextA, b: nextB, sync: sync)
                            guard seen.insert(target).inserted else { continue }
                            parent[target] = (state, byte)
                            if seen.count > limit { return nil }
                            // At the end both readings stop together: a key they share, unless their first
                            // {topic}s are the same characters (still together at the end).
                            if sync != .together, atEnd(a, nextA), atEnd(b, nextB) { return key(target) }
                            next.append(target)
                        }
                    }
                }
            }
            frontier = next
        }
        return nil
    }

    /// A byte of `choices` that reads well in an example key: a lower-case letter, a digit, then anything.
    static func representative(_ choices: [UInt8]) -> UInt8 {
        readable(choices)[0]
    }

    /// `choices` with those that read well in an example key first: lower-case letters, digits, the rest.
    static func readable(_ choices: [UInt8]) -> [UInt8] {
        func rank(_ byte: UInt8) -> Int {
            if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { return 0 }
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { return 1 }
            return 2
        }
        return choices.sorted { (rank($0), $0) < (rank($1), $1) }
    }
}
