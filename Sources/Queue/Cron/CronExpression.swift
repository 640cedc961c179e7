// CronExpression: standard 5-field cron ("m h dom mon dow"), evaluated in a time zone.
import Basics
import Foundation

/// A parsed cron schedule. Fields: minute 0-59, hour 0-23, day of month 1-31, month
/// 1-12 (or JAN-DEC), day of week 0-7 (0 and 7 are Sunday, or SUN-SAT). Each field takes
/// `*`, numbers, ranges `a-b`, steps `*/n` or `a-b/n`, and lists `a,b`. Macros:
/// `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`. As in Vixie cron, when both
/// day fields are restricted a day matches if either does.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let source: String
    let minutes: Set<Int>, hours: Set<Int>, days: Set<Int>, months: Set<Int>, weekdays: Set<Int>
    let dayRestricted: Bool, weekdayRestricted: Bool

    public var description: String { source }

    public init(_ text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expanded: String
        switch trimmed.lowercased() {
        case "@yearly", "@annually": expanded = "0 0 1 1 *"
        case "@monthly": expanded = "0 0 1 * *"
        case "@weekly": expanded = "0 0 * * 0"
        case "@daily", "@midnight": expanded = "0 0 * * *"
        case "@hourly": expanded = "0 * * * *"
        default: expanded = trimmed
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else { throw CronError(text, "needs 5 fields (minute hour day month weekday), got \(fields.count)") }
        source = trimmed
        minutes = try CronExpression.field(fields[0], 0...59, names: [:], text)
        hours = try CronExpression.field(fields[1], 0...23, names: [:], text)
        days = try CronExpression.field(fields[2], 1...31, names: [:], text)
        let monthNames = ["jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12]
        months = try CronExpression.field(fields[3], 1...12, names: monthNames, text)
        let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]
        var wd = try CronExpression.field(fields[4], 0...7, names: dayNames, text)
        if wd.contains(7) { wd.remove(7); wd.insert(0) }
        weekdays = wd
        dayRestricted = fields[2] != "*" && !fields[2].hasPrefix("*/")
        weekdayRestricted = fields[4] != "*" && !fields[4].hasPrefix("*/")
    }

    private static func field(_ f: String, _ range: ClosedRange<Int>, names: [String: Int], _ text: String) throws -> Set<Int> {
        var out = Set<Int>()
        func value(_ s: Substring) throws -> Int {
            if let v = Int(s), range.contains(v) { return v }
            if let v = names[s.lowercased()] { return v }
            throw CronError(text, "'\(s)' is not in \(range.lowerBound)-\(range.upperBound)")
        }
        for part in f.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw CronError(text, "empty list item in '\(f)'") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw CronError(text, "'\(part)' has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw CronError(text, "step '\(pieces[1])' must be a positive number") }
                step = s
            }
            let lo: Int, hi: Int
            if pieces[0] == "*" {
                lo = range.lowerBound; hi = range.upperBound
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lo = try value(pieces[0][..<dash]); hi = try value(pieces[0][pieces[0].index(after: dash)...])
                guard lo <= hi else { throw CronError(text, "range '\(pieces[0])' runs backwards") }
            } else {
                lo = try value(pieces[0]); hi = pieces.count == 2 ? range.upperBound : lo
            }
            for v in stride(from: lo, through: hi, by: step) { out.insert(v) }
        }
        return out
    }

    /// The first time strictly after `date` that matches, in `timeZone`'s wall clock.
    /// Wall-clock times skipped by a DST change do not fire that day.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        var t = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        for _ in 0..<200_000 {
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            guard let y = c.year, let mo = c.month, let d = c.day, let h = c.hour, let mi = c.minute, let wd = c.weekday else { return nil }
            if !months.contains(mo) {
                guard let n = cal.date(from: DateComponents(year: y, month: mo + 1, day: 1)) else { return nil }
                t = n; continue
            }
            if !dayMatches(day: d, weekday: wd - 1) {
                guard let n = cal.date(from: DateComponents(year: y, month: mo, day: d + 1)) else { return nil }
                t = n; continue
            }
            if !hours.contains(h) {
                guard let n = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h + 1)), n > t else {
                    t = t.addingTimeInterval(3600); continue
                }
                t = n; continue
            }
            if !minutes.contains(mi) { t = t.addingTimeInterval(60); continue }
            return t
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (dayRestricted, weekdayRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return days.contains(day) && weekdays.contains(weekday)
        }
    }
}

/// A cron expression that does not parse, with the reason.
public struct CronError: CodedError {
    public let code: ErrorCode<CronError> = .invalidExpression
    public let expression: String
    public let reason: String
    init(_ expression: String, _ reason: String) { self.expression = expression; self.reason = reason }
    public var message: String { "invalid cron expression '\(expression)': \(reason)" }
    public var description: String { message }
}

extension ErrorCode where Domain == CronError {
    /// The expression does not parse (fields, ranges, steps).
    public static let invalidExpression = Self("invalidExpression")
}
