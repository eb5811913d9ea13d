import CMalloc
public import Foundation

/// glibc allocator settings applied before anything else runs. Each can be overridden with glibc's own
/// environment variable (`MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`).
///
/// - Two arenas. glibc gives every thread that allocates its own arena (up to 8 per core). Records are
///   allocated on librdkafka's and the poll thread and freed on the sink's and NIO's threads, so memory freed in
///   one arena is not reused by the others and the resident set grows far past the live bytes (in
///   `bench --only memory`, 1,000 partitions: 390-410 MiB peak with glibc's default, 280-390 MiB with two arenas,
///   CPU time within the run-to-run noise).
/// - Batch buffers from the heap, kept when freed. By default glibc maps every allocation above 128 KiB (rising
///   to the largest one freed) straight from the kernel and gives free memory above 128 KiB at the top of a heap
///   back, so each new batch buffer (up to `batch.max_bytes`, 4 MiB) arrives as fresh pages that the kernel
///   faults in and zeroes one by one. Allocations up to 32 MiB are served from the arenas, and each arena keeps
///   up to an eighth of `max_buffered_bytes` of free memory (at least 4 MiB, at most 32 MiB; set once the
///   configuration is read), so the buffers of finished appends are reused (see docs/benchmarks.md for what it
///   saves) while the memory bound still holds.
public enum AllocatorSettings {
    static let arenas: Int32 = 2
    static let mmapThresholdBytes: Int32 = 32 << 20
    static let trimThresholdBytes: Int32 = 32 << 20

    /// Free memory an arena keeps for a budget of `maxBufferedBytes`: an eighth, 4...32 MiB.
    static func trimThreshold(maxBufferedBytes: Int64) -> Int32 {
        Int32(min(max(maxBufferedBytes / 8, 4 << 20), Int64(trimThresholdBytes)))
    }

    /// Scales the free memory kept to the sink's memory budget (unless `MALLOC_TRIM_THRESHOLD_` is set).
    public static func fit(maxBufferedBytes: Int64, environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if canImport(Glibc)
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil {
            _ = mallopt(M_TRIM_THRESHOLD, trimThreshold(maxBufferedBytes: maxBufferedBytes))
        }
        #endif
    }

    /// Applies the settings above; call first thing in `main`.
    public static func apply(environment: [String: String] = ProcessInfo.processInfo.environment) {
        #if canImport(Glibc)
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = mallopt(M_ARENA_MAX, arenas)
        }
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil {
            _ = mallopt(M_MMAP_THRESHOLD, mmapThresholdBytes)
        }
        if environment["MALLOC_TRIM_THRESHOLD_"] == nil {
            _ = mallopt(M_TRIM_THRESHOLD, trimThresholdBytes)
        }
        #endif
    }
}
