import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The machine a benchmark ran on, as reported next to the numbers.
struct BenchMachine: Codable, Sendable {
    var processors: Int
    var cpuModel: String
    var memoryBytes: Int64
    var kernel: String
    var build: String

    enum CodingKeys: String, CodingKey {
        case processors = "nproc", cpuModel = "cpu_model", memoryBytes = "memory_bytes", kernel, build
    }

    static func current() -> BenchMachine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let memoryKB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int64($0) } ?? 0
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return BenchMachine(
            processors: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), cpuModel: model, memoryBytes: memoryKB * 1024,
            kernel: "Linux \(release)", build: build)
    }

    var summary: String {
        "\(processors) CPUs (\(cpuModel)), \(String(format: "%.1f", Double(memoryBytes) / 1_073_741_824)) GiB RAM, \(kernel), \(build) build"
    }
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for every process on the machine, so a child process's
/// timestamps compare with the parent's.
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU seconds (user + system) and peak RSS of a finished process, from `wait4`'s `rusage`.
struct BenchUsage: Sendable {
    var userSeconds: Double
    var systemSeconds: Double
    /// `ru_maxrss`, converted from KiB. For a spawned child this includes the parent's RSS at exec; sink runs
    /// replace it with the child's own `VmHWM`.
    var maxRSSBytes: Int64
    /// Page faults served without I/O (`ru_minflt`): each first touch of a page the kernel has to supply.
    var minorFaults: Int

    var cpuSeconds: Double { userSeconds + systemSeconds }

    init(_ usage: rusage) {
        userSeconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        systemSeconds = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        maxRSSBytes = Int64(usage.ru_maxrss) * 1024
        minorFaults = Int(usage.ru_minflt)
    }

    /// This process so far.
    static func selfNow() -> BenchUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return BenchUsage(usage)
    }
}

/// Percentile of sorted values (nearest rank); 0 for none.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}

/// An ISO 8601 UTC timestamp without fractions, for example `2026-11-24T23:41:02Z`.
func benchTimestamp(_ date: Date = Date()) -> String {
    date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
}
