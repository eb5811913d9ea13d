/// "Did you mean" suggestions for misspelt keys and values.
enum Suggestions {
    /// The closest candidate within an edit distance that scales with the word, or nil.
    static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        // Short words are too easily "close" to anything; long ones tolerate more typos.
        let limit = word.count < 4 ? 0 : max(2, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            if word.count >= 4, candidate.lowercased().hasPrefix(word.lowercased()) { return candidate }
            let distance = editDistance(word.lowercased(), candidate.lowercased())
            if distance <= limit, distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Levenshtein distance over characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
