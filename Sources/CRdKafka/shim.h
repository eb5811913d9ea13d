#ifndef KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#define KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

/*
 * Non-variadic wrapper around rd_kafka_producev() (variadic C does not import into Swift).
 * Copies key and value (RD_KAFKA_MSG_F_COPY). `partition` may be RD_KAFKA_PARTITION_UA,
 * `timestamp_ms` 0 for "now". On success librdkafka owns `headers` (may be NULL); on failure
 * the caller still owns them.
 */
static inline rd_kafka_resp_err_t kos_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                              const void *key, size_t key_len,
                                              const void *value, size_t value_len,
                                              int64_t timestamp_ms, rd_kafka_headers_t *headers) {
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                             RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                             RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
}

/* Names the calling thread (Linux: 15 bytes shown by top -H, perf); no-op elsewhere. */
static inline void kos_set_thread_name(const char *name) {
#if defined(__linux__)
    prctl(PR_SET_NAME, name, 0, 0, 0);
#else
    (void)name;
#endif
}

/* Pushes one error onto the mock cluster's error stack for ApiKey (rd_kafka_mock_push_request_errors is variadic). */
static inline void kos_mock_push_request_errors(rd_kafka_mock_cluster_t *mcluster, int16_t api_key,
                                                size_t cnt, const rd_kafka_resp_err_t *errors) {
    rd_kafka_mock_push_request_errors_array(mcluster, api_key, cnt, errors);
}

#endif
