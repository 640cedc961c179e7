// DayTable: ASCII dates and months for the demo seeder's COPY rows.
import Foundation
import PG

/// ASCII dates and months for a range of days since 1970-01-01, computed once per seeding.
struct DayTable: Sendable {
    let first: Int
    private let ascii: [UInt8]     // 10 bytes per day: YYYY-MM-DD
    private let months: [UInt8]    // 1...12

    init(first: Int, last: Int) {
        self.first = first
        var a: [UInt8] = [], m: [UInt8] = []
        a.reserveCapacity((last - first + 1) * 10)
        for day in first...last {
            let (y, mo, d) = DayTable.civil(day)
            let s = String(format: "%04d-%02d-%02d", y, mo, d)
            a.append(contentsOf: s.utf8)
            m.append(UInt8(mo))
        }
        ascii = a
        months = m
    }

    func date(_ day: Int) -> ArraySlice<UInt8> {
        let i = (day - first) * 10
        return ascii[i..<(i + 10)]
    }
    func month(_ day: Int) -> Int { Int(months[day - first]) }

    /// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
