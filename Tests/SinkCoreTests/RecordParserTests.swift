import Foundation
import OSSEmulator
@testable import SinkCore
import SinkTesting
import Testing

/// `JSONLRecordParser` reads back what `RecordRenderer` writes: exactly, except for the documented ambiguities of
/// `json_value: json`.
@Suite struct RecordParserTests {
    let plain = JSONLRecordParser(valueAsJSON: false)
    let embedded = JSONLRecordParser(valueAsJSON: true)

    func line(_ renderer: RecordRenderer, _ record: SinkRecord) -> [UInt8] {
        Array(renderer.render(record).dropLast())  // without the newline
    }

    /// The record as the parser returns it (slices copied, timestamp of NotAvailable records zeroed).
    func normalized(_ record: SinkRecord) -> SinkRecord {
        var record = record
        record.key = record.key.map { Array($0)[...] }
        record.value = record.value.map { Array($0)[...] }
        if record.timestampType == .notAvailable { record.timestampMs = 0 }
        return record
    }

    static func randomRecord(_ random: inout SplitMix64, offset: Int64) -> SinkRecord {
        func bytes(_ random: inout SplitMix64) -> [UInt8]? {
            switch random.below(6) {
            case 0: return nil
            case 1: return []
            case 2: return random.bytes(random.below(40))  // mostly not UTF-8
            case 3: return Array("text \"quoted\" \\ \n\t\u{1} é 中 😀 /".utf8)
            case 4: return Array("{\"json\":[1,2,{\"n\":null}],\"s\":\"x\"}".utf8)
            default: return Array(String(repeating: "a", count: random.below(300)).utf8)
            }
        }
        let type: TimestampType = random.pick([.createTime, .createTime, .logAppendTime, .notAvailable])
        var headers: [SinkRecord.Header] = []
        for index in 0..<random.below(4) {
            headers.append(.init(key: random.chance(50) ? "dup" : "h\(index) é", value: bytes(&random)))
        }
        return SinkRecord(
            topic: "events.v2_x-1", partition: Int32(random.below(64)), offset: offset,
            timestampMs: type == .notAvailable ? 0 : Int64(random.below(1 << 30)) * 1000 - 5000, timestampType: type,
            key: bytes(&random), value: bytes(&random), headers: headers)
    }

    @Test func renderedRecordsParseBackExactly() throws {
        var random = SplitMix64(seed: 24)
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
        for offset in 0..<2000 {
            let record = Self.randomRecord(&random, offset: Int64(offset))
            let parsed = try plain.parse(line(renderer, record))
            #expect(parsed.record == normalized(record), "offset \(offset)")
        }
    }

