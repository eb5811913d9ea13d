public import Foundation
import KafkaBridge
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

    /// Loads and validates the file at `path`.
    /// - Throws: `ConfigError` listing every problem.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> SinkConfiguration.Loaded {
        try SinkConfiguration.loadWithWarnings(path: path, environment: environment, propertyValidator: propertyValidator)
    }

    /// Validates configuration text (for tests and generated configurations).
    public static func parse(yaml: String, environment: [String: String]) throws(ConfigError) -> SinkConfiguration.Loaded {
        try SinkConfiguration.parse(yaml: yaml, environment: environment, propertyValidator: propertyValidator)
    }
}
