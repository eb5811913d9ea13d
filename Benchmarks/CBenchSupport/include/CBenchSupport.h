#ifndef KOS_BENCH_SUPPORT_H
#define KOS_BENCH_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Whether this process is the bench harness (`kafka-oss-sink-bench [run] ...`, not its children
/// `kafka-oss-sink-bench sink-child` and `consume-child`), in which case the allocator was set up for it
/// before any other code ran (see bench_heap.c).
int kos_is_bench_harness(void);

/// Whether NUL-separated command-line arguments (as in /proc/self/cmdline, program first) start the bench
/// harness: the program is `kafka-oss-sink-bench` and its first argument is neither `sink-child` nor
/// `consume-child`.
int kos_bench_harness_arguments(const char *args, size_t length);

/// Allocates `bytes` of heap in `chunk`-sized blocks, writes one byte per page so the kernel faults every page
/// in, and frees it all again. Returns the bytes touched.
size_t kos_prefault_heap(size_t bytes, size_t chunk);

/// Result of kos_floor_batch_consume.
typedef struct kos_floor_result {
    int64_t messages;   /* messages consumed (errors not counted) */
    int64_t bytes;      /* key + value bytes consumed */
    int64_t elapsed_ns; /* from the first message to the last one */
    int error;          /* 0 on success */
    char errstr[512];
} kos_floor_result_t;

/// The consume-only floor: a plain librdkafka group consumer that subscribes to `topic`, batch-consumes
/// with rd_kafka_consume_batch_queue() and does nothing else with the messages than count them, until
/// `expected` messages arrived or `timeout_ms` passed. `extra` holds `extra_count` name/value pairs of
/// additional properties (the same the bridge gets).
kos_floor_result_t kos_floor_batch_consume(const char *bootstrap, const char *group, const char *topic,
                                           int64_t expected, int timeout_ms, const char **extra, int extra_count);

#endif
