import Foundation
extension SinkConfiguration {
    /// The effective configuration as YAML, defaults filled in, with every secret replaced by `***`.
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
        add(1, "topics", "[" + kafka.topics.map { Self.quote($0.description) }.joined(separator: ", ") + "]")
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
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
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
