import Foundation
import KafkaBridge
import OSSEmulator

/// Realistic sample events for the demo: JSON clickstream records keyed by user id, some with headers, a few
/// binary (not UTF-8) values from a "legacy" producer.
///
/// The content is deterministic for a given `seed` and index (a SplitMix64 stream per record); only the
/// timestamps follow the clock passed in, so keys land in today's date folders.
struct DemoEventGenerator: Sendable {
    let topic: String
    let seed: UInt64

    static let eventTypes = ["page_view", "page_view", "page_view", "search", "add_to_cart", "checkout", "purchase",
                             "login", "logout", "video_play"]
    static let pages = ["/", "/products", "/products/42", "/cart", "/checkout", "/account", "/search", "/help"]
    static let sources = ["web", "ios", "android"]
    static let countries = ["CN", "SG", "DE", "US", "JP", "BR", "IN"]

    /// The record at `index`, with create time `timestampMilliseconds`; `partition` nil lets the producer
    /// partition by key (one user's events stay in order in one partition).
    func record(index: Int, timestampMilliseconds: Int64) -> KafkaProducerRecord {
        var random = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let user = "u-\(String(random.next(below: 500) + 1000))"
        let type = Self.eventTypes[random.next(below: Self.eventTypes.count)]
        let source = Self.sources[random.next(below: Self.sources.count)]
        let eventID = String(format: "%016llx", random.next())

        let value: [UInt8]
        if index % 97 == 13 {
            // A binary value from a legacy producer (protobuf-like bytes; invalid UTF-8 on purpose).
            value = [0x08, 0x96, 0x01, 0x12, 0x04, 0xFF, 0xFE, 0xC0, 0xAF] + Array(user.utf8) + [0x80, UInt8(index & 0x7F)]
        } else {
            let iso = Date(timeIntervalSince1970: Double(timestampMilliseconds) / 1000)
                .formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            var fields = [
                "\"event_id\":\"\(eventID)\"", "\"user_id\":\"\(user)\"", "\"type\":\"\(type)\"",
                "\"ts\":\"\(iso)\"", "\"source\":\"\(source)\"",
                "\"country\":\"\(Self.countries[random.next(below: Self.countries.count)])\"",
            ]
            switch type {
            case "page_view": fields.append("\"page\":\"\(Self.pages[random.next(below: Self.pages.count)])\"")
            case "search": fields.append("\"query\":\"wireless \\\"noise cancelling\\\" headphones\"")
            case "add_to_cart", "purchase", "checkout":
                fields.append("\"sku\":\"SKU-\(random.next(below: 9000) + 1000)\"")
                fields.append("\"amount\":\(random.next(below: 20000) + 99)")
                fields.append("\"currency\":\"CNY\"")
            case "video_play": fields.append("\"title\":\"Démo — 第\(random.next(below: 9) + 1)集\"")
            default: break
            }
            value = Array("{\(fields.joined(separator: ","))}".utf8)
        }

        var headers: [KafkaHeader] = []
        if index % 4 == 0 {
            headers.append(KafkaHeader(key: "trace-id", value: Array(String(format: "%032llx", random.next()).utf8)))
            headers.append(KafkaHeader(key: "content-type", value: Array(
                (index % 97 == 13 ? "application/x-protobuf" : "application/json").utf8)))
        }
        if index % 50 == 7 {
            headers.append(KafkaHeader(key: "replayed", value: nil))
        }
        // Anonymous events (no key) go where the partitioner puts them.
        let key: [UInt8]? = type == "login" && index % 3 == 0 ? nil : Array(user.utf8)
        return KafkaProducerRecord(topic: topic, partition: nil, key: key, value: value, headers: headers,
                                   timestampMilliseconds: timestampMilliseconds)
    }
}
