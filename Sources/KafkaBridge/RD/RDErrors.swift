internal import CRdKafka
import Foundation

extension KafkaError {
    /// An error for a librdkafka response code, with librdkafka's text and name.
    init(code: Code, _ err: rd_kafka_resp_err_t, _ context: String, topicPartition: KafkaTopicPartition? = nil) {
        let text = String(cString: rd_kafka_err2str(err))
        let name = String(cString: rd_kafka_err2name(err))
        self.init(
            code: code, message: "\(context): \(text)", librdkafkaCode: err.rawValue, librdkafkaName: name,
            topicPartition: topicPartition, isFatal: err == RD_KAFKA_RESP_ERR__FATAL
        )
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(code: Code, consuming error: OpaquePointer, _ context: String) {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        self.init(
            code: code, message: "\(context): \(String(cString: rd_kafka_error_string(error)))",
            librdkafkaCode: err.rawValue, librdkafkaName: String(cString: rd_kafka_error_name(error)),
            isFatal: rd_kafka_error_is_fatal(error) != 0
        )
    }
}

/// librdkafka property names whose values are secrets: never echoed in errors or logs.
func isSecretProperty(_ name: String) -> Bool {
    let lower = name.lowercased()
    return ["password", "secret", "token", ".key", "key.pem", "keystore", "credentials", "jaas"]
        .contains { lower.contains($0) }
}

/// Replaces a secret value in a librdkafka message.
func redact(_ text: String, value: String, property: String) -> String {
    guard isSecretProperty(property), !value.isEmpty else { return text }
    // librdkafka quotes the value it rejects; a long value is masked wherever it appears.
    let quoted = text.replacingOccurrences(of: "\"\(value)\"", with: "\"***\"")
    return value.count >= 8 ? quoted.replacingOccurrences(of: value, with: "***") : quoted
}
