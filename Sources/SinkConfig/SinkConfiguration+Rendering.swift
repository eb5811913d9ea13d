import Foundation
import Observability
extension SinkConfiguration {
    /// The effective configuration as YAML, defaults filled in, with every secret replaced by `***`, followed by
    /// each `kafka.topics` entry's settings as they apply (in comments).
    ///
    /// The output is itself a valid configuration file (secrets aside).
    public func renderedYAML() -> String {
        var lines: [String] = []
        func add(_ indent: Int, _ key: String, _ value: String) {
            lines.append(String(repeating: "  ", count: indent) + "\(key): \(value)")
        }
        func section(_ indent: Int, _ key: String) {
            lines.append(String(repeating: "  ", count: indent) + "\(key):")
        }
        func map(_ indent: Int, _ key: String, _ values: [String: String], secret: (String) -> Bool = { _ in false }) {
            if values.isEmpty {
                add(indent, key, "{}")
                return
            }
            section(indent, key)
            for name in values.keys.sorted() {
                add(indent + 1, Self.quote(name), secret(name) ? "\"***\"" : Self.quote(values[name]!))
            }
        }

        section(0, "kafka")
        add(1, "bootstrap_servers", Self.quote(kafka.bootstrapServers))
        add(1, "group_id", Self.quote(kafka.groupId))
        if kafka.topics.allSatisfy(\.isPlain) {
            add(1, "topics", "[" + kafka.topics.map { Self.quote($0.description) }.joined(separator: ", ") + "]")
        } else {
            section(1, "topics")
            for entry in kafka.topics {
                lines += Self.entryLines(entry).enumerated().map { "    " + ($0.offset == 0 ? "- " : "  ") + $0.element }
            }
        }
        add(1, "auto_offset_reset", kafka.autoOffsetReset.rawValue)
        map(1, "properties", kafka.properties, secret: Self.isSecretKafkaProperty)

        section(0, "oss")
        add(1, "endpoint", Self.quote(oss.endpoint))
        if let region = oss.region { add(1, "region", Self.quote(region)) }
        add(1, "bucket", Self.quote(oss.bucket))
        add(1, "signature_version", oss.signatureVersion.rawValue)
        add(1, "path_style", "\(oss.pathStyle)")
        section(1, "credentials")
        let credentials = oss.credentials
        add(2, "provider", credentials.provider.rawValue)
        if let id = credentials.accessKeyId { add(2, "access_key_id", Self.quote(id)) }
        if credentials.accessKeySecret != nil { add(2, "access_key_secret", "\"***\"") }
        if credentials.securityToken != nil { add(2, "security_token", "\"***\"") }
        for (key, value) in [("role_name", credentials.roleName), ("role_arn", credentials.roleArn),
                             ("oidc_provider_arn", credentials.oidcProviderArn),
                             ("oidc_token_file", credentials.oidcTokenFile), ("sts_endpoint", credentials.stsEndpoint)] {
            if let value { add(2, key, Self.quote(value)) }
        }
        add(1, "storage_class", oss.storageClass)
        add(1, "acl", oss.acl)
        map(1, "metadata", oss.metadata)
        map(1, "tags", oss.tags)
        add(1, "request_timeout", DurationText.format(oss.requestTimeout))
        if let caFile = oss.caFile { add(1, "ca_file", Self.quote(caFile)) }
        if let proxy = oss.proxy { add(1, "proxy", Self.quote(Self.maskingProxyPassword(proxy))) }

        section(0, "sink")
        add(1, "key_template", Self.quote(sink.keyTemplate))
        add(1, "prefix", Self.quote(sink.prefix))
        add(1, "timestamp_source", sink.timestampSource.rawValue)
        add(1, "time_zone", Self.quote(sink.timeZone))
        add(1, "format", sink.format.rawValue)
        add(1, "json_value", sink.jsonValue.rawValue)
        add(1, "raw_delimiter", Self.quote(sink.rawDelimiter))
        add(1, "compression", sink.compression.rawValue)
        if let level = sink.compressionLevel { add(1, "compression_level", "\(level)") }
        section(1, "batch")
        add(2, "max_bytes", ByteSize.format(sink.batch.maxBytes))
        add(2, "max_records", "\(sink.batch.maxRecords)")
        add(2, "linger", DurationText.format(sink.batch.linger))
        section(1, "rollover")
        add(2, "max_object_bytes", ByteSize.format(sink.rollover.maxObjectBytes))
        add(2, "max_age", DurationText.format(sink.rollover.maxAge))
        add(2, "seal", sink.rollover.seal ? "true" : "false")
        add(1, "max_buffered_bytes", ByteSize.format(sink.maxBufferedBytes))
        add(1, "max_uncommitted_bytes", ByteSize.format(sink.maxUncommittedBytes))
        add(1, "max_inflight_appends", "\(sink.maxInflightAppends)")

        section(0, "server")
        add(1, "listen", Self.quote(server.listen))
        section(0, "log")
        add(1, "level", log.level.rawValue)
        add(1, "format", log.format.rawValue)
        section(0, "replay")
        add(1, "max_buffered_bytes", ByteSize.format(replay.maxBufferedBytes))
        add(1, "jobs", "\(replay.jobs)")
        map(1, "properties", replay.properties, secret: Self.isSecretKafkaProperty)
        add(0, "shutdown_timeout", DurationText.format(shutdownTimeout))
        lines += effectiveTopicLines()
        return lines.joined(separator: "\n") + "\n"
    }

