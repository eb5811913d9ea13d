public import Foundation
public import Logging

/// `log.format`: one JSON object per line, or one human-readable line.
public enum SinkLogFormat: String, Sendable, Hashable, CaseIterable {
    /// `2024-05-01T12:34:56.789Z info kafka-oss-sink.service: rolled over topic=events partition=3 reason=size`
    case text
    /// `{"ts":"2024-05-01T12:34:56.789Z","level":"info","msg":"rolled over","label":"kafka-oss-sink.service","partition":3,…}`
    case json
}

/// A swift-log handler writing one line per event, in ``SinkLogFormat/text`` or ``SinkLogFormat/json``.
///
/// Fields: `ts` (RFC 3339, UTC, milliseconds), `level`, `msg`, `label`, `error` (when the event carries one),
/// then the metadata (handler metadata, then the metadata provider's, then the event's; later wins) flattened
/// to top-level fields in key order. In JSON, integer and boolean metadata stay numbers and booleans, nested
/// dictionaries stay objects, and a metadata key equal to a fixed field is written as `meta.<key>`. In text,
/// nested keys are dotted (`a.b=c`) and values with spaces, quotes or `=` are quoted.
///
/// - Important: every string of the event (message, label, error, metadata keys and values) passes through
///   the ``LogRedactor`` before it is encoded, so a registered secret never reaches the output.
public struct SinkLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let format: SinkLogFormat
    private let redactor: LogRedactor
    private let output: LogOutput
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - label: the logger's label (usually a subsystem: `kafka-oss-sink.service`).
    ///   - level: the lowest level written.
    ///   - format: text or JSON lines.
    ///   - redactor: secrets to mask.
    ///   - output: where lines go (standard error by default).
    ///   - metadataProvider: contextual metadata added to every event.
    ///   - now: the clock for `ts` (injected by tests).
    public init(
        label: String,
        level: Logger.Level = .info,
        format: SinkLogFormat,
        redactor: LogRedactor,
        output: LogOutput = .standardError,
        metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.redactor = redactor
        self.output = output
        self.metadataProvider = metadataProvider
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        output.write(render(event) + "\n")
    }

    /// The line for `event`, without the trailing newline.
    func render(_ event: LogEvent) -> String {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let own = event.metadata {
            merged.merge(own) { _, new in new }
        }
        let secrets = redactor.snapshot()
        var redactedMetadata: Logger.Metadata = [:]
        for (key, value) in merged {
            redactedMetadata[LogRedactor.redact(key, secrets: secrets)] = LogRedactor.redact(value, secrets: secrets)
        }
        let encoder = LogLineEncoder(
            timestamp: LogTimestamp.format(now()),
            level: event.level,
            label: LogRedactor.redact(label, secrets: secrets),
            message: LogRedactor.redact(event.message.description, secrets: secrets),
            error: event.error.map { LogRedactor.redact(String(describing: $0), secrets: secrets) },
            metadata: redactedMetadata
        )
        switch format {
        case .json: return encoder.json()
        case .text: return encoder.text()
        }
    }
}
