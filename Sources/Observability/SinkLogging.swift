public import Logging
import Synchronization

/// Process-wide logging setup for the CLI: the ``SinkLogHandler`` for every `Logger` created afterwards.
public enum SinkLogging {
    private struct Settings {
        var level: Logger.Level
        var format: SinkLogFormat
        var redactor: LogRedactor
        var output: LogOutput
    }

    private static let settings = Mutex<Settings?>(nil)

    /// Makes every `Logger` created from now on write through a ``SinkLogHandler`` with these settings.
    ///
    /// The first call bootstraps swift-log's `LoggingSystem`; later calls (for example after the config file
    /// was read, when a default was bootstrapped first to report config errors) replace the settings for
    /// loggers created afterwards. Loggers created before a later call keep the settings they were made with.
    ///
    /// - Parameters:
    ///   - level: `log.level` (`Logger.Level(rawValue:)` accepts trace, debug, info, warning, error).
    ///   - format: `log.format`.
    ///   - redactor: the secrets to mask; register more on it at any time (it is shared, not copied).
    ///   - output: standard error by default.
    /// - Important: nothing else in the process may call `LoggingSystem.bootstrap`, it traps on a second call.
    public static func bootstrap(
        level: Logger.Level,
        format: SinkLogFormat,
        redactor: LogRedactor,
        output: LogOutput = .standardError
    ) {
        let first = settings.withLock { current -> Bool in
            let first = current == nil
            current = Settings(level: level, format: format, redactor: redactor, output: output)
            return first
        }
        guard first else { return }
        LoggingSystem.bootstrap({ label, provider in
            makeHandler(label: label, metadataProvider: provider)
        }, metadataProvider: nil)
    }

    /// A handler with the current settings (the bootstrapped factory); before any bootstrap, info-level text on
    /// standard error with no secrets registered.
    public static func makeHandler(label: String, metadataProvider: Logger.MetadataProvider? = nil) -> SinkLogHandler {
        let current = settings.withLock { $0 }
            ?? Settings(level: .info, format: .text, redactor: LogRedactor(), output: .standardError)
        return SinkLogHandler(
            label: label,
            level: current.level,
            format: current.format,
            redactor: current.redactor,
            output: current.output,
            metadataProvider: metadataProvider
        )
    }
}
