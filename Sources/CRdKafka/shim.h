#ifndef KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#define KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
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

/* One record header for kos_produce_record: `value_len` -1 is a null value (an empty value has value_len 0). */
typedef struct {
    const void *name;
    size_t name_len;
    const void *value;
    ssize_t value_len;
} kos_header_t;

/*
 * Enqueues one record on `rkt` (copied: RD_KAFKA_MSG_F_COPY) without blocking. A length of -1 is a null key / null
 * value; a length of 0 is an empty one (the pointer may then be NULL). `partition` may be RD_KAFKA_PARTITION_UA,
 * `timestamp_ms` 0 for "now". `opaque` comes back in the delivery report. The headers list is built here and
 * destroyed here when the enqueue fails (librdkafka owns it on success). Returns RD_KAFKA_RESP_ERR__QUEUE_FULL when
 * the local queue is full.
 */
static inline rd_kafka_resp_err_t kos_produce_record(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t partition,
                                                     const void *key, ssize_t key_len,
                                                     const void *value, ssize_t value_len, int64_t timestamp_ms,
                                                     const kos_header_t *headers, size_t header_cnt, void *opaque) {
    static const char empty = 0;
    rd_kafka_headers_t *hdrs = NULL;
    if (header_cnt > 0) {
        hdrs = rd_kafka_headers_new(header_cnt);
        for (size_t i = 0; i < header_cnt; i++) {
            const kos_header_t *h = &headers[i];
            const void *v = h->value_len < 0 ? NULL : (h->value ? h->value : &empty);
            rd_kafka_header_add(hdrs, (const char *)(h->name ? h->name : &empty), (ssize_t)h->name_len, v,
                                h->value_len < 0 ? 0 : (size_t)h->value_len);
        }
    }
    const void *k = key_len < 0 ? NULL : (key ? key : &empty);
    const void *v = value_len < 0 ? NULL : (value ? value : &empty);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(k, key_len < 0 ? 0 : (size_t)key_len), RD_KAFKA_V_VALUE((void *)v, value_len < 0 ? 0 : (size_t)value_len),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) rd_kafka_headers_destroy(hdrs);
    return err;
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
