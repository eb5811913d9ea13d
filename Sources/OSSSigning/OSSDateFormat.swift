public import Foundation

/// The two date formats OSS signing uses, in UTC, without `DateFormatter` (absent from FoundationEssentials).
///
/// Formatting truncates sub-second precision toward the past (a date of 12.9 s prints as 12 s). Parsing is strict
/// about the layout and field ranges and returns nil rather than guessing.
public enum OSSDateFormat {
    /// RFC 1123 / HTTP-date, always `GMT` and a two-digit day: `"Sat, 16 Dec 2023 16:20:57 GMT"`.
    public static func rfc1123(_ date: Date) -> String {
        let fields = CivilTime(date)
        return "\(weekdays[fields.weekday]), \(pad(fields.day, 2)) \(months[fields.month - 1]) \(pad(fields.year, 4)) "
            + "\(pad(fields.hour, 2)):\(pad(fields.minute, 2)):\(pad(fields.second, 2)) GMT"
    }

    /// ISO 8601 basic format in UTC: `"20231216T162057Z"` (the `x-oss-date` header of V4 signing).
    public static func iso8601Basic(_ date: Date) -> String {
        let fields = CivilTime(date)
        return "\(pad(fields.year, 4))\(pad(fields.month, 2))\(pad(fields.day, 2))T"
            + "\(pad(fields.hour, 2))\(pad(fields.minute, 2))\(pad(fields.second, 2))Z"
    }

    /// Parses `"Sat, 16 Dec 2023 16:20:57 GMT"`. The weekday is optional but, when present, must be a valid
    /// name; the day may have one or two digits; the zone must be `GMT` or `UTC`. Returns nil otherwise.
    public static func parseRFC1123(_ string: String) -> Date? {
        var parts = string.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if let first = parts.first, first.hasSuffix(",") {
            guard weekdays.contains(String(first.dropLast())) else { return nil }
            parts.removeFirst()
        }
        guard parts.count == 5, parts[4] == "GMT" || parts[4] == "UTC",
              let day = number(parts[0], digits: 1...2),
              let monthIndex = months.firstIndex(of: parts[1]),
              let year = number(parts[2], digits: 4...4)
        else { return nil }
        let clock = parts[3].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard clock.count == 3,
              let hour = number(clock[0], digits: 2...2),
              let minute = number(clock[1], digits: 2...2),
              let second = number(clock[2], digits: 2...2)
        else { return nil }
        return makeDate(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: second)
    }

    /// Parses `"20231216T162057Z"` (exactly 16 characters). Returns nil otherwise.
    public static func parseISO8601Basic(_ string: String) -> Date? {
        let bytes = Array(string.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        func field(_ range: Range<Int>) -> Int? {
            number(String(decoding: bytes[range], as: UTF8.self), digits: range.count...range.count)
        }
        guard let year = field(0..<4), let month = field(4..<6), let day = field(6..<8),
              let hour = field(9..<11), let minute = field(11..<13), let second = field(13..<15)
        else { return nil }
        return makeDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func number(_ string: String, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(string.utf8.count), string.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(string)
    }

    private static func makeDate(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Date? {
        guard (1...12).contains(month), (1...CivilTime.daysInMonth(year: year, month: month)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second)
        else { return nil }
        let days = CivilTime.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

/// Proleptic Gregorian calendar fields of an instant in UTC (H. Hinnant's days-from-civil algorithms).
struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    /// 0 = Sunday.
    var weekday: Int

    init(_ date: Date) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let (days, secondsOfDay) = Self.floorDivide(total, 86_400)
        hour = secondsOfDay / 3_600
        minute = secondsOfDay % 3_600 / 60
        second = secondsOfDay % 60
        weekday = Self.floorDivide(days + 4, 7).remainder  // 1970-01-01 was a Thursday.
        let shifted = days + 719_468
        let era = Self.floorDivide(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).quotient
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func floorDivide(_ a: Int, _ b: Int) -> (quotient: Int, remainder: Int) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
