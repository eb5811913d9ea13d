import KafkaBridge
import Testing

@Suite struct LinkTests {
    @Test func librdkafkaIsLinkedAndReportsItsVersion() {
        let version = Librdkafka.versionString
        let parts = version.split(separator: ".").compactMap { Int($0) }
        #expect(parts.count >= 3, "unexpected librdkafka version string \(version)")
        // 0xMMmmrrxx: the numeric version must agree with the string.
        let numeric = Librdkafka.version
        #expect(parts[0] == (numeric >> 24) & 0xff)
        #expect(parts[1] == (numeric >> 16) & 0xff)
        #expect(parts[2] == (numeric >> 8) & 0xff)
    }
}
