internal import CRdKafka

/// librdkafka's own view of configuration properties, used to validate `kafka.properties` before
/// anything connects.
public enum KafkaPropertyCatalog {
    /// Sets `name = value` on a scratch configuration; returns librdkafka's error text (secret values
    /// masked), or nil when accepted. Nothing connects.
    public static func check(name: String, value: String) -> String? {
        KafkaConsumer.validateConsumerProperty(name: name, value: value)
    }

    /// Names of every global and topic property librdkafka reports in a default configuration dump.
    public static let knownNames: [String] = {
        var names: [String] = []
        guard let conf = rd_kafka_conf_new() else { return names }
        defer { rd_kafka_conf_destroy(conf) }
        var count = 0
        if let dump = rd_kafka_conf_dump(conf, &count) {
            for index in stride(from: 0, to: count, by: 2) {
                if let name = dump[index] { names.append(String(cString: name)) }
            }
            rd_kafka_conf_dump_free(dump, count)
        }
        if let topicConf = rd_kafka_topic_conf_new() {
            defer { rd_kafka_topic_conf_destroy(topicConf) }
            var topicCount = 0
            if let dump = rd_kafka_topic_conf_dump(topicConf, &topicCount) {
                for index in stride(from: 0, to: topicCount, by: 2) {
                    if let name = dump[index] { names.append(String(cString: name)) }
                }
                rd_kafka_conf_dump_free(dump, topicCount)
            }
        }
        return names
    }()
}
