import ArgumentParser
import KafkaBridge
import SinkConfig

/// librdkafka's own property check, for `kafka.properties`.
let librdkafkaPropertyValidator = KafkaPropertyValidator(knownNames: KafkaPropertyCatalog.knownNames) { name, value in
    KafkaPropertyCatalog.check(name: name, value: value)
}

/// Loads and validates a configuration file; on problems prints every one to stderr and exits with status 2.
func loadConfigurationOrExit(path: String) throws -> SinkConfiguration.Loaded {
    do {
        let loaded = try SinkConfiguration.loadWithWarnings(path: path, propertyValidator: librdkafkaPropertyValidator)
        for warning in loaded.warnings {
            FileHandleStderr.write("warning: \(warning)\n")
        }
        return loaded
    } catch {
        FileHandleStderr.write("error: \(path): \(error.description)\n")
        throw ExitCode(2)
    }
}
