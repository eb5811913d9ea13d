/// Printing a configuration (logs, `print`, `dump`, test failures) never shows a secret.
extension SinkConfiguration.Credentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        var parts = ["provider: \(provider.rawValue)"]
        if let accessKeyId { parts.append("access_key_id: \(accessKeyId)") }
        if accessKeySecret != nil { parts.append("access_key_secret: ***") }
        if securityToken != nil { parts.append("security_token: ***") }
        for (key, value) in [("role_name", roleName), ("role_arn", roleArn), ("oidc_provider_arn", oidcProviderArn),
                             ("oidc_token_file", oidcTokenFile), ("sts_endpoint", stsEndpoint)] {
            if let value { parts.append("\(key): \(value)") }
        }
        return "Credentials(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}

extension SinkConfiguration.Kafka: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Properties with masked secret values.
    var maskedProperties: [String: String] {
        var masked = properties
        for name in properties.keys where SinkConfiguration.isSecretKafkaProperty(name) { masked[name] = "***" }
        return masked
    }

    public var description: String {
        let properties = maskedProperties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "Kafka(bootstrap_servers: \(bootstrapServers), group_id: \(groupId), topics: \(topics.map(\.description)), "
            + "auto_offset_reset: \(autoOffsetReset.rawValue), properties: [\(properties)])"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}

extension SinkConfiguration.Replay: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let masked = properties.sorted { $0.key < $1.key }.map {
            "\($0.key)=\(SinkConfiguration.isSecretKafkaProperty($0.key) ? "***" : $0.value)"
        }.joined(separator: ", ")
        return "Replay(max_buffered_bytes: \(ByteSize.format(maxBufferedBytes)), jobs: \(jobs), properties: [\(masked)])"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description])
    }
}
