import Dispatch
import KafkaBridge

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A line-based fault-control channel for a running `mock-kafka` process (`--control stdin`), so that a test
/// driver in another process can break the cluster while clients use it.
///
/// One command per line on standard input; each gets exactly one answer line on standard output:
/// `ok` or `error: <what is wrong and what is allowed>`. Blank lines and lines starting with `#` get no answer.
///
/// Commands:
/// - `commit-errors N [ERROR]`: the next N OffsetCommit requests fail with ERROR (default `request-timed-out`)
/// - `request-errors API N [ERROR]`: the same for any request type (`offset-commit`, `offset-fetch`, `fetch`,
///   `heartbeat`, `join-group`, `sync-group`, `metadata`, `find-coordinator`, `list-offsets`, `leave-group`, `produce`)
/// - `clear-errors API`: drops the pending injected errors of one request type
/// - `broker-down ID` / `broker-up ID`: take a broker (1…brokers) down or bring it back
/// - `rtt ID DURATION`: add latency to every response of a broker (`50ms`, `1s`, `0ms` to clear)
/// - `leader TOPIC PARTITION ID`: move a partition's leadership
/// - `coordinator GROUP ID`: move a consumer group's coordinator
/// - `ping`: answers `ok` (readiness check)
///
/// Error names: `request-timed-out`, `coordinator-not-available`, `not-coordinator`, `coordinator-load-in-progress`,
/// `rebalance-in-progress`, `unknown-member-id`, `illegal-generation`, `not-leader-for-partition`, `transport`
/// (the broker drops the connection instead of answering).
struct MockKafkaControl: Sendable {
    let cluster: MockKafkaCluster

    /// Reads commands from standard input on a dedicated thread until end of input, answering each on standard output.
    func startReadingStandardInput() {
        let queue = DispatchQueue(label: "mock-kafka-control")
        queue.async {
            while let line = readLine(strippingNewline: true) {
                if let answer = self.execute(line) { Self.writeStdout(answer + "\n") }
            }
        }
    }

    /// Runs one command line and returns its answer line (`ok` / `error: …`), or nil for blank and comment lines.
    func execute(_ line: String) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let verb = words.first, !verb.hasPrefix("#") else { return nil }
        do {
            try run(verb, Array(words.dropFirst()))
            return "ok"
        } catch let error as ControlError {
            return "error: \(error.message)"
        } catch {
            return "error: \(error)"
        }
    }

    struct ControlError: Error {
        var message: String
    }

    private func run(_ verb: String, _ args: [String]) throws {
        switch verb {
        case "ping":
            try expect(args, 0, "ping")
        case "commit-errors":
            guard args.count == 1 || args.count == 2 else { throw usage("commit-errors N [ERROR]") }
            let count = try Self.count(args[0])
            let error = try args.count == 2 ? Self.responseError(args[1]) : .requestTimedOut
            try cluster.pushRequestErrors(.offsetCommit, Array(repeating: error, count: count))
        case "request-errors":
            guard args.count == 2 || args.count == 3 else { throw usage("request-errors API N [ERROR]") }
            let api = try Self.apiKey(args[0])
            let count = try Self.count(args[1])
            let error = try args.count == 3 ? Self.responseError(args[2]) : .requestTimedOut
            try cluster.pushRequestErrors(api, Array(repeating: error, count: count))
        case "clear-errors":
            try expect(args, 1, "clear-errors API")
            try cluster.clearRequestErrors(try Self.apiKey(args[0]))
        case "broker-down":
            try expect(args, 1, "broker-down ID")
            try cluster.setBrokerDown(try brokerID(args[0]))
        case "broker-up":
            try expect(args, 1, "broker-up ID")
            try cluster.setBrokerUp(try brokerID(args[0]))
        case "rtt":
            try expect(args, 2, "rtt ID DURATION")
            try cluster.setBrokerRTT(try brokerID(args[0]), try Self.duration(args[1]))
        case "leader":
            try expect(args, 3, "leader TOPIC PARTITION ID")
            guard let partition = Int32(args[1]), partition >= 0 else {
                throw ControlError(message: "partition must be a non-negative integer, got '\(args[1])'")
            }
            try cluster.setPartitionLeader(topic: args[0], partition: partition, brokerID: try brokerID(args[2]))
        case "coordinator":
            try expect(args, 2, "coordinator GROUP ID")
            try cluster.setGroupCoordinator(group: args[0], brokerID: try brokerID(args[1]))
        default:
            throw ControlError(message: "unknown command '\(verb)'; use ping, commit-errors, request-errors, clear-errors, broker-down, broker-up, rtt, leader or coordinator")
        }
    }

    private func expect(_ args: [String], _ count: Int, _ syntax: String) throws {
        guard args.count == count else { throw usage(syntax) }
    }

    private func usage(_ syntax: String) -> ControlError {
        ControlError(message: "usage: \(syntax)")
    }

    private func brokerID(_ text: String) throws -> Int32 {
        guard let id = Int32(text), id >= 1, Int(id) <= cluster.brokerCount else {
            throw ControlError(message: "broker id must be 1…\(cluster.brokerCount), got '\(text)'")
        }
        return id
    }

    static func count(_ text: String) throws -> Int {
        guard let count = Int(text), (1...10_000).contains(count) else {
            throw ControlError(message: "count must be an integer in 1…10000, got '\(text)'")
        }
        return count
    }

    /// `150ms`, `2s` or plain milliseconds.
    static func duration(_ text: String) throws -> Duration {
        let (digits, scale): (Substring, Int64) =
            if text.hasSuffix("ms") { (text.dropLast(2), 1) }
            else if text.hasSuffix("s") { (text.dropLast(1), 1000) }
            else { (Substring(text), 1) }
        guard let value = Int64(digits), value >= 0, value <= 600_000 / scale else {
            throw ControlError(message: "duration must be like 50ms or 2s (at most 600s), got '\(text)'")
        }
        return .milliseconds(value * scale)
    }

    static let errorNames: [(String, KafkaResponseError)] = [
        ("request-timed-out", .requestTimedOut),
        ("coordinator-not-available", .coordinatorNotAvailable),
        ("not-coordinator", .notCoordinator),
        ("coordinator-load-in-progress", .coordinatorLoadInProgress),
        ("rebalance-in-progress", .rebalanceInProgress),
        ("unknown-member-id", .unknownMemberID),
        ("illegal-generation", .illegalGeneration),
        ("not-leader-for-partition", .notLeaderForPartition),
        ("transport", .transport),
    ]

    static func responseError(_ name: String) throws -> KafkaResponseError {
        guard let match = errorNames.first(where: { $0.0 == name }) else {
            throw ControlError(message: "unknown error '\(name)'; use one of \(errorNames.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    static let apiNames: [(String, KafkaAPIKey)] = [
        ("produce", .produce), ("fetch", .fetch), ("list-offsets", .listOffsets), ("metadata", .metadata),
        ("offset-commit", .offsetCommit), ("offset-fetch", .offsetFetch), ("find-coordinator", .findCoordinator),
        ("join-group", .joinGroup), ("heartbeat", .heartbeat), ("leave-group", .leaveGroup), ("sync-group", .syncGroup),
    ]

    static func apiKey(_ name: String) throws -> KafkaAPIKey {
        guard let match = apiNames.first(where: { $0.0 == name }) else {
            throw ControlError(message: "unknown request type '\(name)'; use one of \(apiNames.map(\.0).joined(separator: ", "))")
        }
        return match.1
    }

    /// Unbuffered write to standard output, so the driver sees each answer at once.
    static func writeStdout(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(1, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
