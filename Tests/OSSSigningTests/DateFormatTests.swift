import Foundation
import OSSSigning
import SinkTesting
import Testing

@Suite("RFC 1123 and ISO 8601 basic dates")
struct DateFormatTests {
    @Test("known instants")
    func knownInstants() {
        let date = Date(timeIntervalSince1970: 1_702_743_657)
        #expect(OSSDateFormat.rfc1123(date) == "Sat, 16 Dec 2023 16:20:57 GMT")
        #expect(OSSDateFormat.iso8601Basic(date) == "20231216T162057Z")
        #expect(OSSDateFormat.rfc1123(Date(timeIntervalSince1970: 0)) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(OSSDateFormat.rfc1123(Date(timeIntervalSince1970: 951_782_400)) == "Tue, 29 Feb 2000 00:00:00 GMT")
        #expect(OSSDateFormat.iso8601Basic(Date(timeIntervalSince1970: -1)) == "19691231T235959Z")
        // 2100 is not a leap year.
        #expect(OSSDateFormat.rfc1123(Date(timeIntervalSince1970: 4_107_542_399)) == "Sun, 28 Feb 2100 23:59:59 GMT")
        #expect(OSSDateFormat.rfc1123(Date(timeIntervalSince1970: 4_107_542_400)) == "Mon, 01 Mar 2100 00:00:00 GMT")
        // Sub-second precision is truncated toward the past.
        #expect(OSSDateFormat.iso8601Basic(Date(timeIntervalSince1970: 1_702_743_657.999)) == "20231216T162057Z")
        #expect(OSSDateFormat.iso8601Basic(Date(timeIntervalSince1970: -0.5)) == "19691231T235959Z")
    }

    @Test("format then parse round-trips whole seconds from 1901 to 2099")
    func roundTrip() {
        var rng = SplitMix64(seed: 1123)
        for _ in 0..<2000 {
            let seconds = Int64(rng.below(6_200_000_000)) - 2_200_000_000
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(OSSDateFormat.parseRFC1123(OSSDateFormat.rfc1123(date)) == date)
            #expect(OSSDateFormat.parseISO8601Basic(OSSDateFormat.iso8601Basic(date)) == date)
        }
    }

    @Test("parser tolerance and rejections")
    func parsing() {
        let date = Date(timeIntervalSince1970: 1_702_743_657)
        #expect(OSSDateFormat.parseRFC1123("16 Dec 2023 16:20:57 GMT") == date)
        #expect(OSSDateFormat.parseRFC1123("Sat, 6 Jan 2024 00:00:00 GMT") == OSSDateFormat.parseRFC1123("Sat, 06 Jan 2024 00:00:00 GMT"))
        #expect(OSSDateFormat.parseRFC1123("Sat, 16 Dec 2023 16:20:57 UTC") == date)
        for bad in ["", "Sat, 16 Dec 2023 16:20:57", "Sat, 16 Dec 2023 16:20:57 PST", "Xyz, 16 Dec 2023 16:20:57 GMT",
                    "Sat, 16 Foo 2023 16:20:57 GMT", "Sat, 31 Feb 2023 16:20:57 GMT", "Sat, 16 Dec 2023 24:00:00 GMT",
                    "Sat, 16 Dec 23 16:20:57 GMT", "Sat, 16 Dec 2023 16:20 GMT", "20231216T162057Z"] {
            #expect(OSSDateFormat.parseRFC1123(bad) == nil, "\(bad)")
        }
        for bad in ["", "20231216T162057", "2023-12-16T16:20:57Z", "20231216t162057Z", "20231316T162057Z",
                    "20230229T000000Z", "20231216T166057Z", "2023121AT162057Z", "Sat, 16 Dec 2023 16:20:57 GMT"] {
            #expect(OSSDateFormat.parseISO8601Basic(bad) == nil, "\(bad)")
        }
        #expect(OSSDateFormat.parseISO8601Basic("20240229T000000Z") != nil)
    }
}
