public import Foundation
import KafkaBridge
import Observability
public import SinkConfig

/// Reading a configuration file the way every command does: SinkConfig's validation, with librdkafka itself
/// checking `kafka.properties`.
public enum ConfigurationFile {
    /// librdkafka's own check of `kafka.properties` (`rd_kafka_conf_set`), with its list of property names for
    /// "did you mean".
    public static let propertyValidator = KafkaPropertyValidator(
        knownNames: KafkaPropertyCatalog.knownNames,
        check: { name, value in KafkaPropertyCatalog.check(name: name, value: value) },
        checkProducer: { name, value in ReplayProperties.problem(name: name, value: value) })

    /// Loads and validates the file at `path`, and creates a consumer with its `kafka.properties` (connecting
    /// nowhere): librdkafka checks some values only then.
    /// - Throws: `ConfigError` listing every problem.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> SinkConfiguration.Loaded {
        let loaded = try SinkConfiguration.loadWithWarnings(path: path, environment: environment, propertyValidator: propertyValidator)
        if let reason = KafkaPropertyCatalog.clientProblem(properties: loaded.configuration.kafka.properties) {
            let redacted = LogRedactor(secrets: loaded.secrets).redact(reason)
            throw ConfigError(problems: [ConfigProblem(
                path: "kafka.properties", message: "librdkafka cannot create a consumer with them: \(redacted)")])
        }
        return loaded
    }

    /// Validates configuration text (for tests and generated configurations).
    public static func parse(yaml: String, environment: [String: String]) throws(ConfigError) -> SinkConfiguration.Loaded {
        try SinkConfiguration.parse(yaml: yaml, environment: environment, propertyValidator: propertyValidator)
    }
}
