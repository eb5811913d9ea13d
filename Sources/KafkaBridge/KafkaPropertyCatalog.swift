internal import CRdKafka
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// librdkafka's own view of configuration properties, used to validate `kafka.properties` before
/// anything connects.
public enum KafkaPropertyCatalog {
    /// Sets `name = value` on a scratch configuration; returns librdkafka's error text (secret values
    /// masked), or nil when accepted. Nothing connects.
    public static func check(name: String, value: String) -> String? {
        KafkaConsumer.validateConsumerProperty(name: name, value: value)
    }

    /// Creates (and destroys at once) a consumer handle with `properties`, without `bootstrap.servers` so that
    /// nothing connects: librdkafka checks some values only here (`sasl.mechanism`, the SSL files and keys, the
    /// security protocol's requirements). Returns librdkafka's reason, or nil when a consumer can be created.
    /// Properties it rejects one by one are ``check(name:value:)``'s to report.
    /// Not done for Kerberos (GSSAPI, SASL's default mechanism: librdkafka runs `kinit` when it creates the client)
    /// or OIDC token retrieval, which would reach out.
    public static func clientProblem(properties: [String: String]) -> String? {
        let sasl = (properties["security.protocol"] ?? "").lowercased().hasPrefix("sasl")
        let mechanism = (properties["sasl.mechanism"] ?? properties["sasl.mechanisms"] ?? "GSSAPI").uppercased()
        if sasl && (mechanism == "GSSAPI" || (properties["sasl.oauthbearer.method"] ?? "").lowercased() == "oidc") {
            return nil
        }
        let conf = RDConf()
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) where name != "bootstrap.servers" {
            if conf.set(name, value) != nil { return nil }
        }
        // Quiet: a handle without brokers logs that it has none.
        _ = conf.set("log_level", "0")
        do {
            let handle = try conf.makeHandle(RD_KAFKA_CONSUMER)
            rd_kafka_destroy(handle)
            return nil
        } catch {
            return error.message.replacingOccurrences(of: "could not create the librdkafka handle: ", with: "")
        }
    }

    /// Names of every global and topic property librdkafka reports in a default configuration dump.
    public static let knownNames: [String] = {
        var names: [String] = []
        guard let conf = rd_kafka_conf_new() else { return names }
        defer { rd_kafka_conf_destroy(conf) }
        var count = 0
        if let dump = rd_kafka_conf_dump(conf, &count) {
            for index in stride(from: 0, to: count, by: 2) {
                if let name = dump[index] { names.append(String(cString: name)) }
            }
            rd_kafka_conf_dump_free(dump, count)
        }
        if let topicConf = rd_kafka_topic_conf_new() {
            defer { rd_kafka_topic_conf_destroy(topicConf) }
            var topicCount = 0
            if let dump = rd_kafka_topic_conf_dump(topicConf, &topicCount) {
                for index in stride(from: 0, to: topicCount, by: 2) {
                    if let name = dump[index] { names.append(String(cString: name)) }
                }
                rd_kafka_conf_dump_free(dump, topicCount)
            }
        }
        return names
    }()

    /// Which kind of client a librdkafka property applies to (the `C/P` column of librdkafka's CONFIGURATION.md).
    public enum Scope: Sendable, Hashable {
        case consumer, producer, both
    }

    /// The scope librdkafka documents for `name`; `.both` for names it does not list.
    public static func scope(of name: String) -> Scope {
        scopes[name] ?? .both
    }

    /// `rd_kafka_conf_properties_show` parsed: property name to scope.
    static let scopes: [String: Scope] = {
        var size = 0
        var buffer: UnsafeMutablePointer<CChar>?
        guard let stream = open_memstream(&buffer, &size) else { return [:] }
        rd_kafka_conf_properties_show(stream)
        fclose(stream)
        guard let buffer else { return [:] }
        defer { free(buffer) }
        let text = String(cString: buffer)
        var result: [String: Scope] = [:]
        for line in text.split(separator: "\n") {
            let columns = line.split(separator: "|", omittingEmptySubsequences: false)
            guard columns.count >= 3 else { continue }
            let name = columns[0].trimmingCharacters(in: .whitespaces)
            switch columns[1].trimmingCharacters(in: .whitespaces) {
            case "C": result[name] = .consumer
            case "P": result[name] = .producer
            case "*": result[name] = .both
            default: continue
            }
        }
        return result
    }()
}
