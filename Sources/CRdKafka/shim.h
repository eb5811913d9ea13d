#ifndef KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#define KAFKA_OSS_SINK_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#endif
