import ArgumentParser

/// Reports that a command exists in the CLI but its engine is not part of this build,
/// and exits with status 3 so scripts never mistake it for success.
struct NotBuiltYet: Error, CustomStringConvertible {
    let command: String
    var description: String {
        "kafka-oss-sink \(command) is not built yet in this version; nothing was done."
    }
}

func notBuiltYet(_ command: String) throws -> Never {
    FileHandleStderr.write("error: \(NotBuiltYet(command: command).description)\n")
    throw ExitCode(3)
}
