import Logging
import Synchronization

/// Replaces registered secrets with `***` in any text before it is written.
///
/// The log handlers, ``HealthState`` reasons and anything else that prints text the operator did not write
/// pass through one shared redactor, so a secret can never reach a log line even when an error message
/// quotes it. Secrets can be added while the process runs (for example an STS token after a refresh).
///
/// A secret is masked where it stands as a value: an occurrence counts when the characters on both sides of
/// it are not ASCII letters or digits (or it touches the start or end of the text), as in
/// `secret=wrong&x`, `"wrong"`, `Bearer wrong`, `/wrong/`. An occurrence inside a longer word is left alone,
/// so a short secret such as `wrong` does not garble `wrongly` or `kafka-oss-sink`. Real secrets (30
/// characters of letters and digits) never appear inside other words, so nothing is lost by this rule.
///
/// - Thread safety: a lock protects the set; ``register(_:)`` and ``redact(_:)`` may race freely.
/// - Important: matching is exact and case-sensitive. Register each secret as it appears in text (the
///   access key secret, the security token, Kafka passwords); its RFC 3986 percent-encoded form (as in a
///   query string, for example a V1 `security-token` parameter) is masked too, with upper- and lower-case
///   hex digits. Empty strings are ignored.
public final class LogRedactor: Sendable {
    /// What a secret is replaced with.
    public static let mask = "***"

    /// Longest first, so a secret that contains another is masked whole.
    private let secrets: Mutex<[String]>

    /// A redactor for `secrets` (empty strings are ignored).
    public init(secrets: some Sequence<String> = [String]()) {
        self.secrets = Mutex([])
        register(contentsOf: secrets)
    }

    /// Adds a secret; from now on it is masked.
    public func register(_ secret: String) {
        register(contentsOf: [secret])
    }

    /// Adds several secrets.
    public func register(contentsOf newSecrets: some Sequence<String>) {
        secrets.withLock { current in
            for secret in newSecrets where !secret.isEmpty {
                for form in [secret, Self.percentEncoded(secret), Self.percentEncoded(secret, uppercase: false)]
                where !current.contains(form) {
                    current.append(form)
                }
            }
            current.sort { $0.utf8.count > $1.utf8.count }
        }
    }

    /// `text` with every byte outside the RFC 3986 unreserved set written `%XX` (upper-case hex by default).
    static func percentEncoded(_ text: String, uppercase: Bool = true) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: uppercase)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }

    /// The number of forms masked (each registered secret, plus its percent-encoded form when that differs).
    public var count: Int {
        secrets.withLock { $0.count }
    }

    /// `text` with every registered secret replaced by ``mask``.
    public func redact(_ text: String) -> String {
        let current = secrets.withLock { $0 }
        return Self.redact(text, secrets: current)
    }

    /// A snapshot for redacting many strings of one log event under one lock acquisition.
    func snapshot() -> [String] {
        secrets.withLock { $0 }
    }

    static func redact(_ text: String, secrets: [String]) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = masking(secret, in: result)
        }
        return result
    }

    /// `text` with each occurrence of `secret` that stands as a value (see the type's documentation) replaced.
    static func masking(_ secret: String, in text: String) -> String {
        let haystack = Array(text.utf8)
        let needle = Array(secret.utf8)
        guard !needle.isEmpty, haystack.count >= needle.count else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var copiedUpTo = 0
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle),
               i == 0 || !isWordByte(haystack[i - 1]),
               i + needle.count == haystack.count || !isWordByte(haystack[i + needle.count]) {
                out.append(contentsOf: haystack[copiedUpTo..<i])
                out.append(contentsOf: mask.utf8)
                i += needle.count
                copiedUpTo = i
            } else {
                i += 1
            }
        }
        if copiedUpTo == 0 { return text }
        out.append(contentsOf: haystack[copiedUpTo...])
        return String(decoding: out, as: UTF8.self)
    }

    /// ASCII letters and digits: what a secret must not touch on either side to be masked.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }

    static func redact(_ value: Logger.MetadataValue, secrets: [String]) -> Logger.MetadataValue {
        switch value {
        case .string(let text):
            return .string(redact(text, secrets: secrets))
        case .stringConvertible(let convertible):
            let text = convertible.description
            let redacted = redact(text, secrets: secrets)
            return redacted == text ? value : .string(redacted)
        case .dictionary(let dictionary):
            var result: Logger.Metadata = [:]
            for (key, nested) in dictionary {
                result[redact(key, secrets: secrets)] = redact(nested, secrets: secrets)
            }
            return .dictionary(result)
        case .array(let array):
            return .array(array.map { redact($0, secrets: secrets) })
        }
    }
}