    /// A `kafka.topics` entry as YAML lines (a plain string, or a mapping of what it sets).
    static func entryLines(_ entry: TopicEntry) -> [String] {
        if entry.isPlain { return [quote(entry.description)] }
        var lines: [String] = []
        switch entry.selector {
        case .name(let name): lines.append("name: \(quote(name))")
        case .pattern(let pattern): lines.append("pattern: \(quote(pattern))")
        }
        func add(_ key: String, _ value: String?) {
            if let value { lines.append("\(key): \(value)") }
        }
        add("format", entry.format?.rawValue)
        add("json_value", entry.jsonValue?.rawValue)
        add("raw_delimiter", entry.rawDelimiter.map(quote))
        add("compression", entry.compression?.rawValue)
        add("compression_level", entry.compressionLevel.map { "\($0)" })
        add("key_template", entry.keyTemplate.map(quote))
        add("prefix", entry.prefix.map(quote))
        add("timestamp_source", entry.timestampSource?.rawValue)
        add("time_zone", entry.timeZone.map(quote))
        let batch = [("max_bytes", entry.batch.maxBytes.map(ByteSize.format)), ("max_records", entry.batch.maxRecords.map { "\($0)" }),
                     ("linger", entry.batch.linger.map(DurationText.format))].filter { $0.1 != nil }
        if !batch.isEmpty {
            lines.append("batch:")
            lines += batch.map { "  \($0.0): \($0.1!)" }
        }
        let rollover = [("max_object_bytes", entry.rollover.maxObjectBytes.map(ByteSize.format)),
                        ("max_age", entry.rollover.maxAge.map(DurationText.format)),
                        ("seal", entry.rollover.seal.map { $0 ? "true" : "false" })].filter { $0.1 != nil }
        if !rollover.isEmpty {
            lines.append("rollover:")
            lines += rollover.map { "  \($0.0): \($0.1!)" }
        }
        add("storage_class", entry.storageClass)
        if let tags = entry.tags {
            if tags.isEmpty {
                lines.append("tags: {}")
            } else {
                lines.append("tags:")
                lines += tags.keys.sorted().map { "  \(quote($0)): \(quote(tags[$0]!))" }
            }
        }
        return lines
    }

