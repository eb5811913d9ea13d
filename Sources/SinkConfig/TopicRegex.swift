/// A topic subscription pattern as an automaton over the characters Kafka allows in topic names, for questions
/// about every topic at once: can two patterns match the same topic, is every topic of one matched by others,
/// which keys can a key template render for a pattern's topics (``KeyLayout``).
///
/// The pattern is read with POSIX extended syntax and `regexec`'s search semantics, as librdkafka matches its
/// subscription (`^logs-.*` matches `logs-a`; `logs` alone would match any topic containing it): literals, `.`,
/// bracket expressions with ranges, negation and `[:class:]`, groups, `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`,
/// the anchors `^` and `$` anywhere, escaped characters, and glibc's `\w \W \s \S`. Patterns with anything else
/// (back references, word boundaries) have no automaton (`init` returns nil) and are left out of the analyses;
/// findings are confirmed with `regexec` before they are reported.
struct TopicRegex: Sendable {
    /// Topic names: ASCII letters, digits, `.`, `_` and `-` (Kafka's legal characters), 1-249 of them.
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-".utf8)
    static let maxTopicLength = 249

    /// A set of alphabet indices (0..<66).
    struct CharSet: Hashable, Sendable {
        var low: UInt64 = 0
        var high: UInt64 = 0

        static let all: CharSet = {
            var set = CharSet()
            for index in 0..<TopicRegex.alphabet.count { set.insert(index) }
            return set
        }()

        init() {}

        init(bytes: some Sequence<UInt8>) {
            for byte in bytes {
                if let index = TopicRegex.index(of: byte) { insert(index) }
            }
        }

        mutating func insert(_ index: Int) {
            if index < 64 { low |= 1 << UInt64(index) } else { high |= 1 << UInt64(index - 64) }
        }

        func contains(_ index: Int) -> Bool {
            index < 64 ? low & (1 << UInt64(index)) != 0 : high & (1 << UInt64(index - 64)) != 0
        }

        var inverted: CharSet {
            var set = CharSet()
            set.low = ~low & CharSet.all.low
            set.high = ~high & CharSet.all.high
            return set
        }

        var isEmpty: Bool { low == 0 && high == 0 }
    }

