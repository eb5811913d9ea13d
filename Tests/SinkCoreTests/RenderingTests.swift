import Foundation
@testable import SinkCore
import SinkTesting
import Testing

@Suite struct RenderingTests {
    let jsonl = RecordRenderer(format: .jsonl(valueAsJSON: false))
    let jsonValues = RecordRenderer(format: .jsonl(valueAsJSON: true))

    func text(_ r: RecordRenderer, _ rec: SinkRecord) -> String { String(decoding: r.render(rec), as: UTF8.self) }

    @Test func jsonlLineHasTheDocumentedLayout() {
        let rec = SinkRecord(topic: "orders", partition: 3, offset: 42, timestampMs: 1_700_000_000_123,
                             timestampType: .createTime, key: Array("k-1".utf8), value: Array("hello".utf8),
                             headers: [.init(key: "trace", value: Array("abc".utf8)), .init(key: "empty", value: nil)])
        #expect(text(jsonl, rec) == #"{"topic":"orders","partition":3,"offset":42,"timestamp":1700000000123,"timestamp_type":"CreateTime","key":"k-1","headers":[{"key":"trace","value":"abc"},{"key":"empty","value":null}],"value":"hello"}"# + "\n")
    }

    @Test(arguments: [Int64(0), 7, -7, 10, 1_700_000_000_123, -1_700_000_000_123, .max, .min])
    func integersRenderLikeSwiftDescribesThem(value: Int64) {
        var out: [UInt8] = Array("x".utf8)
        JSONWriter.writeInteger(value, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x\(value)")
    }

    @Test func nullsAndTimestampTypes() {
        var rec = SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: -1, timestampType: .notAvailable,
                             key: nil, value: nil)
        #expect(text(jsonl, rec) == #"{"topic":"t","partition":0,"offset":0,"timestamp":null,"timestamp_type":"NotAvailable","key":null,"headers":[],"value":null}"# + "\n")
        rec.timestampType = .logAppendTime
        rec.timestampMs = 5
        #expect(text(jsonl, rec).contains(#""timestamp":5,"timestamp_type":"LogAppendTime""#))
    }

    @Test func stringsAreEscapedMinimally() {
        let value = "quote\" back\\ nl\n cr\r tab\t bs\u{8} ff\u{C} nul\u{0} us\u{1F} del\u{7F} é 中 😀 /"
        let rec = SinkRecord(topic: "t", partition: 0, offset: 1, timestampMs: 1, value: Array(value.utf8))
        let line = text(jsonl, rec)
        #expect(line.contains(#""value":"quote\" back\\ nl\n cr\r tab\t bs\b ff\f nul\u0000 us\u001f del"# + "\u{7F} é 中 😀 /\"}"))
        // The line parses back to the same value with Foundation's JSON parser.
        let parsed = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(parsed["value"] as? String == value)
    }

    @Test(arguments: [
        [0xFF] as [UInt8], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80],
        [0x61, 0x80, 0x62], [0xF0, 0x9F, 0x98], [0xC3],
    ])
    func invalidUTF8BecomesBase64(bytes: [UInt8]) throws {
        let rec = SinkRecord(topic: "t", partition: 0, offset: 1, timestampMs: 1, key: bytes, value: bytes,
                             headers: [.init(key: "h", value: bytes)])
        let line = text(jsonl, rec)
        let marker = #"{"base64":""# + Base64.encode(bytes) + #""}"#
        #expect(line.contains(#""key":"# + marker))
        #expect(line.contains(#""value":"# + marker + "}\n"))
        #expect(line.contains(#"{"key":"h","value":"# + marker + "}"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let v = try #require(parsed["value"] as? [String: String])
        #expect(Data(base64Encoded: v["base64"]!) == Data(bytes))
    }

    @Test func validMultibyteUTF8StaysText() {
        let bytes: [UInt8] = [0xC2, 0xA9, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF]
        let rec = SinkRecord(topic: "t", partition: 0, offset: 1, timestampMs: 1, value: bytes)
        #expect(!text(jsonl, rec).contains("base64"))
        #expect(jsonl.render(rec).suffix(bytes.count + 3) == ArraySlice(bytes + Array("\"}\n".utf8)))
    }

    @Test func base64Vectors() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                                 ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
        }
    }

    @Test func jsonValuesAreEmbeddedWhenValid() {
        func value(_ v: String) -> String {
            let line = text(jsonValues, SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: Array(v.utf8)))
            return String(line[line.range(of: #""value":"#)!.upperBound...].dropLast(2))
        }
        #expect(value(#"{"a":[1,2.5e-3,-0,true,false,null,"x\u00e9\n"]}"#) == #"{"a":[1,2.5e-3,-0,true,false,null,"x\u00e9\n"]}"#)
        #expect(value("{\n  \"a\": 1\r\n}") == "{   \"a\": 1  }")  // one line per record
        #expect(value("42") == "42")
        #expect(value(#""s""#) == #""s""#)
        #expect(value("not json") == #""not json""#)
        #expect(value(#"{"a":01}"#) == #""{\"a\":01}""#)
        #expect(value(#"{"a":1,}"#) == #""{\"a\":1,}""#)
        #expect(value("[1] [2]") == #""[1] [2]""#)
        #expect(value("") == #""""#)
        #expect(value(#"{"a":"\x"}"#) == #""{\"a\":\"\\x\"}""#)
        // Long strings exercise the 8-byte fast path of the validator.
        let long = #"{"aaaaaaaaaaaaaaaa\"bbbbbbbbbbbbbbbb":"cccccccccccccccccc\u00e9dddddddd ééééééé"}"#
        #expect(value(long) == long)
        #expect(value("{\"aaaaaaaaaaaaaaaaaaaa\u{1}bbbbbbbbbbb\":1}").hasPrefix("\"{"))
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(value(deep).hasPrefix("\"[[["))
        // Without the option the same JSON stays a string.
        let line = text(jsonl, SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: Array("{}".utf8)))
        #expect(line.hasSuffix(#""value":"{}"}"# + "\n"))
    }

    @Test func renderingIsDeterministic() {
        let rec = SinkRecord(topic: "t", partition: 1, offset: 9, timestampMs: 3, key: [0xFF, 0x00], value: Array("v".utf8),
                             headers: [.init(key: "a", value: [1, 2, 3])])
        #expect(jsonl.render(rec) == jsonl.render(rec))
        var buffer: [UInt8] = Array("prefix".utf8)
        jsonl.render(rec, into: &buffer)
        #expect(Array(buffer.dropFirst(6)) == jsonl.render(rec))
    }

    @Test func rawFormatWritesValueAndDelimiter() {
        let raw = RecordRenderer(format: .raw(delimiter: Array("\r\n".utf8)))
        #expect(raw.render(SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: [0xFF, 0x01])) == [0xFF, 0x01, 0x0D, 0x0A])
        #expect(raw.render(SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: nil)) == [0x0D, 0x0A])
        let none = RecordRenderer(format: .raw(delimiter: []))
        #expect(none.render(SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: [7])) == [7])
    }

    @Test func extensionsFollowFormatAndCompression() {
        func ext(_ f: SinkSettings.Format, _ c: SinkSettings.Compression) -> String {
            SinkSettings(format: f, compression: c).fileExtension
        }
        #expect(ext(.jsonl(valueAsJSON: false), .none) == ".jsonl")
        #expect(ext(.jsonl(valueAsJSON: true), .gzip(level: 6)) == ".jsonl.gz")
        #expect(ext(.jsonl(valueAsJSON: false), .zstd(level: 3)) == ".jsonl.zst")
        #expect(ext(.raw(delimiter: [10]), .none) == ".bin")
        #expect(ext(.raw(delimiter: [10]), .gzip(level: 1)) == ".bin.gz")
        #expect(ext(.raw(delimiter: [10]), .zstd(level: 1)) == ".bin.zst")
    }
}

