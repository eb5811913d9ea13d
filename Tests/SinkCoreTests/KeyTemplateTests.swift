import Foundation
import Testing
@testable import SinkCore

@Suite struct KeyTemplateTests {
    let t0 = LocalTime(year: 2024, month: 3, day: 9, hour: 7, minute: 5)

    @Test func defaultTemplateMatchesTheDesign() {
        let key = KeyTemplate.default.render(prefix: "archive/", topic: "events", partition: 3, offset: 1234, time: t0, ext: ".jsonl")
        #expect(key == "archive/events/3/2024/03/09/events+3+00000000000000001234.jsonl")
        #expect(KeyTemplate.default.timeGranularity == .day)
    }

    @Test func widthsAndSuffix() throws {
        let t = try KeyTemplate("{topic}-{partition:3}-{offset:8}-{offset}-{HH}{mm}{ext}")
        #expect(t.render(prefix: "", topic: "x", partition: 7, offset: 42, time: t0, ext: ".bin") == "x-007-00000042-42-0705.bin")
        #expect(t.render(prefix: "", topic: "x", partition: 7, offset: 123_456_789, time: t0, ext: ".bin", suffix: 2)
                == "x-007-123456789-123456789-0705~2.bin")
        #expect(t.timeGranularity == .minute)
        let noExt = try KeyTemplate("{topic}/{partition}/{offset:020}")
        #expect(noExt.render(prefix: "", topic: "x", partition: 0, offset: 1, time: t0, ext: ".jsonl", suffix: 1)
                == "x/0/00000000000000000001~1")
        #expect(noExt.timeGranularity == nil)
        let braces = try KeyTemplate("{{lit}}/{topic}/{partition}/{offset}")
        #expect(braces.render(prefix: "", topic: "x", partition: 0, offset: 1, time: t0, ext: "") == "{lit}/x/0/1")
    }

    @Test(arguments: [
        ("{topic}/{partition}/{offset}/{yyyyy}", KeyTemplateError.Code.unknownPlaceholder),
        ("{topic}/{partition}/{ofset}", .unknownPlaceholder),
        ("{topic}/{partition}/{yyyy}", .notUnique),
        ("{topic}/{offset}", .notUnique),
        ("{partition}/{offset}", .notUnique),
        ("{topic}/{partition}/{offset", .unbalancedBrace),
        ("{topic}/{partition}/{offset}}", .unbalancedBrace),
        ("{topic}/{partition}/{offset:0}", .invalidWidth),
        ("{topic}/{partition}/{offset:x}", .invalidWidth),
        ("{topic:3}/{partition}/{offset}", .invalidWidth),
        ("/{topic}/{partition}/{offset}", .invalidKey),
    ])
    func invalidTemplatesAreRejectedWithAReason(source: String, code: KeyTemplateError.Code) {
        #expect {
            _ = try KeyTemplate(source)
        } throws: { error in
            guard let e = error as? KeyTemplateError else { return false }
            return e.code == code && e.description.contains(source) && !e.message.isEmpty
        }
    }

    @Test func timeZonesShiftTheDate() {
        let shanghai = TimeBuckets(timeZone: TimeZone(identifier: "Asia/Shanghai")!, granularity: .day)
        let ms: Int64 = 1_704_052_800_000  // 2023-12-31T20:00:00Z
        #expect(shanghai.localTime(ms) == LocalTime(year: 2024, month: 1, day: 1, hour: 4, minute: 0))
        let utc = TimeBuckets(timeZone: TimeZone(identifier: "UTC")!, granularity: .day)
        #expect(utc.localTime(ms) == LocalTime(year: 2023, month: 12, day: 31, hour: 20, minute: 0))
        #expect(shanghai.bucketEnd(ms) == 1_704_124_800_000)  // 2024-01-02T00:00+08:00
        #expect(utc.bucketEnd(ms) == 1_704_067_200_000)  // 2024-01-01T00:00Z
    }

    @Test func daylightSavingTransitionsAreRespected() {
        let ny = TimeZone(identifier: "America/New_York")!
        // 2024-03-10: 02:00 EST jumps to 03:00 EDT (07:00Z).
        let beforeJump: Int64 = 1_710_053_940_000  // 06:59Z = 01:59 EST
        let afterJump: Int64 = 1_710_054_000_000   // 07:00Z = 03:00 EDT
        let hours = TimeBuckets(timeZone: ny, granularity: .hour)
        #expect(hours.localTime(beforeJump) == LocalTime(year: 2024, month: 3, day: 10, hour: 1, minute: 59))
        #expect(hours.localTime(afterJump) == LocalTime(year: 2024, month: 3, day: 10, hour: 3, minute: 0))
        #expect(hours.bucketEnd(beforeJump) == afterJump)
        // That day has 23 hours: the day bucket starting at local midnight (05:00Z) ends 23h later.
        let days = TimeBuckets(timeZone: ny, granularity: .day)
        let midnight: Int64 = 1_710_046_800_000  // 2024-03-10T05:00Z
        #expect(days.bucketEnd(midnight) - midnight == 23 * 3_600_000)
        // 2024-11-03: 01:00-02:00 local happens twice; the first 01:xx hour bucket ends at 06:00Z.
        let firstOne: Int64 = 1_730_611_800_000  // 05:30Z = 01:30 EDT
        #expect(hours.localTime(firstOne).hour == 1)
        #expect(hours.bucketEnd(firstOne) == 1_730_613_600_000)
        #expect(hours.localTime(1_730_615_400_000).hour == 1)  // 06:30Z = 01:30 EST
        let fallMidnight: Int64 = 1_730_606_400_000  // 2024-11-03T04:00Z = 00:00 EDT
        #expect(days.bucketEnd(fallMidnight) - fallMidnight == 25 * 3_600_000)
    }
}

@Suite struct KeyMatchingTests {
    @Test func timeFieldsAreReadBackFromKeys() throws {
        let t = KeyTemplate.default
        let time = LocalTime(year: 2024, month: 2, day: 29, hour: 0, minute: 0)
        let key = t.render(prefix: "arch/", topic: "events", partition: 3, offset: 77, time: time, ext: ".jsonl.gz")
        #expect(t.timeFields(ofKey: key, prefix: "arch/", topic: "events", partition: 3, ext: ".jsonl.gz") == time)
        let suffixed = t.render(prefix: "arch/", topic: "events", partition: 3, offset: 77, time: time, ext: ".jsonl.gz", suffix: 2)
        #expect(t.timeFields(ofKey: suffixed, prefix: "arch/", topic: "events", partition: 3, ext: ".jsonl.gz") == time)
        #expect(t.timeFields(ofKey: key, prefix: "arch/", topic: "events", partition: 4, ext: ".jsonl.gz") == nil)
        #expect(t.timeFields(ofKey: "someone/else.txt", prefix: "", topic: "events", partition: 3, ext: ".jsonl") == nil)
        let hm = try KeyTemplate("{topic}-{partition}-{HH}{mm}-{offset}")
        #expect(hm.timeFields(ofKey: "t-0-2359-5", prefix: "", topic: "t", partition: 0, ext: "")?.minute == 59)
    }

    @Test func localTimesConvertBackToInstants() {
        let ny = TimeBuckets(timeZone: TimeZone(identifier: "America/New_York")!, granularity: .hour)
        #expect(ny.instant(of: LocalTime(year: 2024, month: 3, day: 10, hour: 3, minute: 0)) == 1_710_054_000_000)
    }
}
