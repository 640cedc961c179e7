// ReportPeriod: the half-open date range a report covers, from `--period` or `--from/--to`.
import Foundation

/// `[from, to)` in whole days, UTC. Parsed from `2026-10` (a month), `2026-Q3` (a quarter),
/// `2026` (a year), or two ISO dates.
public struct ReportPeriod: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `yyyy-MM-dd`.
    public let from: String
    /// `yyyy-MM-dd`, exclusive.
    public let to: String

    public var description: String { "\(from)…\(to)" }

    public init(from: String, to: String) throws {
        guard let f = Self.day(from) else { throw ReportError.invalidPeriod("'\(from)' is not a date (YYYY-MM-DD)") }
        guard let t = Self.day(to) else { throw ReportError.invalidPeriod("'\(to)' is not a date (YYYY-MM-DD)") }
        guard t > f else { throw ReportError.invalidPeriod("the end \(to) must come after the start \(from)") }
        guard t.timeIntervalSince(f) <= 10 * 366 * 86_400 else { throw ReportError.invalidPeriod("a period is at most ten years") }
        self.from = from
        self.to = to
    }

    /// `2026-10`, `2026-Q3` or `2026`.
    public init(period text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let year = Int(parts[0]), (1970...2200).contains(year), parts[0].count == 4 else {
            throw ReportError.invalidPeriod("'\(text)' is not a period: use 2026-10, 2026-Q3 or 2026")
        }
        switch parts.count {
        case 1:
            try self.init(from: Self.first(year, 1), to: Self.first(year + 1, 1))
        case 2 where parts[1].uppercased().hasPrefix("Q"):
            guard let q = Int(parts[1].dropFirst()), (1...4).contains(q) else {
                throw ReportError.invalidPeriod("'\(text)': a quarter is Q1…Q4")
            }
            let (y2, m2) = q == 4 ? (year + 1, 1) : (year, q * 3 + 1)
            try self.init(from: Self.first(year, q * 3 - 2), to: Self.first(y2, m2))
        case 2:
            guard let m = Int(parts[1]), (1...12).contains(m), parts[1].count == 2 else {
                throw ReportError.invalidPeriod("'\(text)': a month is 01…12")
            }
            let (y2, m2) = m == 12 ? (year + 1, 1) : (year, m + 1)
            try self.init(from: Self.first(year, m), to: Self.first(y2, m2))
        default:
            throw ReportError.invalidPeriod("'\(text)' is not a period: use 2026-10, 2026-Q3 or 2026")
        }
    }

    /// The default period of a kind, relative to `now`: the last complete month (the 12
    /// months before it for cohorts; from today for renewals).
    public static func defaultPeriod(for kind: ReportKind, now: Date = Date()) -> ReportPeriod {
        let c = Self.calendar.dateComponents([.year, .month, .day], from: now)
        let (y, m) = (c.year ?? 2026, c.month ?? 1)
        let thisMonth = Self.first(y, m)
        let (py, pm) = m == 1 ? (y - 1, 12) : (y, m - 1)
        let lastMonth = Self.first(py, pm)
        switch kind {
        case .cohorts:
            return ReportPeriod(checked: Self.first(y - 1, m), thisMonth)
        case .renewals:
            return ReportPeriod(checked: Self.format(now), Self.format(now.addingTimeInterval(91 * 86_400)))
        default:
            return ReportPeriod(checked: lastMonth, thisMonth)
        }
    }

    /// Dates computed by this type itself, already well formed and ordered.
    private init(checked from: String, _ to: String) {
        self.from = from
        self.to = to
    }

    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        return c
    }()

    static func first(_ year: Int, _ month: Int) -> String { String(format: "%04d-%02d-01", year, month) }

    /// `date` as `yyyy-MM-dd` (UTC), as periods are written.
    public static func isoDay(_ date: Date) -> String { format(date) }

    static func format(_ date: Date) -> String {
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 1970, c.month ?? 1, c.day ?? 1)
    }

    static func day(_ text: String) -> Date? {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3, text.count == 10, (1...12).contains(p[1]), (1...31).contains(p[2]) else { return nil }
        let d = calendar.date(from: DateComponents(year: p[0], month: p[1], day: p[2]))
        // Reject dates the calendar rolls over (2026-02-31).
        guard let d, format(d) == text else { return nil }
        return d
    }
}