@Suite struct EscaperPropertyTests {
    /// The escape as RFC 8259 reads it, one byte at a time (valid UTF-8 assumed).
    static func referenceEscape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0..<0x20: out += Array(String(format: "\\u%04x", Int(b)).utf8)
            default: out.append(b)
            }
        }
        return out + [0x22]
    }

    /// Every special byte or character at every position of plain text of every length up to 70 (across the
    /// 16-byte blocks of the vector path), and invalid UTF-8 at every position, against the reference.
    @Test func escapingMatchesTheReferenceAtEveryPosition() {
        let specials: [[UInt8]] = [[0x22], [0x5C], [0x0A], [0x00], [0x01], [0x1F], [0x7F], Array("é".utf8), Array("中".utf8),
                                   Array("😀".utf8), [0x22, 0x22], [0x5C, 0x22, 0x0D, 0x0A]]
        let invalid: [[UInt8]] = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]]
        for n in 0...70 {
            let plain = (0..<n).map { UInt8(ascii: "a") + UInt8($0 % 26) }
            var out: [UInt8] = []
            JSONWriter.writeBytes(plain[...], into: &out)
            #expect(out == Self.referenceEscape(plain))
            for position in 0...n {
                for special in specials {
                    var text = plain
                    text.insert(contentsOf: special, at: position)
                    out = []
                    JSONWriter.writeBytes(text[...], into: &out)
                    #expect(out == Self.referenceEscape(text), "length \(n), \(special) at \(position)")
                }
                for bad in invalid {
                    var bytes = plain
                    bytes.insert(contentsOf: bad, at: position)
                    out = []
                    JSONWriter.writeBytes(bytes[...], into: &out)
                    #expect(out.starts(with: Array(#"{"base64":""#.utf8)), "length \(n), \(bad) at \(position)")
                }
            }
        }
    }

    /// Random byte strings (biased towards escapes, quotes and multi-byte sequences) either round-trip through a
    /// JSON parser as the same text, or are invalid UTF-8 and round-trip through the base64 marker.
    @Test func randomBytesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet: [[UInt8]] = [[0x22], [0x5C], [0x0A], [0x00], [0x1F], [0x7F], Array("abcdefgh".utf8), Array("é".utf8),
                                   Array("中".utf8), Array("😀".utf8), [0xFF], [0xC3], [0xED, 0xA0, 0x80], Array("/ <>".utf8)]
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
        for _ in 0..<2000 {
            var value: [UInt8] = []
            for _ in 0..<Int(rng.next() % 40) { value += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let line = renderer.render(SinkRecord(topic: "t", partition: 0, offset: 0, timestampMs: 0, value: value))
            #expect(line.last == 0x0A && !line.dropLast().contains(0x0A))
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            if let text = String(validating: value, as: UTF8.self) {
                #expect(parsed["value"] as? String == text)
            } else {
                let marker = try #require(parsed["value"] as? [String: String])
                #expect(Data(base64Encoded: marker["base64"]!) == Data(value))
            }
        }
    }
}
