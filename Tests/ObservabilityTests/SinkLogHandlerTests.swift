import Foundation
import Logging
import Observability
import Testing

@Suite("SinkLogHandler")
struct SinkLogHandlerTests {
    private func logger(
        _ format: SinkLogFormat,
        _ capture: LogCapture,
        redactor: LogRedactor = LogRedactor(),
        level: Logger.Level = .info
    ) -> Logger {
        Logger(label: "kafka-oss-sink.service") { label in
            SinkLogHandler(
                label: label, level: level, format: format, redactor: redactor, output: capture.output,
                now: { fixedDate })
        }
    }

    private func parse(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false, "one event is one line")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any])
    }

    @Test("JSON lines parse and carry ts, level, msg, label and flattened metadata")
    func jsonFields() throws {
        let capture = LogCapture()
        var log = logger(.json, capture)
        log[metadataKey: "group"] = "kafka-oss-sink"
        log.info("rolled over", metadata: [
            "topic": "events",
            "partition": .stringConvertible(Int32(3)),
            "offset": .stringConvertible(Int64(1_234_567)),
            "reason": "size",
            "key": "events/3/2024/05/01/events+3+00000000000001234567.jsonl",
            "object": ["position": .stringConvertible(4096), "crc": "0x1f"],
            "msg": "a metadata key that collides with a fixed field",
        ])
        let line = try #require(capture.lines.first)
        let fields = try parse(line)
        #expect(fields["ts"] as? String == "2024-05-01T12:34:56.789Z")
        #expect(fields["level"] as? String == "info")
        #expect(fields["msg"] as? String == "rolled over")
        #expect(fields["label"] as? String == "kafka-oss-sink.service")
        #expect(fields["group"] as? String == "kafka-oss-sink")
        #expect(fields["topic"] as? String == "events")
        #expect((fields["partition"] as? NSNumber)?.intValue == 3)
        #expect((fields["offset"] as? NSNumber)?.int64Value == 1_234_567)
        #expect(fields["reason"] as? String == "size")
        #expect(fields["key"] as? String == "events/3/2024/05/01/events+3+00000000000001234567.jsonl")
        let object = try #require(fields["object"] as? [String: Any])
        #expect((object["position"] as? NSNumber)?.intValue == 4096)
        #expect(fields["meta.msg"] as? String == "a metadata key that collides with a fixed field")
        #expect(line.hasPrefix(#"{"ts":"2024-05-01T12:34:56.789Z","level":"info","msg":"rolled over","label":"kafka-oss-sink.service","#))
    }

    @Test("JSON escaping survives quotes, backslashes, control characters and non-ASCII")
    func jsonEscaping() throws {
        let capture = LogCapture()
        let log = logger(.json, capture)
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{07} nul \u{00} ls \u{2028} 中文 🚀"
        log.warning("\(nasty)", metadata: [nasty: .string(nasty)])
        let line = try #require(capture.lines.first)
        let fields = try parse(line)
        #expect(fields["msg"] as? String == nasty)
        #expect(fields[nasty] as? String == nasty)
        #expect(fields["level"] as? String == "warning")
    }

    @Test("an event's error is a field")
    func errorField() throws {
        struct Failure: Error, CustomStringConvertible { var description: String { "NoSuchBucket: examplebucket" } }
        let capture = LogCapture()
        let handler = SinkLogHandler(
            label: "t", format: .json, redactor: LogRedactor(), output: capture.output, now: { fixedDate })
        handler.log(event: LogEvent(
            level: .error, message: "append failed", error: Failure(), metadata: nil, source: "t",
            file: #fileID, function: #function, line: #line))
        let fields = try parse(try #require(capture.lines.first))
        #expect(fields["error"] as? String == "NoSuchBucket: examplebucket")
    }

    @Test("text lines: ts level label: msg key=value, quoted when needed, nested keys dotted")
    func textLine() throws {
        let capture = LogCapture()
        let log = logger(.text, capture)
        log.notice("partition assigned", metadata: [
            "topic": "events",
            "partition": .stringConvertible(7),
            "key": "a key with spaces",
            "empty": "",
            "quote": "say \"hi\"",
            "object": ["crc": "0x1f"],
        ])
        log.debug("below the level: not written")
        #expect(capture.lines == [
            "2024-05-01T12:34:56.789Z notice kafka-oss-sink.service: partition assigned "
                + #"empty="" key="a key with spaces" object.crc=0x1f partition=7 quote="say \"hi\"" topic=events"#
                + "\n",
        ])
    }

    @Test("text lines stay one line when the message has line breaks")
    func textOneLine() {
        let capture = LogCapture()
        logger(.text, capture).error("first\nsecond", metadata: ["detail": "a\nb"])
        #expect(capture.lines == [#"2024-05-01T12:34:56.789Z error kafka-oss-sink.service: first\nsecond detail="a\nb""# + "\n"])
    }

    @Test("secrets are masked in message, metadata keys and values, nested values and errors", arguments: SinkLogFormat.allCases)
    func redaction(format: SinkLogFormat) throws {
        let secret = "LTAI5tS3cr3tV4lue/with+chars"
        let token = "STS.token-abc"
        let redactor = LogRedactor(secrets: [secret, ""])
        let capture = LogCapture()
        var log = logger(format, capture, redactor: redactor)
        log[metadataKey: "credentials"] = .string("id=abc secret=\(secret)")
        redactor.register(token)
        log.info("signing with \(secret) and \(token)", metadata: [
            "header": .string("Authorization: OSS4-HMAC-SHA256 \(secret)"),
            "nested": ["list": [.string(secret), .stringConvertible(42)]],
            secret: "as a key",
        ])
        let output = capture.lines.joined()
        #expect(!output.contains(secret))
        #expect(!output.contains(token))
        #expect(!output.contains("S3cr3t"))
        #expect(output.contains("signing with *** and ***"))
        if format == .json {
            let fields = try parse(try #require(capture.lines.first))
            #expect(fields["credentials"] as? String == "id=abc secret=***")
            #expect(fields["***"] as? String == "as a key")
        } else {
            #expect(output.contains(#"credentials="id=abc secret=***""#))
        }
    }

    @Test("a secret that contains another is masked whole")
    func overlappingSecrets() {
        let redactor = LogRedactor(secrets: ["abc", "abcdef"])
        #expect(redactor.redact("x abcdef y abc") == "x *** y ***")
        #expect(redactor.count == 2)
    }

    @Test("a secret is masked in its percent-encoded form too (query strings)")
    func percentEncodedSecret() {
        let token = "CAIS+token/with=chars"
        let redactor = LogRedactor(secrets: [token])
        #expect(redactor.count == 3)
        #expect(redactor.redact("GET /key?security-token=CAIS%2Btoken%2Fwith%3Dchars&x=1") == "GET /key?security-token=***&x=1")
        #expect(redactor.redact("GET /key?security-token=CAIS%2btoken%2fwith%3dchars") == "GET /key?security-token=***")
        #expect(redactor.redact("x-oss-security-token: \(token)") == "x-oss-security-token: ***")
    }

    @Test("a secret is masked where it stands as a value, never inside another word")
    func secretAsValueOnly() {
        let redactor = LogRedactor(secrets: ["wrong", "s"])
        // Inside words: untouched (before, a one-letter secret garbled every line).
        #expect(redactor.redact("kafka-oss-sink Disconnected wrongly awrong") == "kafka-oss-sink Disconnected wrongly awrong")
        // As values: in a query, a header, quotes, JSON, a path, a config field, alone, at both ends.
        #expect(redactor.redact("GET /b?secret=wrong&x=1") == "GET /b?secret=***&x=1")
        #expect(redactor.redact("Authorization: Bearer wrong") == "Authorization: Bearer ***")
        #expect(redactor.redact(#"{"AccessKeySecret":"wrong"}"#) == #"{"AccessKeySecret":"***"}"#)
        #expect(redactor.redact("/wrong/ 'wrong' access_key_secret: wrong") == "/***/ '***' access_key_secret: ***")
        #expect(redactor.redact("wrong") == "***")
        #expect(redactor.redact("wrong wrong") == "*** ***")
        #expect(redactor.redact("s") == "***")
        #expect(redactor.redact("a s b") == "a *** b")
        #expect(redactor.redact("wrong_s") == "***_***")
    }

    @Test("a secret touching a multi-byte character is masked; text around it stays intact")
    func secretNextToUnicode() {
        let redactor = LogRedactor(secrets: ["k3y"])
        #expect(redactor.redact("é k3y→k3yé k3y2") == "é ***→***é k3y2")
    }

    @Test("metadata precedence: handler, then provider, then event")
    func metadataPrecedence() throws {
        let capture = LogCapture()
        let provider = Logger.MetadataProvider { ["request": "from-provider", "shared": "provider"] }
        var handler = SinkLogHandler(
            label: "t", format: .json, redactor: LogRedactor(), output: capture.output,
            metadataProvider: provider, now: { fixedDate })
        handler.metadata = ["shared": "handler", "own": "handler"]
        let log = Logger(label: "t", factory: { _ in handler })
        log.info("x", metadata: ["shared": "event"])
        let fields = try parse(try #require(capture.lines.first))
        #expect(fields["shared"] as? String == "event")
        #expect(fields["own"] as? String == "handler")
        #expect(fields["request"] as? String == "from-provider")
    }

    @Test("timestamps are RFC 3339 UTC with milliseconds, across dates")
    func timestamps() throws {
        let cases: [(Double, String)] = [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400.5, "2000-02-29T00:00:00.500Z"),
            (1_709_251_199.999, "2024-02-29T23:59:59.999Z"),
            (-1.5, "1969-12-31T23:59:58.500Z"),
            (4_102_444_800.001, "2100-01-01T00:00:00.001Z"),
        ]
        for (seconds, expected) in cases {
            let capture = LogCapture()
            let handler = SinkLogHandler(
                label: "t", format: .json, redactor: LogRedactor(), output: capture.output,
                now: { Date(timeIntervalSince1970: seconds) })
            Logger(label: "t", factory: { _ in handler }).info("x")
            let fields = try parse(try #require(capture.lines.first))
            #expect(fields["ts"] as? String == expected)
        }
    }
}