    @Test func nullAndEmptyStayApart() throws {
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: false))
        let record = SinkRecord(
            topic: "t", partition: 0, offset: 1, timestampMs: 5, key: [], value: nil,
            headers: [.init(key: "a", value: nil), .init(key: "a", value: []), .init(key: "", value: [0xff])])
        let parsed = try plain.parse(line(renderer, record))
        #expect(parsed.key == parsed.key.map { $0.lowerBound..<$0.lowerBound })
        #expect(parsed.key != nil)
        #expect(parsed.value == nil)
        #expect(parsed.headers.count == 3)
        #expect(parsed.headers[0].value == nil)
        #expect(parsed.headers[1].value?.isEmpty == true)
        #expect(parsed.record.headers == record.headers)
    }

    @Test func embeddedJSONValuesComeBackVerbatim() throws {
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: true))
        let values: [String] = [
            "{\"a\":1}", " {\"a\": [1, 2.5e3, true, null]} ", "42", "-0.5", "true", "[]", "\"\\\"a JSON string\\\"\" ",
            "\"42\"", "{\"base64\":\"aGk=\"}", "not json", "", "{broken", "null ", "\"unterminated",
        ]
        for text in values {
            let record = SinkRecord(topic: "t", partition: 0, offset: 1, timestampMs: 5, value: Array(text.utf8))
            let parsed = try embedded.parse(line(renderer, record))
            #expect(parsed.record.value.map { String(decoding: $0, as: UTF8.self) } == text, "\(text)")
        }
        // Binary and text values that are not JSON are rendered like in string mode and read back the same.
        var random = SplitMix64(seed: 7)
        for offset in 0..<500 {
            var record = Self.randomRecord(&random, offset: Int64(offset))
            if let value = record.value, value.count >= 4, value.starts(with: Array("null".utf8)) { record.value = value + [1] }
            let parsed = try embedded.parse(line(renderer, record))
            let expected = normalized(record)
            if let value = record.value, value.contains(0x0A) || value.contains(0x0D),
               value.withUnsafeBufferPointer({ JSONValidator.isValidJSON($0) }) {
                continue  // CR/LF inside embedded JSON were written as spaces
            }
            #expect(parsed.record == expected, "offset \(offset): \(String(decoding: line(renderer, record), as: UTF8.self))")
        }
    }

    /// The three renderings `json_value: json` cannot tell apart are read as the non-JSON value.
    @Test func ambiguousEmbeddingsReadAsTheNonJSONValue() throws {
        let renderer = RecordRenderer(format: .jsonl(valueAsJSON: true))
        func roundTrip(_ value: [UInt8]?) throws -> [UInt8]? {
            let record = SinkRecord(topic: "t", partition: 0, offset: 1, timestampMs: 5, value: value)
            return try embedded.parse(line(renderer, record)).record.value.map(Array.init)
        }
        #expect(try roundTrip(Array("\"hello\"".utf8)) == Array("hello".utf8))
        #expect(try roundTrip(Array("null".utf8)) == nil)
        #expect(try roundTrip(Array("{\"base64\":\"/w==\"}".utf8)) == [0xff])
        // Not ambiguous: the text of the string is itself JSON, or the base64 holds UTF-8.
        #expect(try roundTrip(Array("\"[1]\"".utf8)) == Array("\"[1]\"".utf8))
        #expect(try roundTrip(Array("{\"base64\":\"aGk=\"}".utf8)) == Array("{\"base64\":\"aGk=\"}".utf8))
        // CR/LF in an embedded value were written as spaces.
        #expect(try roundTrip(Array("{\"a\":\n1}".utf8)) == Array("{\"a\": 1}".utf8))
    }

    @Test func fieldsInAnyOrderAndEscapes() throws {
        let text = #"{"value":"\u00e9\ud83d\ude00\/\b","headers":[{"value":{"base64":"AAE="},"key":"h"}],"key":null,"timestamp_type":"LogAppendTime","timestamp":-5,"offset":9,"partition":2,"topic":"t"}"#
        let parsed = try plain.parse(Array(text.utf8))
        #expect(parsed.record == SinkRecord(
            topic: "t", partition: 2, offset: 9, timestampMs: -5, timestampType: .logAppendTime, key: nil,
            value: Array("é😀/\u{8}".utf8), headers: [.init(key: "h", value: [0, 1])]))
    }

    @Test(arguments: [
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null,"extra":1}"#, "unknown field"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[]}"#, "missing field(s): value"),
        (#"{"topic":"t","partition":0,"offset":1,"offset":2,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null}"#, "repeated"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":{"base64":"A"},"headers":[],"value":null}"#, "invalid base64"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":"abc}"#, "unterminated"),
        (#"{"topic":"t","partition":-1,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null}"#, "partition"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":null,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null}"#, "NotAvailable"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"Soon","key":null,"headers":[],"value":null}"#, "timestamp_type"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[{"key":"a"}],"value":null}"#, "','"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":"\ud800","headers":[],"value":null}"#, "surrogate"),
        (#"{"topic":"t","partition":0,"offset":99999999999999999999,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null}"#, "out of range"),
        (#"{"topic":"t","partition":0,"offset":1,"timestamp":5,"timestamp_type":"CreateTime","key":null,"headers":[],"value":null} x"#, "after the record"),
    ])
    func malformedLinesAreErrorsNamingTheProblem(text: String, expected: String) {
        let error = #expect(throws: RecordParseError.self) { _ = try plain.parse(Array(text.utf8)) }
        #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func base64DecodesWhatTheRendererEncodes() {
        var random = SplitMix64(seed: 3)
        for length in 0..<70 {
            let bytes = random.bytes(length)
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.decode("aGk") == nil)
        #expect(Base64.decode("aG=k") == nil)
        #expect(Base64.decode("aGl=") == nil)  // non-zero padding bits
    }
}
