public import Foundation
import Yams

/// Checks `kafka.properties` entries with librdkafka itself (supplied by the composition root, which
/// owns the librdkafka binding), so a misspelt property fails at check time, not at run time.
public struct KafkaPropertyValidator: Sendable {
    /// Returns librdkafka's error text for `name = value`, or nil when librdkafka accepts it.
    public var check: @Sendable (_ name: String, _ value: String) -> String?
    /// Returns why `name = value` cannot configure replay's idempotent producer (a whole sentence, such as
    /// "librdkafka rejects it: …"), or nil when it can.
    public var checkProducer: @Sendable (_ name: String, _ value: String) -> String?
    /// Every property name librdkafka knows, for "did you mean" suggestions.
    public var knownNames: [String]

    public init(
        knownNames: [String], check: @escaping @Sendable (_ name: String, _ value: String) -> String?,
        checkProducer: (@Sendable (_ name: String, _ value: String) -> String?)? = nil
    ) {
        self.check = check
        self.checkProducer = checkProducer ?? { name, value in check(name, value).map { "librdkafka rejects it: \($0)" } }
        self.knownNames = knownNames
    }
}

extension SinkConfiguration {
    /// The result of loading a configuration: the configuration and the warnings worth printing.
    public struct Loaded: Sendable {
        public var configuration: SinkConfiguration
        /// Legal but risky settings (for example `http://` to a non-loopback host).
        public var warnings: [ConfigProblem]
        /// Values that must never be printed (secrets and tokens, after interpolation).
        public var secrets: Set<String>
    }

