public import Foundation

/// The calendar fields of an instant in the configured time zone.
public struct LocalTime: Sendable, Hashable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }
}

/// Converts epoch milliseconds into local calendar fields and time-bucket boundaries (DST aware, via Foundation's
/// Gregorian calendar in an IANA time zone).
public struct TimeBuckets: Sendable {
    public let calendar: Calendar
    public let granularity: Calendar.Component?

    public init(timeZone: TimeZone, granularity: Calendar.Component?) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
        self.granularity = granularity
    }

    static func date(_ ms: Int64) -> Date { Date(timeIntervalSince1970: Double(ms) / 1000) }

    /// The local fields of `ms` (epoch milliseconds).
    public func localTime(_ ms: Int64) -> LocalTime {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: Self.date(ms))
        return LocalTime(year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hour: c.hour ?? 0, minute: c.minute ?? 0)
    }

    /// Epoch milliseconds of `time` in the time zone (the earlier one when a DST change repeats it).
    public func instant(of time: LocalTime) -> Int64? {
        let components = DateComponents(year: time.year, month: time.month, day: time.day, hour: time.hour, minute: time.minute)
        return calendar.date(from: components).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    /// The first millisecond after the bucket holding `ms`; `Int64.max` when the template has no time fields.
    public func bucketEnd(_ ms: Int64) -> Int64 {
        guard let granularity, let interval = calendar.dateInterval(of: granularity, for: Self.date(ms)) else {
            return .max
        }
        return Int64((interval.end.timeIntervalSince1970 * 1000).rounded())
    }
}
