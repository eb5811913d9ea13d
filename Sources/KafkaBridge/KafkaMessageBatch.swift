internal import CRdKafka

/// The records of one delivery as librdkafka holds them, without copying: keys and values point into
/// librdkafka's fetch buffers.
///
/// - Important: valid only during the delegate call that receives it (the messages are destroyed when it
///   returns). Render or copy what is needed inside the call; never store the batch, a message or a buffer.
public struct KafkaMessageBatch {
    let messages: UnsafeBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>>
    /// Key plus value bytes of all records.
    public let payloadBytes: Int

    init(messages: UnsafeBufferPointer<UnsafeMutablePointer<rd_kafka_message_t>>, payloadBytes: Int) {
        self.messages = messages
        self.payloadBytes = payloadBytes
    }

    public var count: Int { messages.count }

    public subscript(i: Int) -> KafkaMessage { KafkaMessage(message: messages[i]) }

    /// The records as plain values: one copy of every key and value into storage shared by the batch.
    public func copied() -> KafkaRecordBatch {
        let storage = [UInt8](unsafeUninitializedCapacity: max(payloadBytes, 1)) { buffer, count in
            var cursor = 0
            func copy(_ part: UnsafeBufferPointer<UInt8>?) {
                guard let part, let base = part.baseAddress, part.count > 0 else { return }
                (buffer.baseAddress! + cursor).update(from: base, count: part.count)
                cursor += part.count
            }
            for m in messages {
                let message = KafkaMessage(message: m)
                copy(message.key)
                copy(message.value)
            }
            count = cursor
        }
        var records: [KafkaRecord] = []
        records.reserveCapacity(messages.count)
        var cursor = 0
        var lastTopicHandle: OpaquePointer?
        var lastTopic = ""
        for m in messages {
            let message = KafkaMessage(message: m)
            if m.pointee.rkt != lastTopicHandle {
                lastTopicHandle = m.pointee.rkt
                lastTopic = message.topic
            }
            func slice(_ part: UnsafeBufferPointer<UInt8>?) -> ArraySlice<UInt8>? {
                guard let part else { return nil }
                defer { cursor += part.count }
                return storage[cursor..<(cursor + part.count)]
            }
            let key = slice(message.key)
            let value = slice(message.value)
            records.append(KafkaRecord(
                topic: lastTopic, partition: message.partition, offset: message.offset, timestamp: message.timestamp,
                key: key, value: value, headers: message.headers()))
        }
        return KafkaRecordBatch(records: records, payloadBytes: payloadBytes)
    }
}

/// One record of a ``KafkaMessageBatch``: valid only as long as its batch.
public struct KafkaMessage {
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    public var partition: Int32 { message.pointee.partition }
    public var offset: Int64 { message.pointee.offset }
    /// Key plus value length in bytes.
    public var payloadBytes: Int { message.pointee.key_len + message.pointee.len }

    /// The topic name (a lookup and a new string: compare topics with ``hasSameTopic(as:)``).
    public var topic: String { String(cString: rd_kafka_topic_name(message.pointee.rkt)) }

    /// Whether `other` belongs to the same topic (a pointer comparison).
    public func hasSameTopic(as other: KafkaMessage) -> Bool { message.pointee.rkt == other.message.pointee.rkt }

    /// `nil` when the record has no key.
    public var key: UnsafeBufferPointer<UInt8>? {
        guard let key = message.pointee.key else { return nil }
        return UnsafeBufferPointer(start: key.assumingMemoryBound(to: UInt8.self), count: message.pointee.key_len)
    }

    /// `nil` for a null value (a tombstone).
    public var value: UnsafeBufferPointer<UInt8>? {
        guard let payload = message.pointee.payload else { return nil }
        return UnsafeBufferPointer(start: payload.assumingMemoryBound(to: UInt8.self), count: message.pointee.len)
    }

    public var timestamp: KafkaTimestamp {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ms = rd_kafka_message_timestamp(message, &type)
        switch type {
        case RD_KAFKA_TIMESTAMP_CREATE_TIME: return .createTime(milliseconds: ms)
        case RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME: return .logAppendTime(milliseconds: ms)
        default: return .notAvailable
        }
    }

    /// The record's headers, copied (empty when it has none).
    public func headers() -> [KafkaHeader] {
        var hdrs: OpaquePointer?
        guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var result: [KafkaHeader] = []
        var index = 0
        while true {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(hdrs, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { break }
            let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
            result.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
            index += 1
        }
        return result
    }
}
