internal import CRdKafka

/// The librdkafka library this process is linked against.
public enum Librdkafka {
    /// The version string reported by `rd_kafka_version_str()`, for example `2.0.2`.
    public static var versionString: String {
        String(cString: rd_kafka_version_str())
    }

    /// The numeric version reported by `rd_kafka_version()` (`0xMMmmrrxx`).
    public static var version: Int {
        Int(rd_kafka_version())
    }
}
