import OSSSigning
import SinkTesting
import Testing

@Suite("RFC 3986 percent-encoding")
struct PercentEncodingTests {
    @Test(
        "encode edge cases",
        arguments: [
            ("abcXYZ019-._~", false, "abcXYZ019-._~"),
            ("a b", false, "a%20b"),
            ("a+b", false, "a%2Bb"),
            ("100%", false, "100%25"),
            ("%2F", false, "%252F"),
            ("a/b/", false, "a%2Fb%2F"),
            ("a/b/", true, "a/b/"),
            ("é", false, "%C3%A9"),
            ("e\u{301}", false, "e%CC%81"),  // Decomposed form is not normalised.
            ("日本", true, "%E6%97%A5%E6%9C%AC"),
            ("😀", false, "%F0%9F%98%80"),
            ("!*'();:@&=$,?#[]|\\\"<>{}^`", false,
             "%21%2A%27%28%29%3B%3A%40%26%3D%24%2C%3F%23%5B%5D%7C%5C%22%3C%3E%7B%7D%5E%60"),
            ("\u{0}\n\u{7F}", false, "%00%0A%7F"),
            ("", false, ""),
        ]
    )
    func encode(input: String, keepSlash: Bool, expected: String) {
        #expect(OSSPercentEncoding.encode(input, keepSlash: keepSlash) == expected)
        #expect(OSSPercentEncoding.decode(expected).map { Array($0.utf8) } == Array(input.utf8))
    }

    @Test("decode: lower-case hex, plus handling, malformed input")
    func decode() {
        #expect(OSSPercentEncoding.decode("%c3%a9%2f") == "é/")
        #expect(OSSPercentEncoding.decode("a+b") == "a+b")
        #expect(OSSPercentEncoding.decode("a+b%2B", plusAsSpace: true) == "a b+")
        #expect(OSSPercentEncoding.decode("plain") == "plain")
        #expect(OSSPercentEncoding.decode("%") == nil)
        #expect(OSSPercentEncoding.decode("%4") == nil)
        #expect(OSSPercentEncoding.decode("ab%") == nil)
        #expect(OSSPercentEncoding.decode("%G1") == nil)
        #expect(OSSPercentEncoding.decode("%FF") == nil)  // Not UTF-8.
        #expect(OSSPercentEncoding.decode("%C3") == nil)  // Truncated UTF-8 sequence.
    }

    @Test("encode then decode round-trips random UTF-8 strings byte for byte")
    func roundTrip() {
        var rng = SplitMix64(seed: 3986)
        let pool: [String] = ["a", "Z", "0", " ", "+", "%", "/", "~", "é", "e\u{301}", "😀", "👨‍👩‍👧", "日", "&", "=", "?", "#"]
        for _ in 0..<300 {
            let string = (0..<rng.below(12)).map { _ in rng.pick(pool) }.joined()
            for keepSlash in [false, true] {
                let encoded = OSSPercentEncoding.encode(string, keepSlash: keepSlash)
                #expect(encoded.utf8.allSatisfy { $0 < 0x80 && $0 != 0x20 && $0 != 0x2B })
                #expect(OSSPercentEncoding.decode(encoded).map { Array($0.utf8) } == Array(string.utf8))
            }
        }
    }
}
