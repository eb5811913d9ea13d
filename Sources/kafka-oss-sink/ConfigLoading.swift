import ArgumentParser
import SinkApp
import SinkConfig

/// Loads and validates a configuration file; on problems prints every one to stderr and exits with status 2.
func loadConfigurationOrExit(path: String) throws -> SinkConfiguration.Loaded {
    do {
        let loaded = try ConfigurationFile.load(path: path)
        for warning in loaded.warnings {
            StandardError.write("warning: \(warning)\n")
        }
        return loaded
    } catch {
        StandardError.write("error: \(path): \(error.description)\n")
        throw ExitCode(2)
    }
}
