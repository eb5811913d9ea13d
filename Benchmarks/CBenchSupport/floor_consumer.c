// The consume-only floor of the benchmarks: plain librdkafka, nothing of the sink (see CBenchSupport.h).
#include "CBenchSupport.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t kos_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

kos_floor_result_t kos_floor_batch_consume(const char *bootstrap, const char *group, const char *topic,
                                           int64_t expected, int timeout_ms, const char **extra, int extra_count) {
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