    /// Reads and validates the YAML file at `path`.
    ///
    /// - Parameters:
    ///   - environment: source of `${NAME}` interpolation (the process environment by default).
    ///   - propertyValidator: checks each `kafka.properties` entry with librdkafka itself; pass
    ///     `KafkaConsumer`'s validator from KafkaBridge so a misspelt property fails here, not at run time.
    /// - Throws: ``ConfigError`` listing every problem at once.
    public static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        propertyValidator: KafkaPropertyValidator? = nil
    ) throws(ConfigError) -> SinkConfiguration {
        try loadWithWarnings(path: path, environment: environment, propertyValidator: propertyValidator).configuration
    }

    /// Like ``load(path:environment:propertyValidator:)`` and also returns warnings and the secret values.
    public static func loadWithWarnings(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        propertyValidator: KafkaPropertyValidator? = nil
    ) throws(ConfigError) -> Loaded {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw ConfigError(problems: [ConfigProblem(path: "(file)", message: "\(path) is not UTF-8 text")])
            }
            text = decoded
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(problems: [ConfigProblem(
                path: "(file)", message: "cannot read \(path) (check the path and its permissions)")])
        }
        return try parse(yaml: text, environment: environment, propertyValidator: propertyValidator)
    }

    /// Parses and validates configuration text; see ``load(path:environment:propertyValidator:)``.
    public static func parse(
        yaml: String,
        environment: [String: String],
        propertyValidator: KafkaPropertyValidator? = nil
    ) throws(ConfigError) -> Loaded {
        var reader = ConfigReader(environment: environment)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            let detail = YAMLSyntaxProblem(error, yaml: yaml)?.message ?? yamlErrorSummary(error)
            throw ConfigError(problems: [ConfigProblem(path: "(file)", message: "is not valid YAML: \(detail)")])
        }
        guard let root, !ConfigReader.isNull(root) else {
            throw ConfigError(problems: [ConfigProblem(
                path: "(file)", message: "is empty (required sections: kafka, oss; see config/sink.example.yaml)")])
        }
        guard let top = reader.mapping(root, path: "") else {
            throw ConfigError(problems: reader.problems.map { ConfigProblem(path: "(file)", message: $0.message) })
        }
        let configuration = decode(top, reader: &reader, propertyValidator: propertyValidator)
        if !reader.problems.isEmpty || configuration == nil {
            let problems = reader.problems.map { ConfigProblem(path: $0.path, message: reader.redact($0.message)) }
            throw ConfigError(problems: problems)
        }
        let warnings = reader.warnings.map { ConfigProblem(path: $0.path, message: reader.redact($0.message)) }
        return Loaded(configuration: configuration!, warnings: warnings, secrets: reader.secrets)
    }

    private static func yamlErrorSummary(_ error: any Error) -> String {
        let text = "\(error)"
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    // MARK: Sections

    static func decode(_ top: MappingNode, reader: inout ConfigReader, propertyValidator: KafkaPropertyValidator?) -> SinkConfiguration? {
        let kafkaNode = top.value("kafka")
        let ossNode = top.value("oss")
        if kafkaNode == nil { reader.problem("kafka", "section is required (bootstrap_servers, group_id, topics)") }
        if ossNode == nil { reader.problem("oss", "section is required (endpoint, region, bucket, credentials)") }
        let kafka = decodeKafka(reader.section(top, "kafka"), reader: &reader, propertyValidator: propertyValidator)
        let oss = decodeOSS(reader.section(top, "oss"), reader: &reader)
        let sink = decodeSink(reader.section(top, "sink"), reader: &reader)
        let server = decodeServer(reader.section(top, "server"), reader: &reader)
        let log = decodeLog(reader.section(top, "log"), reader: &reader)
        let replay = decodeReplay(reader.section(top, "replay"), reader: &reader, propertyValidator: propertyValidator)
        let shutdownTimeout = reader.duration(top, "shutdown_timeout", minimum: .seconds(1), maximum: .seconds(3600)) ?? .seconds(30)
        reader.finish(top)
        guard let kafka, let oss, let sink, let server else { return nil }
        let configuration = SinkConfiguration(
            kafka: kafka, oss: oss, sink: sink, server: server, log: log, replay: replay, shutdownTimeout: shutdownTimeout)
        validateCrossFields(configuration, reader: &reader)
        return configuration
    }

    static func decodeKafka(_ node: MappingNode, reader: inout ConfigReader, propertyValidator: KafkaPropertyValidator?) -> Kafka? {
        let bootstrap = reader.requiredString(node, "bootstrap_servers", example: "\"broker1:9092,broker2:9092\"")
        let group = reader.requiredString(node, "group_id", example: "kafka-oss-sink")
        let topics = decodeTopics(node, reader: &reader)
        let reset = reader.choice(node, "auto_offset_reset", OffsetReset.self) ?? .earliest
        let properties = reader.stringMap(node, "properties", secretKey: isSecretKafkaProperty) ?? [:]
        for name in properties.keys.sorted() {
            let path = "\(node.child("properties")).\(name)"
            if let owner = managedKafkaProperties[name] {
                reader.problem(path, "is managed by the sink and cannot be set here (set \(owner))")
                continue
            }
            if let propertyValidator, let error = propertyValidator.check(name, properties[name]!) {
                var message = "librdkafka rejects it: \(error)"
                if error.contains("No such configuration property") {
                    if let suggestion = Suggestions.closest(to: name, in: propertyValidator.knownNames) {
                        message += " (did you mean '\(suggestion)'?)"
                    }
                }
                reader.problem(path, message)
                continue
            }
            if kafkaFileProperties[name] != nil {
                checkReadableFile(properties[name]!, path: path, what: kafkaFileProperties[name]!, reader: &reader)
            }
        }
        reader.finish(node)
        guard let bootstrap, let group, let topics, !topics.isEmpty else { return nil }
        return Kafka(bootstrapServers: bootstrap, groupId: group, topics: topics, autoOffsetReset: reset, properties: properties)
    }

    /// librdkafka properties that name a file the sink's user must be able to read, and what the file holds.
    static let kafkaFileProperties: [String: String] = [
        "ssl.ca.location": "the PEM CA certificates that signed the brokers' certificates (a file or a directory; or 'probe')",
        "ssl.certificate.location": "this client's PEM certificate",
        "ssl.key.location": "this client's PEM private key",
        "ssl.crl.location": "a PEM certificate revocation list",
        "ssl.keystore.location": "a PKCS#12 keystore",
    ]

    /// A problem at `path` unless `file` exists and this process can read it (`probe` is allowed for
    /// `ssl.ca.location`: librdkafka then looks for the system's CA store).
    static func checkReadableFile(_ file: String, path: String, what: String, reader: inout ConfigReader) {
        if path.hasSuffix(".ssl.ca.location") && file == "probe" { return }
        var isDirectory: ObjCBool = false
        let fix = "give the path of \(what), readable by the user the sink runs as"
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
            reader.problem(path, "\(file) does not exist (\(fix))")
            return
        }
        if isDirectory.boolValue && !path.hasSuffix(".ssl.ca.location") {
            reader.problem(path, "\(file) is a directory (\(fix))")
        } else if !FileManager.default.isReadableFile(atPath: file) {
            reader.problem(path, "\(file) is not readable by this user (\(fix))")
        }
    }

    /// librdkafka properties whose values are secrets (masked in output, never printed).
    public static func isSecretKafkaProperty(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.contains("password") || lowered.contains("secret") || lowered.hasSuffix(".key.pem")
            || lowered == "sasl.oauthbearer.config" || lowered == "ssl.key.pem" || lowered.contains("token")
    }

    static func decodeOSS(_ node: MappingNode, reader: inout ConfigReader) -> OSS? {
        let endpoint = reader.requiredString(node, "endpoint", example: "\"https://oss-cn-hangzhou.aliyuncs.com\"")
        let region = reader.string(node, "region")
        let bucket = reader.requiredString(node, "bucket", example: "examplebucket")
        let signature = reader.choice(node, "signature_version", SignatureVersion.self) ?? .v4
        let pathStyle = reader.bool(node, "path_style") ?? false
        let credentials = decodeCredentials(reader.section(node, "credentials"), reader: &reader)
        let storageClass = reader.string(node, "storage_class") ?? "Standard"
        let acl = reader.string(node, "acl") ?? "default"
        let metadata = reader.stringMap(node, "metadata") ?? [:]
        let tags = reader.stringMap(node, "tags") ?? [:]
        let timeout = reader.duration(node, "request_timeout", minimum: .seconds(1), maximum: .seconds(600)) ?? .seconds(30)
        let caFile = reader.string(node, "ca_file").flatMap { $0.isEmpty ? nil : $0 }
        let proxy = reader.string(node, "proxy")
        reader.finish(node)

        if let caFile {
            checkReadableFile(caFile, path: node.child("ca_file"), what: "a PEM file of CA certificates", reader: &reader)
        }
        if let proxy {
            validateProxy(proxy, path: node.child("proxy"), reader: &reader)
        }

        if signature == .v4 && (region ?? "").isEmpty {
            reader.problem(node.child("region"), "is required with signature_version v4 (for example: region: cn-hangzhou, or set signature_version: v1)")
        }
        if let region, region.hasPrefix("oss-") {
            reader.problem(node.child("region"), "'\(region)' is an endpoint name, not a signing region (write '\(region.dropFirst(4))')")
        }

        validateStorageClass(storageClass, path: node.child("storage_class"), reader: &reader)
        let acls = ["default", "private", "public-read", "public-read-write"]
        if !acls.contains(acl) {
            reader.problem(node.child("acl"), "'\(acl)' is not allowed (allowed: \(acls.joined(separator: ", ")))")
        }
        var metadataBytes = 0
        for (name, value) in metadata {
            metadataBytes += name.utf8.count + value.utf8.count
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                reader.problem("\(node.child("metadata")).\(name)", "metadata names may hold only letters, digits and '-'")
            }
        }
        if metadataBytes > 8192 {
            reader.problem(node.child("metadata"), "\(metadataBytes) bytes of user metadata is too much (allowed: at most 8 KiB in total)")
        }
        validateTags(tags, path: node.child("tags"), reader: &reader)
        if let bucket, !isValidBucketName(bucket) {
            reader.problem(node.child("bucket"), "'\(bucket)' is not a valid bucket name (allowed: 3-63 characters of lower-case letters, digits and '-', starting and ending with a letter or digit)")
        }
        if let endpoint {
            validateEndpoint(endpoint, path: node.child("endpoint"), reader: &reader)
        }
        guard let endpoint, let bucket, let credentials else { return nil }
        return OSS(endpoint: endpoint, region: region, bucket: bucket, signatureVersion: signature, pathStyle: pathStyle,
                   credentials: credentials, storageClass: storageClass, acl: acl, metadata: metadata, tags: tags,
                   requestTimeout: timeout, caFile: caFile, proxy: proxy)
    }

    /// The storage classes an appendable object may be created in.
    static let storageClasses = ["Standard", "IA", "Archive"]

    static func validateStorageClass(_ storageClass: String, path: String, reader: inout ConfigReader) {
        if !storageClasses.contains(storageClass) {
            let hint = storageClasses.first { $0.lowercased() == storageClass.lowercased() }.map { "; did you mean '\($0)'?" } ?? ""
            reader.problem(path, "'\(storageClass)' is not allowed for appendable objects (allowed: \(storageClasses.joined(separator: ", ")))\(hint)")
        } else if storageClass == "Archive" {
            reader.warning(path, "is Archive: every segment must be restored before it can be read (verify reports needs_restore, "
                + "replay and oss cat stop at it; the sink restores a segment itself when it must read its tail after a crash); "
                + "to keep the archive readable, write Standard or IA and let a lifecycle rule move finished segments to Archive")
        }
    }

    /// `oss.tags` or a topic's `tags`: at most ``SinkConfiguration/maxConfiguredTags``, OSS's characters, none
    /// of the sink's own `segment.*`.
    static func validateTags(_ tags: [String: String], path: String, reader: inout ConfigReader) {
        if tags.count > maxConfiguredTags {
            reader.problem(path, "\(tags.count) tags is too many (allowed: at most \(maxConfiguredTags): OSS allows 10 tags per object and the sink adds 6 segment.* tags to every finished segment)")
        }
        for (name, value) in tags.sorted(by: { $0.key < $1.key }) {
            let tagPath = "\(path).\(name)"
            if name.hasPrefix("segment.") {
                reader.problem(tagPath, "tag keys starting with 'segment.' are the sink's own (it describes finished segments with them); choose another name")
            } else if name.isEmpty || name.count > 128 || !isAllowedTagText(name) {
                reader.problem(tagPath, "is not a valid OSS tag key (allowed: 1-128 characters of ASCII letters, digits, spaces and + - = . _ : /)")
            }
            if value.count > 256 || !isAllowedTagText(value) {
                reader.problem(tagPath, "'\(value)' is not a valid OSS tag value (allowed: up to 256 characters of ASCII letters, digits, spaces and + - = . _ : /)")
            }
        }
    }

    /// `oss.proxy`: `none`, or `http://[user:password@]host:port` (the password is a secret).
    static func validateProxy(_ proxy: String, path: String, reader: inout ConfigReader) {
        let trimmed = proxy.trimmingSpaces()
        if trimmed.isEmpty || trimmed.lowercased() == "none" { return }
        guard let url = URL(string: trimmed.contains("://") ? trimmed : "http://" + trimmed),
              let host = url.host, !host.isEmpty else {
            reader.problem(path, "is not a proxy URL (allowed: http://host:port, or none to ignore HTTPS_PROXY)")
            return
        }
        if let password = url.password, !password.isEmpty {
            reader.secrets.insert(password)
            if let decoded = password.removingPercentEncoding { reader.secrets.insert(decoded) }
        }
        if url.scheme?.lowercased() != "http" {
            reader.problem(path, "scheme '\(url.scheme ?? "")' is not supported (allowed: http://host:port; the tunnel to OSS is TLS either way)")
        } else if !url.path.isEmpty && url.path != "/" {
            reader.problem(path, "must not contain a path (allowed: http://host:port)")
        }
    }

    /// The characters OSS allows in tag keys and values.
    static func isAllowedTagText(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", " ", "+", "-", "=", ".", "_", ":", "/": true
            default: false
            }
        }
    }

    static func isValidBucketName(_ name: String) -> Bool {
        guard (3...63).contains(name.count), let first = name.first, let last = name.last else { return false }
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }
        return allowed && first != "-" && last != "-"
    }

    static func validateEndpoint(_ endpoint: String, path: String, reader: inout ConfigReader) {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            reader.problem(path, "'\(endpoint)' is not a URL (for example: https://oss-cn-hangzhou.aliyuncs.com)")
            return
        }
        guard scheme == "https" || scheme == "http" else {
            reader.problem(path, "scheme '\(scheme)' is not supported (allowed: https, http)")
            return
        }
        if !url.path.isEmpty && url.path != "/" {
            reader.problem(path, "must not contain a path ('\(url.path)'); put the bucket in oss.bucket")
        }
        if scheme == "http" && !isLoopback(host) {
            reader.warning(path, "uses plain http to \(host): requests and data travel unencrypted (use https outside a local emulator)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    static func decodeCredentials(_ node: MappingNode, reader: inout ConfigReader) -> Credentials? {
        let chosen = reader.choice(node, "provider", CredentialsProvider.self)
        let provider = chosen ?? .env
        let providerGiven = node.value("provider") != nil
        let id = reader.string(node, "access_key_id")
        let secret = reader.string(node, "access_key_secret", secret: true)
        let token = reader.string(node, "security_token", secret: true)
        let roleName = reader.string(node, "role_name")
        let roleArn = reader.string(node, "role_arn")
        let providerArn = reader.string(node, "oidc_provider_arn")
        let tokenFile = reader.string(node, "oidc_token_file")
        let sts = reader.string(node, "sts_endpoint")
        reader.finish(node)
        let credentials = Credentials(
            provider: provider, accessKeyId: id, accessKeySecret: secret, securityToken: token?.isEmpty == true ? nil : token,
            roleName: roleName, roleArn: roleArn, oidcProviderArn: providerArn, oidcTokenFile: tokenFile, stsEndpoint: sts)
        if !providerGiven && node.value("provider") == nil && (id != nil || secret != nil) {
            // Keys without a provider: the operator meant static.
            reader.problem(node.child("provider"), "is required when access keys are given (allowed: static, env, ecs_ram_role, oidc)")
        }
        switch provider {
        case .static:
            if id?.isEmpty ?? true, node.value("access_key_id") == nil || id != nil {
                reader.problem(node.child("access_key_id"), "is required with provider static (for example: access_key_id: ${OSS_ACCESS_KEY_ID})")
            }
            if secret?.isEmpty ?? true, node.value("access_key_secret") == nil || secret != nil {
                reader.problem(node.child("access_key_secret"), "is required with provider static (for example: access_key_secret: ${OSS_ACCESS_KEY_SECRET})")
            }
        case .env, .ecsRamRole, .oidc:
            for (key, value) in [("access_key_id", id), ("access_key_secret", secret), ("security_token", token)] where !(value ?? "").isEmpty {
                reader.warning(node.child(key), "is ignored with provider \(provider.rawValue) (set provider: static to use it)")
            }
        }
        if provider == .env, chosen != nil || !providerGiven, let problem = environmentCredentialsProblem(reader.environment) {
            // A running process never sees its environment change: without the variables the sink cannot start.
            reader.problem(node.child("provider"), "\(providerGiven ? "is env" : "defaults to env") but \(problem)")
        }
        return credentials
    }

    /// The variable pairs `provider: env` reads, in order (as `EnvironmentCredentialsProvider` in OSSClient).
    static let environmentCredentialNames = [
        ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET"), ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ]

    /// Why `environment` gives `provider: env` no credentials; nil when it does.
    static func environmentCredentialsProblem(_ environment: [String: String]) -> String? {
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }
        for (idName, secretName) in environmentCredentialNames {
            switch (isSet(idName), isSet(secretName)) {
            case (true, true): return nil
            case (true, false): return "\(secretName) is not set (set both \(idName) and \(secretName))"
            case (false, true): return "\(idName) is not set (set both \(idName) and \(secretName))"
            case (false, false): continue
            }
        }
        return "OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET are not set in the environment (export them, and "
            + "OSS_SESSION_TOKEN for STS; or set provider: static, ecs_ram_role or oidc)"
    }

    /// `sink.compression_level`: gzip 1-9, zstd 1-19 (the levels the sink's zstd build is tested with; zstd's
    /// 20-22 "ultra" levels need more memory per frame than a batch is worth), nothing without compression.
    static func compressionLevel(_ node: MappingNode, compression: Compression, reader: inout ConfigReader) -> Int? {
        guard let value = node.value("compression_level"), !ConfigReader.isNull(value) else { return nil }
        let allowed = "1 to 9 for gzip, 1 to 19 for zstd"
        switch compression {
        case .none:
            reader.problem(node.child("compression_level"), "is set but compression is none (set compression: gzip or zstd, or remove it)")
            return nil
        case .gzip:
            return reader.integer(node, "compression_level", range: 1...9, allowed: "\(allowed); compression is gzip")
        case .zstd:
            return reader.integer(node, "compression_level", range: 1...19, allowed: "\(allowed); compression is zstd")
        }
    }

    static func decodeSink(_ node: MappingNode, reader: inout ConfigReader) -> Sink? {
        let template = reader.string(node, "key_template") ?? defaultKeyTemplate
        let prefix = reader.string(node, "prefix") ?? ""
        let timestampSource = reader.choice(node, "timestamp_source", TimestampSource.self) ?? .record
        let timeZone = reader.string(node, "time_zone") ?? "UTC"
        let format = reader.choice(node, "format", Format.self) ?? .jsonl
        let jsonValue = reader.choice(node, "json_value", JSONValue.self) ?? .string
        let delimiter = reader.string(node, "raw_delimiter") ?? "\n"
        let compression = reader.choice(node, "compression", Compression.self) ?? .none
        let level = compressionLevel(node, compression: compression, reader: &reader)
        let batchNode = reader.section(node, "batch")
        let maxBytes = reader.size(batchNode, "max_bytes", range: 1...(1 << 30)) ?? 4 << 20
        let maxRecords = reader.integer(batchNode, "max_records", range: 1...10_000_000) ?? 100_000
        let linger = reader.duration(batchNode, "linger", minimum: .zero, maximum: .seconds(3600)) ?? .seconds(1)
        reader.finish(batchNode)
        let rolloverNode = reader.section(node, "rollover")
        let maxObject = reader.size(rolloverNode, "max_object_bytes", range: 1...maxObjectBytesLimit) ?? 4 << 30
        let maxAge = reader.duration(rolloverNode, "max_age", minimum: .seconds(1)) ?? .seconds(86_400)
        let seal = reader.bool(rolloverNode, "seal") ?? false
        reader.finish(rolloverNode)
        let maxBuffered = reader.size(node, "max_buffered_bytes", range: 1...(1 << 40)) ?? 256 << 20
        let maxUncommitted = reader.size(node, "max_uncommitted_bytes", range: 1...(1 << 40)) ?? 64 << 20
        let inflight = reader.integer(node, "max_inflight_appends", range: 1...1024) ?? 16
        reader.finish(node)

        let sinkShare = Int64(MemoryBudget(maxBufferedBytes: maxBuffered).sinkBytes)
        if maxBytes > sinkShare {
            reader.problem(batchNode.child("max_bytes"), "\(ByteSize.format(maxBytes)) must be at most half of sink.max_buffered_bytes (\(ByteSize.format(maxBuffered)), so at most \(ByteSize.format(sinkShare))): the rest is librdkafka's prefetch, the hand-over to the sink and the records that arrive after a pause; raise max_buffered_bytes or lower max_bytes")
        }
        if maxBytes > maxObject {
            reader.problem(batchNode.child("max_bytes"), "\(ByteSize.format(maxBytes)) must not exceed sink.rollover.max_object_bytes (\(ByteSize.format(maxObject)))")
        }
        if maxBytes > maxUncommitted {
            reader.problem(node.child("max_uncommitted_bytes"), "\(ByteSize.format(maxUncommitted)) must be at least sink.batch.max_bytes (\(ByteSize.format(maxBytes)))")
        }
        KeyTemplateCheck.validate(template, path: node.child("key_template"), reader: &reader)
        validateTimeZone(timeZone, path: node.child("time_zone"), reader: &reader)
        if format == .raw && delimiter.isEmpty {
            reader.warning(node.child("raw_delimiter"), "is empty: record boundaries are lost in raw objects and recovery cannot split a tail")
        }
        return Sink(
            keyTemplate: template, prefix: prefix, timestampSource: timestampSource, timeZone: timeZone, format: format,
            jsonValue: jsonValue, rawDelimiter: delimiter, compression: compression, compressionLevel: level,
            batch: Batch(maxBytes: maxBytes, maxRecords: maxRecords, linger: linger),
            rollover: Rollover(maxObjectBytes: maxObject, maxAge: maxAge, seal: seal),
            maxBufferedBytes: maxBuffered, maxUncommittedBytes: maxUncommitted, maxInflightAppends: inflight)
    }

    static func validateTimeZone(_ timeZone: String, path: String, reader: inout ConfigReader) {
        if TimeZone(identifier: timeZone) == nil {
            var message = "'\(timeZone)' is not a known time zone (allowed: IANA names such as UTC, Asia/Shanghai, Europe/Berlin)"
            if let suggestion = Suggestions.closest(to: timeZone, in: TimeZone.knownTimeZoneIdentifiers) {
                message += "; did you mean '\(suggestion)'?"
            }
            reader.problem(path, message)
        }
    }

    static func decodeServer(_ node: MappingNode, reader: inout ConfigReader) -> Server? {
        let given = reader.string(node, "listen")
        let listen = given ?? "0.0.0.0:9464"
        reader.finish(node)
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else {
            reader.problem(node.child("listen"), "'\(listen)' is not host:port (for example: 0.0.0.0:9464)")
            return nil
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return Server(listen: listen, host: host, port: port, isSet: given != nil)
    }

    static func decodeLog(_ node: MappingNode, reader: inout ConfigReader) -> Log {
        let level = reader.choice(node, "level", LogLevel.self) ?? .info
        let format = reader.choice(node, "format", LogFormat.self) ?? .text
        reader.finish(node)
        return Log(level: level, format: format)
    }

    static func decodeReplay(_ node: MappingNode, reader: inout ConfigReader, propertyValidator: KafkaPropertyValidator?) -> Replay {
        let maxBuffered = reader.size(node, "max_buffered_bytes", range: (16 << 20)...(1 << 40)) ?? 256 << 20
        let jobs = reader.integer(node, "jobs", range: 1...1024) ?? 4
        let properties = reader.stringMap(node, "properties", secretKey: isSecretKafkaProperty) ?? [:]
        for name in properties.keys.sorted() {
            let path = "\(node.child("properties")).\(name)"
            if let owner = managedReplayProperties[name] {
                reader.problem(path, "is managed by replay and cannot be set here (set \(owner))")
                continue
            }
            if let propertyValidator, var message = propertyValidator.checkProducer(name, properties[name]!) {
                if message.contains("No such configuration property"),
                   let suggestion = Suggestions.closest(to: name, in: propertyValidator.knownNames) {
                    message += " (did you mean '\(suggestion)'?)"
                }
                reader.problem(path, message)
            }
        }
        reader.finish(node)
        return Replay(maxBufferedBytes: maxBuffered, jobs: jobs, properties: properties)
    }

    // MARK: Rules across sections

    static func validateCrossFields(_ config: SinkConfiguration, reader: inout ConfigReader) {
        validateTopicEntries(config, reader: &reader)
        let linger = config.effectiveTopics.map(\.sink.batch.linger).max() ?? config.sink.batch.linger
        if config.shutdownTimeout <= linger {
            let which = linger == config.sink.batch.linger ? "sink.batch.linger" : "the longest batch.linger of kafka.topics"
            reader.warning("shutdown_timeout", "\(DurationText.format(config.shutdownTimeout)) is not longer than \(which); a shutdown may not flush every buffer")
        }
    }
}
