// Allocator set-up for the bench harness process.
//
// The harness holds librdkafka's mock cluster and the OSS emulator's memory store, stand-ins for a Kafka cluster
// and OSS that would run on other machines. Every sink run stores hundreds of MB in the emulator and the bench
// deletes them afterwards. glibc gives memory back to the kernel (whole heaps of secondary arenas regardless of
// M_TRIM_THRESHOLD), a VM returns it to the hypervisor, and faulting it in again costs 2-3 s per GB on the bench
// machine, on the same two cores the sink under test runs on. So the harness keeps every page it frees: no new
// arenas, no trimming, and a top pad as large as a secondary arena's heap, so an emptied heap is not unmapped
// either. This has to happen before threads allocate, hence a constructor rather than Swift code in main.
// Sink processes, including the bench's sink, consume-only, replay and produce children, keep the production settings
// (Sources/SinkApp/AllocatorSettings.swift).
#define _GNU_SOURCE
#include "CBenchSupport.h"

#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bench_harness;

int kos_is_bench_harness(void) { return bench_harness; }

int kos_bench_harness_arguments(const char *args, size_t length) {
    if (length == 0) return 0;
    const char *end = args + length;
    size_t program_length = strnlen(args, length);
    const char *slash = memrchr(args, '/', program_length);
    const char *name = slash ? slash + 1 : args;
    static const char bench[] = "kafka-oss-sink-bench";
    if ((size_t)(args + program_length - name) != sizeof(bench) - 1 || memcmp(name, bench, sizeof(bench) - 1) != 0) return 0;
    const char *arg = args + program_length + 1;
    if (arg >= end) return 1;
    size_t n = strnlen(arg, (size_t)(end - arg));
    if (n == 10 && memcmp(arg, "sink-child", 10) == 0) return 0;
    if (n == 13 && memcmp(arg, "consume-child", 13) == 0) return 0;
    if (n == 12 && memcmp(arg, "replay-child", 12) == 0) return 0;
    if (n == 13 && memcmp(arg, "produce-child", 13) == 0) return 0;
    return 1;
}

static int detect_bench_harness(void) {
    char buffer[4096];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buffer, sizeof(buffer));
    close(fd);
    return n > 0 ? kos_bench_harness_arguments(buffer, (size_t)n) : 0;
}

__attribute__((constructor)) static void kos_bench_heap_setup(void) {
    if (!detect_bench_harness()) return;
    bench_harness = 1;
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
    // A secondary arena frees a whole 64 MiB heap once it is empty unless the top pad covers it.
    mallopt(M_TOP_PAD, 64 << 20);
}

size_t kos_prefault_heap(size_t bytes, size_t chunk) {
    size_t count = (bytes + chunk - 1) / chunk, made = 0;
    void **blocks = malloc(count * sizeof(void *));
    if (blocks == NULL) return 0;
    for (; made < count; made++) {
        volatile unsigned char *p = malloc(chunk);
        if (p == NULL) break;
        for (size_t i = 0; i < chunk; i += 4096) p[i] = 1;
        blocks[made] = (void *)p;
    }
    for (size_t i = 0; i < made; i++) free(blocks[i]);
    free(blocks);
    return made * chunk;
}