    /// Comment lines with the settings each `kafka.topics` entry's topics are archived with, an example key, and
    /// the topics an earlier entry takes.
    func effectiveTopicLines() -> [String] {
        var lines = ["", "# Per kafka.topics entry, the settings its topics are archived with (a topic takes the first entry that",
                     "# matches it; what an entry does not set comes from sink: and oss:):"]
        let selectors = kafka.topics.map(\.selector)
        let routing = TopicRouting(selectors)
        for (index, entry) in kafka.topics.enumerated() {
            let topic = effective(entry)
            let sink = topic.sink
            let what = if case .name = entry.selector { "topic" } else { "pattern" }
            lines.append("#   kafka.topics[\(index)], \(what) \(Self.quote(entry.description)):")
            var format = "format: \(sink.format.rawValue)"
            switch sink.format {
            case .jsonl: format += ", json_value: \(sink.jsonValue.rawValue)"
            case .raw: format += ", raw_delimiter: \(Self.quote(sink.rawDelimiter))"
            }
            format += ", compression: \(sink.compression.rawValue)"
            switch sink.compression {
            case .none: break
            case .gzip: format += ", compression_level: \(sink.compressionLevel ?? 6)"
            case .zstd: format += ", compression_level: \(sink.compressionLevel ?? 3)"
            }
            lines.append("#     " + format)
            lines.append("#     key_template: \(Self.quote(sink.keyTemplate)), prefix: \(Self.quote(sink.prefix))")
            lines.append("#     timestamp_source: \(sink.timestampSource.rawValue), time_zone: \(Self.quote(sink.timeZone))")
            lines.append("#     batch: {max_bytes: \(ByteSize.format(sink.batch.maxBytes)), max_records: \(sink.batch.maxRecords), linger: \(DurationText.format(sink.batch.linger))}")
            lines.append("#     rollover: {max_object_bytes: \(ByteSize.format(sink.rollover.maxObjectBytes)), max_age: \(DurationText.format(sink.rollover.maxAge)), seal: \(sink.rollover.seal)}")
            let tags = topic.tags.isEmpty ? "{}"
                : "{" + topic.tags.keys.sorted().map { "\(Self.quote($0)): \(Self.quote(topic.tags[$0]!))" }.joined(separator: ", ") + "}"
            lines.append("#     storage_class: \(topic.storageClass), tags: \(tags)")
            let name: String? = if case .name(let name) = entry.selector { name } else { nil }
            lines.append("#     keys like: \(Self.exampleKey(sink, topic: name ?? "<topic>"))")
            for note in routing.notes(index, selectors) { lines.append("#     note: \(note)") }
        }
        return lines
    }

    /// The key of partition 0's segment starting at offset 0 on 2024-01-01 00:00, `topic` as given.
    static func exampleKey(_ sink: Sink, topic: String) -> String {
        let values = ["prefix": sink.prefix, "topic": topic, "yyyy": "2024", "MM": "01", "dd": "01", "HH": "00", "mm": "00",
                      "ext": fileExtension(format: sink.format, compression: sink.compression)]
        var out = ""
        var rest = Substring(sink.keyTemplate)
        while let c = rest.first {
            rest = rest.dropFirst()
            if (c == "{" || c == "}"), rest.first == c {
                out.append(c)
                rest = rest.dropFirst()
            } else if c == "{", let close = rest.firstIndex(of: "}") {
                let parts = rest[..<close].split(separator: ":", maxSplits: 1)
                let name = parts.first.map(String.init) ?? ""
                let width = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
                out += values[name] ?? String(repeating: "0", count: max(1, width))
                rest = rest[rest.index(after: close)...]
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// A YAML double-quoted scalar: a JSON string literal (YAML 1.2 reads every JSON escape).
    static func quote(_ text: String) -> String { LogLineEncoder.jsonString(text) }
}

extension SinkConfiguration {
    /// `http://user:***@host:port` for a proxy URL with a password; other values unchanged.
    static func maskingProxyPassword(_ proxy: String) -> String {
        guard let at = proxy.lastIndex(of: "@") else { return proxy }
        let start = proxy.range(of: "://")?.upperBound ?? proxy.startIndex
        let userInfo = proxy[start..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return proxy }
        return String(proxy[..<proxy.index(after: colon)]) + "***" + String(proxy[at...])
    }
}
