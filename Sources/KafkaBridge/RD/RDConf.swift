internal import CRdKafka

/// Owns an `rd_kafka_conf_t` until it is handed to `rd_kafka_new` (which takes ownership on success).
final class RDConf {
    private(set) var pointer: OpaquePointer?

    init() { pointer = rd_kafka_conf_new() }

    deinit { if let pointer { rd_kafka_conf_destroy(pointer) } }

    /// Sets a property; on failure returns librdkafka's reason (secret values redacted).
    func set(_ name: String, _ value: String) -> String? {
        var errstr = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(pointer, name, value, &errstr, errstr.count)
        if result == RD_KAFKA_CONF_OK { return nil }
        let text = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return redact(text, value: value, property: name)
    }

    /// Sets a property or throws a configuration error naming it.
    func setOrThrow(_ name: String, _ value: String) throws(KafkaError) {
        if let reason = set(name, value) {
            throw KafkaError(code: .configuration, message: "librdkafka property \(name) rejected: \(reason)")
        }
    }

    /// The value librdkafka holds for `name` (its default when never set), or nil for an unknown property.
    func get(_ name: String) -> String? {
        var size = 0
        guard rd_kafka_conf_get(pointer, name, nil, &size) == RD_KAFKA_CONF_OK, size > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: size)
        guard rd_kafka_conf_get(pointer, name, &buffer, &size) == RD_KAFKA_CONF_OK else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates the handle; the conf is consumed on success.
    func makeHandle(_ type: rd_kafka_type_t) throws(KafkaError) -> OpaquePointer {
        var errstr = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, pointer, &errstr, errstr.count) else {
            let text = String(decoding: errstr.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError(code: .handleCreation, message: "could not create the librdkafka handle: \(text)")
        }
        pointer = nil
        return handle
    }
}