    /// The alphabet index of `byte`, or nil when topic names cannot contain it.
    static func index(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): 26 + Int(byte - UInt8(ascii: "a"))
        case UInt8(ascii: "0")...UInt8(ascii: "9"): 52 + Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "."): 62
        case UInt8(ascii: "_"): 63
        case UInt8(ascii: "-"): 64
        default: nil
        }
    }

    enum Edge: Sendable {
        case chars(CharSet, Int)
        case epsilon(Int)
        /// Taken only before the first character (`^`).
        case start(Int)
        /// Taken only after the last character (`$`).
        case end(Int)
    }

    /// Outgoing edges per state; state 0 starts, `accept` accepts.
    private(set) var edges: [[Edge]] = []
    private(set) var accept = 0
    /// States from which `accept` can still be reached once a character was read (`^` edges can no longer be
    /// taken): sets keep only these, so that a pattern that can no longer match has no state left.
    private(set) var live = States(count: 0)
    let source: String

    /// The automaton of `pattern` with search semantics; nil when the pattern uses syntax the analysis does not
    /// model.
    init?(_ pattern: String) {
        source = pattern
        var parser = Parser(Array(pattern.unicodeScalars))
        guard let tree = parser.parseAll() else { return nil }
        // Σ* (pattern) Σ*: regexec finds a match anywhere in the topic.
        let start = newState()
        edges[start].append(.chars(.all, start))
        let end = newState()
        guard build(tree, from: start, to: end) else { return nil }
        edges[end].append(.chars(.all, end))
        accept = end
        guard edges.count <= 4096 else { return nil }
        live = liveStates()
    }

    /// The automaton of exactly one topic name.
    init(name: String) {
        source = name
        var state = newState()
        for byte in name.utf8 {
            let next = newState()
            var set = CharSet()
            if let index = Self.index(of: byte) { set.insert(index) }
            edges[state].append(.chars(set, next))
            state = next
        }
        accept = state
        live = liveStates()
    }

    /// The states that reach `accept` over character, ε and `$` edges.
    private func liveStates() -> States {
        var incoming = [[Int]](repeating: [], count: edges.count)
        for (from, list) in edges.enumerated() {
            for edge in list {
                switch edge {
                case .chars(let set, let to) where !set.isEmpty: incoming[to].append(from)
                case .epsilon(let to), .end(let to): incoming[to].append(from)
                case .chars, .start: break
                }
            }
        }
        var result = States(count: edges.count)
        _ = result.insert(accept)
        var stack = [accept]
        while let state = stack.popLast() {
            for from in incoming[state] where result.insert(from) { stack.append(from) }
        }
        return result
    }

    private mutating func newState() -> Int {
        edges.append([])
        return edges.count - 1
    }

    /// Adds the states and edges of `node` between `from` and `to`; false when it grows too large.
    private mutating func build(_ node: Node, from: Int, to: Int) -> Bool {
        guard edges.count <= 4096 else { return false }
        switch node {
        case .empty:
            edges[from].append(.epsilon(to))
        case .chars(let set):
            edges[from].append(.chars(set, to))
        case .start:
            edges[from].append(.start(to))
        case .end:
            edges[from].append(.end(to))
        case .sequence(let items):
            var current = from
            for (index, item) in items.enumerated() {
                let next = index == items.count - 1 ? to : newState()
                guard build(item, from: current, to: next) else { return false }
                current = next
            }
            if items.isEmpty { edges[from].append(.epsilon(to)) }
        case .alternatives(let options):
            for option in options {
                guard build(option, from: from, to: to) else { return false }
            }
        case .repeated(let item, let minimum, let maximum):
            var current = from
            for _ in 0..<minimum {
                let next = newState()
                guard build(item, from: current, to: next) else { return false }
                current = next
            }
            if let maximum {
                for _ in minimum..<maximum {
                    let next = newState()
                    guard build(item, from: current, to: next) else { return false }
                    edges[current].append(.epsilon(to))
                    current = next
                }
                edges[current].append(.epsilon(to))
            } else {
                let loop = newState()
                edges[current].append(.epsilon(loop))
                guard build(item, from: loop, to: loop) else { return false }
                edges[loop].append(.epsilon(to))
            }
        }
        return true
    }

    // MARK: Running

    /// A set of automaton states (the automaton after some characters).
    struct States: Hashable, Sendable {
        var words: [UInt64]

        init(count: Int) { words = [UInt64](repeating: 0, count: (count + 63) / 64) }

        func intersection(_ other: States) -> States {
            var out = self
            for index in out.words.indices { out.words[index] &= other.words[index] }
            return out
        }

        mutating func insert(_ state: Int) -> Bool {
            let (word, bit) = (state / 64, UInt64(1) << UInt64(state % 64))
            if words[word] & bit != 0 { return false }
            words[word] |= bit
            return true
        }

        func contains(_ state: Int) -> Bool { words[state / 64] & (UInt64(1) << UInt64(state % 64)) != 0 }

        var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

        func forEach(_ body: (Int) -> Void) {
            for (index, word) in words.enumerated() where word != 0 {
                var rest = word
                while rest != 0 {
                    let bit = rest.trailingZeroBitCount
                    body(index * 64 + bit)
                    rest &= rest - 1
                }
            }
        }
    }

    /// The characters some state of `states` can read.
    func readable(_ states: States) -> CharSet {
        var set = CharSet()
        states.forEach { state in
            for edge in edges[state] {
                if case .chars(let chars, _) = edge {
                    set.low |= chars.low
                    set.high |= chars.high
                }
            }
        }
        return set
    }

    /// The states before any character.
    var initial: States {
        var states = States(count: edges.count)
        _ = states.insert(0)
        return closure(states, atStart: true, atEnd: false).intersection(live)
    }

    /// The states after one more character (alphabet index `char`), not the last one.
    func step(_ states: States, _ char: Int) -> States {
        var next = States(count: edges.count)
        states.forEach { state in
            for edge in edges[state] {
                if case .chars(let set, let target) = edge, set.contains(char) { _ = next.insert(target) }
            }
        }
        return closure(next, atStart: false, atEnd: false).intersection(live)
    }

    /// Whether the characters read so far (at least one) form a topic the pattern matches.
    func accepts(_ states: States) -> Bool {
        closure(states, atStart: false, atEnd: true).contains(accept)
    }

    private func closure(_ states: States, atStart: Bool, atEnd: Bool) -> States {
        var result = states
        var stack: [Int] = []
        states.forEach { stack.append($0) }
        while let state = stack.popLast() {
            for edge in edges[state] {
                let target: Int
                switch edge {
                case .chars: continue
                case .epsilon(let t): target = t
                case .start(let t):
                    guard atStart else { continue }
                    target = t
                case .end(let t):
                    guard atEnd else { continue }
                    target = t
                }
                if result.insert(target) { stack.append(target) }
            }
        }
        return result
    }

    /// Whether the pattern matches `topic` (topic characters only).
    func matches(_ topic: String) -> Bool {
        var states = initial
        for byte in topic.utf8 {
            guard let index = Self.index(of: byte) else { return false }
            states = step(states, index)
        }
        return !topic.isEmpty && accepts(states)
    }

    // MARK: Questions about every topic

    /// What a search for a topic found.
    enum Search: Equatable {
        case found(String)
        /// No topic has the property.
        case none
        /// The search gave up (too many combinations of states).
        case unknown
    }

    /// The shortest topic name (1-249 characters) that every automaton of `matchedBy` accepts and none of
    /// `notMatchedBy` does.
    static func topic(matchedBy: [TopicRegex], notMatchedBy: [TopicRegex], limit: Int = 100_000) -> Search {
        let all = matchedBy + notMatchedBy
        let wanted = matchedBy.count
        var seen: Set<[States]> = []
        var frontier: [([States], [UInt8])] = [(all.map(\.initial), [])]
        seen.insert(frontier[0].0)
        while !frontier.isEmpty {
            var next: [([States], [UInt8])] = []
            for (states, text) in frontier {
                guard text.count < maxTopicLength else { continue }
                var readable = CharSet.all
                for (automaton, set) in zip(matchedBy, states) {
                    let chars = automaton.readable(set)
                    readable.low &= chars.low
                    readable.high &= chars.high
                }
                for char in 0..<alphabet.count where readable.contains(char) {
                    let stepped = zip(all, states).map { $0.step($1, char) }
                    if stepped.prefix(wanted).contains(where: \.isEmpty) { continue }
                    guard seen.insert(stepped).inserted else { continue }
                    if seen.count > limit { return .unknown }
                    let name = text + [alphabet[char]]
                    let accepted = zip(all, stepped).map { $0.accepts($1) }
                    if accepted.prefix(wanted).allSatisfy({ $0 }), !accepted.dropFirst(wanted).contains(true) {
                        return .found(String(decoding: name, as: UTF8.self))
                    }
                    next.append((stepped, name))
                }
            }
            frontier = next
        }
        return .none
    }

    // MARK: Parsing

    indirect enum Node {
        case empty
        case chars(CharSet)
        case start
        case end
        case sequence([Node])
        case alternatives([Node])
        case repeated(Node, minimum: Int, maximum: Int?)
    }

    /// Recursive descent over POSIX extended syntax; nil for anything not modelled.
    struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var peek: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        mutating func parseAll() -> Node? {
            guard let node = parseAlternatives(), position == scalars.count else { return nil }
            return node
        }

        mutating func parseAlternatives() -> Node? {
            var options: [Node] = []
            while true {
                guard let branch = parseBranch() else { return nil }
                options.append(branch)
                guard peek == "|" else { break }
                position += 1
            }
            return options.count == 1 ? options[0] : .alternatives(options)
        }

        mutating func parseBranch() -> Node? {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                guard var atom = parseAtom() else { return nil }
                while let q = peek, q == "*" || q == "+" || q == "?" || q == "{" {
                    position += 1
                    switch q {
                    case "*": atom = .repeated(atom, minimum: 0, maximum: nil)
                    case "+": atom = .repeated(atom, minimum: 1, maximum: nil)
                    case "?": atom = .repeated(atom, minimum: 0, maximum: 1)
                    default:
                        guard let (minimum, maximum) = parseInterval() else { return nil }
                        atom = .repeated(atom, minimum: minimum, maximum: maximum)
                    }
                }
                items.append(atom)
            }
            return items.count == 1 ? items[0] : .sequence(items)
        }

        /// `m}`, `m,}` or `m,n}` after `{`; bounds above 255 are not modelled.
        mutating func parseInterval() -> (Int, Int?)? {
            func number() -> Int? {
                var digits = ""
                while let c = peek, ("0"..."9").contains(c) {
                    digits.unicodeScalars.append(c)
                    position += 1
                }
                return Int(digits)
            }
            guard let minimum = number(), minimum <= 255 else { return nil }
            var maximum: Int? = minimum
            if peek == "," {
                position += 1
                maximum = peek == "}" ? nil : number()
                if let maximum, maximum < minimum || maximum > 255 { return nil }
                if maximum == nil && peek != "}" { return nil }
            }
            guard peek == "}" else { return nil }
            position += 1
            return (minimum, maximum)
        }

        mutating func parseAtom() -> Node? {
            guard let c = peek else { return nil }
            position += 1
            switch c {
            case "(":
                if peek == ")" {
                    position += 1
                    return .empty
                }
                guard let inner = parseAlternatives(), peek == ")" else { return nil }
                position += 1
                return inner
            case ".": return .chars(.all)
            case "^": return .start
            case "$": return .end
            case "[": return parseBracket()
            case "*", "+", "?", "{": return nil
            case "\\":
                guard let e = peek else { return nil }
                position += 1
                switch e {
                case "w": return .chars(Self.wordChars)
                case "W": return .chars(Self.wordChars.inverted)
                case "s": return .chars(CharSet())
                case "S": return .chars(.all)
                case "1"..."9", "b", "B", "<", ">", "`", "'": return nil
                default: return .chars(Self.single(e))
                }
            default:
                return .chars(Self.single(c))
            }
        }

        static let wordChars = CharSet(bytes: Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_".utf8))

        static func single(_ scalar: Unicode.Scalar) -> CharSet {
            guard scalar.isASCII else { return CharSet() }
            return CharSet(bytes: [UInt8(scalar.value)])
        }

        /// After `[`: a bracket expression up to its `]`.
        mutating func parseBracket() -> Node? {
            var negated = false
            if peek == "^" {
                negated = true
                position += 1
            }
            var members: [ClosedRange<UInt32>] = []
            var set = CharSet()
            var first = true
            while true {
                guard let c = peek else { return nil }
                if c == "]" && !first { position += 1; break }
                first = false
                position += 1
                var low = c
                if c == "[", let kind = peek, kind == ":" || kind == "=" || kind == "." {
                    position += 1
                    var name = ""
                    while let n = peek, !(n == kind && position + 1 < scalars.count && scalars[position + 1] == "]") {
                        name.unicodeScalars.append(n)
                        position += 1
                    }
                    guard peek == kind else { return nil }
                    position += 2
                    if kind == ":" {
                        guard let classSet = Self.characterClass(name) else { return nil }
                        set.low |= classSet.low
                        set.high |= classSet.high
                        continue
                    }
                    guard name.unicodeScalars.count == 1 else { return nil }
                    low = name.unicodeScalars.first!
                }
                if peek == "-", position + 1 < scalars.count, scalars[position + 1] != "]" {
                    position += 1
                    guard let high = peek, high != "[" else { return nil }
                    position += 1
                    guard low.value <= high.value else { return nil }
                    members.append(low.value...high.value)
                } else {
                    members.append(low.value...low.value)
                }
            }
            for byte in TopicRegex.alphabet where members.contains(where: { $0.contains(UInt32(byte)) }) {
                set.insert(TopicRegex.index(of: byte)!)
            }
            return .chars(negated ? set.inverted : set)
        }

        static func characterClass(_ name: String) -> CharSet? {
            let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", lower = "abcdefghijklmnopqrstuvwxyz", digits = "0123456789"
            let text: String
            switch name {
            case "alpha": text = upper + lower
            case "upper": text = upper
            case "lower": text = lower
            case "digit": text = digits
            case "alnum": text = upper + lower + digits
            case "xdigit": text = digits + "ABCDEFabcdef"
            case "punct": text = "._-"
            case "graph", "print": return .all
            case "space", "blank", "cntrl": text = ""
            default: return nil
            }
            return CharSet(bytes: Array(text.utf8))
        }
    }
}
