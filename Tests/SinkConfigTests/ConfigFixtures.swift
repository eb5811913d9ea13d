import KafkaBridge
import SinkConfig

let librdkafkaValidator = KafkaPropertyValidator(knownNames: KafkaPropertyCatalog.knownNames) { name, value in
    KafkaPropertyCatalog.check(name: name, value: value)
}

/// A minimal valid configuration; tests replace or add lines to break it.
let minimalYAML = """
    kafka:
      bootstrap_servers: "127.0.0.1:9092"
      group_id: "archiver"
      topics: ["events"]
    oss:
      endpoint: "https://oss-cn-hangzhou.aliyuncs.com"
      region: "cn-hangzhou"
      bucket: "examplebucket"
      credentials:
        provider: static
        access_key_id: "AKID-EXAMPLE"
        access_key_secret: "${SECRET_FOR_TEST}"
    """

let testEnvironment = ["SECRET_FOR_TEST": "s3cr3t-VALUE-never-printed"]

func parse(_ yaml: String, environment: [String: String] = testEnvironment) throws(ConfigError) -> SinkConfiguration.Loaded {
    try SinkConfiguration.parse(yaml: yaml, environment: environment, propertyValidator: librdkafkaValidator)
}

/// The problems of a configuration that must fail, rendered as `path: message`.
func problems(_ yaml: String, environment: [String: String] = testEnvironment) -> [String] {
    do {
        _ = try parse(yaml, environment: environment)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

/// `minimalYAML` with the line containing `old` replaced by `new` (or `new` appended when `old` is nil).
func variant(replacing old: String? = nil, with new: String) -> String {
    guard let old else { return minimalYAML + "\n" + new }
    var lines = minimalYAML.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let index = lines.firstIndex(where: { $0.contains(old) }) else {
        fatalError("fixture has no line containing \(old)")
    }
    if new.isEmpty { lines.remove(at: index) } else { lines[index] = new }
    return lines.joined(separator: "\n")
}
