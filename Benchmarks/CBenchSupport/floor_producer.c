// The produce floor of the replay benchmark: plain librdkafka, nothing of replay (see CBenchSupport.h).
#include "CBenchSupport.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t kos_produce_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void kos_floor_delivery(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    (void)rk;
    int64_t *failed = opaque;
    if (message->err) (*failed)++;
}

kos_floor_produce_result_t kos_floor_produce(const char *bootstrap, const char *topic, const kos_floor_record_t *records,
                                             int64_t count, const char *header_name, int timeout_ms,
                                             const char **extra, int extra_count) {
    kos_floor_produce_result_t result;
    memset(&result, 0, sizeof(result));
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int64_t failed = 0;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) goto conf_error;
    for (int i = 0; i < extra_count; i++) {
        if (rd_kafka_conf_set(conf, extra[2 * i], extra[2 * i + 1], errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) goto conf_error;
    }
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_conf_set_dr_msg_cb(conf, kos_floor_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "%s", errstr);
        return result;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int64_t start = kos_produce_monotonic_ns();
    for (int64_t i = 0; i < count; i++) {
        const kos_floor_record_t *r = &records[i];
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(r->partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(r->key, r->key_length), RD_KAFKA_V_VALUE((void *)r->value, r->value_length),
                RD_KAFKA_V_TIMESTAMP(r->timestamp_ms),
                RD_KAFKA_V_HEADER(header_name, r->header_value, (ssize_t)r->header_length), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            result.error = 1;
            snprintf(result.errstr, sizeof(result.errstr), "produce: %s", rd_kafka_err2str(err));
            goto done;
        }
        result.messages++;
        result.bytes += (int64_t)(r->key_length + r->value_length);
        rd_kafka_poll(rk, 0);
    }
    if (rd_kafka_flush(rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "flush did not finish within %d ms", timeout_ms);
    }
    result.elapsed_ns = kos_produce_monotonic_ns() - start;
done:
    result.failed = failed;
    if (failed > 0 && !result.error) {
        result.error = 1;
        snprintf(result.errstr, sizeof(result.errstr), "%lld record(s) failed delivery", (long long)failed);
    }
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return result;
conf_error:
    result.error = 1;
    snprintf(result.errstr, sizeof(result.errstr), "%s", errstr);
    rd_kafka_conf_destroy(conf);
    return result;
}
