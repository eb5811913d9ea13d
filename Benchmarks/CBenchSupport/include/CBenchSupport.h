#ifndef KOS_BENCH_SUPPORT_H
#define KOS_BENCH_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Whether this process is the bench harness (`kafka-oss-sink-bench [run] ...`, not its children
/// `kafka-oss-sink-bench sink-child`, `consume-child`, `replay-child` and `produce-child`), in which case the
/// allocator was set up for it
/// before any other code ran (see bench_heap.c).
int kos_is_bench_harness(void);

/// Whether NUL-separated command-line arguments (as in /proc/self/cmdline, program first) start the bench
/// harness: the program is `kafka-oss-sink-bench` and its first argument is none of `sink-child`,
/// `consume-child`, `replay-child` and `produce-child`.
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

/// One record for kos_floor_produce: key, value, the value of one header, partition and CreateTime.
typedef struct kos_floor_record {
    const void *key;
    size_t key_length;
    const void *value;
    size_t value_length;
    const void *header_value;
    size_t header_length;
    int32_t partition;
    int64_t timestamp_ms;
} kos_floor_record_t;

/// Result of kos_floor_produce.
typedef struct kos_floor_produce_result {
    int64_t messages;   /* records enqueued */
    int64_t bytes;      /* key + value bytes enqueued */
    int64_t failed;     /* delivery reports with an error */
    int64_t elapsed_ns; /* from the first enqueue until flush returned (every record acknowledged) */
    int error;          /* 0 on success */
    char errstr[512];
} kos_floor_produce_result_t;

/// The produce floor: a plain librdkafka producer that enqueues `count` records held in memory (each with one
/// header named `header_name`) to their partitions of `topic` with rd_kafka_producev (serving delivery reports
/// when the queue is full) and flushes. `extra` holds `extra_count` name/value pairs of producer properties (the
/// ones replay's producer gets).
kos_floor_produce_result_t kos_floor_produce(const char *bootstrap, const char *topic, const kos_floor_record_t *records,
                                             int64_t count, const char *header_name, int timeout_ms,
                                             const char **extra, int extra_count);

#endif
