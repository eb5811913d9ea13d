#ifndef KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#define KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/* Result of kos_floor_batch_consume. */
typedef struct kos_floor_result {
    int64_t messages;   /* messages consumed (errors not counted) */
    int64_t bytes;      /* key + value bytes consumed */
    int64_t elapsed_ns; /* from the first message to the last one */
    int error;          /* 0 on success */
    char errstr[512];
} kos_floor_result_t;

static inline int64_t kos_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * The consume-only floor for benchmarks: a plain librdkafka group consumer that subscribes to
 * `topic`, batch-consumes with rd_kafka_consume_batch_queue() and does nothing else with the
 * messages than count them, until `expected` messages arrived or `timeout_ms` passed.
 * `extra` holds `extra_count` name/value pairs of additional properties (same as the bridge gets).
 */
static inline kos_floor_result_t kos_floor_batch_consume(const char *bootstrap, const char *group,
                                                         const char *topic, int64_t expected,
                                                         int timeout_ms, const char **extra,
                                                         int extra_count) {
    kos_floor_result_t result;
    memset(&result, 0, sizeof(result));
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap}, {"group.id", group}, {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"}, {"auto.offset.reset", "earliest"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            result.error = 1;
            snprintf(result.errstr, sizeof(result.errstr), "%s", errstr);
            rd_kafka_conf_destroy(conf);
            return result;
        }
    }
    for (int i = 0; i < extra_count; i++) {
        if (rd_kafka_conf_set(conf, extra[2 * i], extra[2 * i + 1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            result.error = 1;
            snprintf(result.errstr, sizeof(result.errstr), "%s", errstr);
            rd_kafka_conf_destroy(conf);
            return result;
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "%s", errstr);
        return result;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "subscribe: %s", rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return result;
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    enum { BATCH = 10000 };
    rd_kafka_message_t **messages = (rd_kafka_message_t **)malloc(sizeof(rd_kafka_message_t *) * BATCH);
    int64_t start = 0, last = 0;
    int64_t deadline = kos_monotonic_ns() + (int64_t)timeout_ms * 1000000LL;
    while (result.messages < expected && kos_monotonic_ns() < deadline) {
        ssize_t n = rd_kafka_consume_batch_queue(queue, 100, messages, BATCH);
        if (n < 0) {
            result.error = 1;
            snprintf(result.errstr, sizeof(result.errstr), "consume_batch_queue: %s",
                     rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = messages[i];
            if (!m->err) {
                if (start == 0) start = kos_monotonic_ns();
                result.messages++;
                result.bytes += (int64_t)(m->len + m->key_len);
            }
            rd_kafka_message_destroy(m);
        }
        if (n > 0 && start != 0) last = kos_monotonic_ns();
    }
    result.elapsed_ns = last - start;
    if (!result.error && result.messages < expected) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "timed out after %lld of %lld messages",
                 (long long)result.messages, (long long)expected);
    }
    free(messages);
    rd_kafka_queue_destroy(queue);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return result;
}

#endif
