#ifndef KOS_BENCH_HEAP_H
#define KOS_BENCH_HEAP_H

#include <stddef.h>

/// Whether this process is the bench harness (`kafka-oss-sink bench [run] ...`, not its children
/// `bench sink-child` and `bench consume-child`), in which
/// case the allocator was set up for it before any other code ran (see bench_heap.c).
int kos_is_bench_harness(void);

/// Whether NUL-separated command-line arguments (as in /proc/self/cmdline, program first) start the bench
/// harness: `bench` first, and neither `sink-child` nor `consume-child` among them.
int kos_bench_harness_arguments(const char *args, size_t length);

/// Allocates `bytes` of heap in `chunk`-sized blocks, writes one byte per page so the kernel faults every page
/// in, and frees it all again. Returns the bytes touched.
size_t kos_prefault_heap(size_t bytes, size_t chunk);

#endif
