// ValueFormat: how a report value reads — currency, percent, month names — in HTML and text.
import Basics
import Foundation

/// Formats one value of a report by its column type. Absent values (JSON null) read "—";
/// the page explains what that means.
struct ValueFormat: Sendable {
    /// ISO 4217 code of the reporting currency, or nil for reports without money.
    let currency: String?

    static let absent = "—"

    func text(_ value: JSONValue, _ type: ReportDocument.ValueType) -> String {
        switch value {
        case .null: return Self.absent
        case .string(let s):
            switch type {
            case .month: return Self.month(s)
            case .date: return String(s.prefix(10))
            default: return s
            }
        case .bool(let b): return b ? "yes" : "no"
        case .number(let n):
            switch type {
            case .count: return Self.grouped(n, decimals: 0)
            case .money: return money(n)
            case .percent: return Self.grouped(n * 100, decimals: 1) + " %"
            case .ratio: return Self.grouped(n, decimals: 2) + "×"
            case .days: return Self.grouped(n, decimals: 1) + " d"
            case .number, .text, .month, .date: return Self.grouped(n, decimals: abs(n) >= 100 ? 1 : (n == n.rounded() ? 0 : 3))
            }
        case .array, .object: return value.serialized
        }
    }

    func money(_ n: Double) -> String {
        let body = Self.grouped(abs(n), decimals: abs(n) >= 10_000 ? 0 : 2)
        let sign = n < 0 ? "−" : ""
        switch currency {
        case "GBP"?: return sign + "£" + body
        case "USD"?: return sign + "$" + body
        case "EUR"?: return sign + "€" + body
        case "AUD"?: return sign + "A$" + body
        case let c?: return sign + body + " " + c
        case nil: return sign + body
        }
    }

    /// `1234567.5` → `1,234,567.5` (fixed decimals, thousands separated, minus as U+2212).
    static func grouped(_ n: Double, decimals: Int) -> String {
        guard n.isFinite else { return absent }
        let s = String(format: "%.\(decimals)f", abs(n))
        let parts = s.split(separator: ".", maxSplits: 1)
        var digits = Array(parts[0])
        var out: [Character] = []
        while digits.count > 3 {
            out.insert(contentsOf: [","] + digits.suffix(3), at: 0)
            digits.removeLast(3)
        }
        out.insert(contentsOf: digits, at: 0)
        var result = String(out)
        if parts.count == 2 { result += "." + parts[1] }
        return (n < 0 && result.contains(where: { $0 != "0" && $0 != "." && $0 != "," }) ? "−" : "") + result
    }

    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2026-10-01` → `Oct 2026`.
    static func month(_ iso: String) -> String {
        let p = iso.prefix(7).split(separator: "-")
        guard p.count == 2, let m = Int(p[1]), (1...12).contains(m) else { return iso }
        return "\(monthNames[m - 1]) \(p[0])"
    }
}

/// Escapes text for HTML element content and attribute values.
/// HTML escaping for text and attribute values: the one escaper (reports and the console).
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
