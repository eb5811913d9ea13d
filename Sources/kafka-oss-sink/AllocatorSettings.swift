import CMalloc
import Foundation

/// glibc allocator settings applied before anything else runs.
///
/// glibc gives every thread that allocates its own arena (up to 8 per core). Records are allocated on
/// librdkafka's and the poll thread and freed on the sink's and NIO's threads, so memory freed in one arena is
/// not reused by the others and the resident set grows far past the live bytes (in `bench --only memory`, 1,000
/// partitions: 390-410 MiB peak with glibc's default, 280-390 MiB with two arenas, CPU time within the
/// run-to-run noise). The `MALLOC_ARENA_MAX` environment variable, when set, wins.
enum AllocatorSettings {
    static let arenas: Int32 = 2

    static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if canImport(Glibc)
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = mallopt(M_ARENA_MAX, arenas)
        }
        #endif
    }
}
