// SQLParameter / SQLDecodable: how Swift values travel to and from PostgreSQL's text format.
import Basics
import CLibpq
import Foundation

/// A value that can be bound to a `$n` placeholder. Encoded in PostgreSQL's text format;
/// `nil` is SQL NULL. Parameters always travel separately from the SQL text.
public protocol SQLParameter: Sendable {
    var sqlText: String? { get }
}

extension String: SQLParameter { public var sqlText: String? { self } }
extension Substring: SQLParameter { public var sqlText: String? { String(self) } }
extension Int: SQLParameter { public var sqlText: String? { String(self) } }
extension Int64: SQLParameter { public var sqlText: String? { String(self) } }
extension Int32: SQLParameter { public var sqlText: String? { String(self) } }
extension Int16: SQLParameter { public var sqlText: String? { String(self) } }
extension Double: SQLParameter {
    public var sqlText: String? {
        if isNaN { return "NaN" }
        if isInfinite { return self > 0 ? "Infinity" : "-Infinity" }
        return "\(self)"
    }
}
extension Bool: SQLParameter { public var sqlText: String? { self ? "t" : "f" } }
extension Date: SQLParameter { public var sqlText: String? { PGTime.format(self) } }
extension Optional: SQLParameter where Wrapped: SQLParameter {
    public var sqlText: String? { self.flatMap { $0.sqlText } }
}

/// A JSON document passed as text; cast it in SQL (`$1::jsonb`).
public struct JSONText: SQLParameter, Hashable {
    public var text: String
    public init(_ text: String) { self.text = text }
    /// Encodes any `Encodable` value with sorted keys, so equal values give equal text.
    public init<T: Encodable>(encoding value: T) throws {
        text = try JSONCoding.string(value, snakeCase: false)
    }
    public var sqlText: String? { text }
}

/// A PostgreSQL array literal (`{1,2,3}`, `{"a","b"}`) built from Swift values.
extension Array: SQLParameter where Element: SQLParameter {
    public var sqlText: String? {
        var out = "{"
        out.reserveCapacity(count * 8 + 2)
        for (i, v) in enumerated() {
            if i > 0 { out += "," }
            guard let t = v.sqlText else { out += "NULL"; continue }
            out += "\""
            for ch in t.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        out += "}"
        return out
    }
}

/// A value decodable from one column of a row in text format.
public protocol SQLDecodable: Sendable {
    /// Builds the value from the column's text; `nil` when the text does not parse.
    init?(sqlText: UnsafePointer<CChar>, length: Int)
}

extension String: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        self = sqlText.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }
}
extension Int64: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        var end: UnsafeMutablePointer<CChar>?
        errno = 0
        let v = strtoll(sqlText, &end, 10)
        guard errno == 0, let end, end == UnsafeMutablePointer(mutating: sqlText) + length, length > 0 else { return nil }
        self = v
    }
}
extension Int: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        guard let v = Int64(sqlText: sqlText, length: length) else { return nil }
        self = Int(v)
    }
}
extension Int32: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        guard let v = Int64(sqlText: sqlText, length: length), let w = Int32(exactly: v) else { return nil }
        self = w
    }
}
extension Double: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        var end: UnsafeMutablePointer<CChar>?
        let v = strtod(sqlText, &end)
        guard let end, end == UnsafeMutablePointer(mutating: sqlText) + length, length > 0 else { return nil }
        self = v
    }
}
extension Bool: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        guard length == 1 else { return nil }
        switch sqlText.pointee {
        case CChar(UInt8(ascii: "t")): self = true
        case CChar(UInt8(ascii: "f")): self = false
        default: return nil
        }
    }
}
extension Date: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        guard let d = PGTime.parse(sqlText, length: length) else { return nil }
        self = d
    }
}

/// Arrays of decodable elements, from PostgreSQL's array literal (one dimension).
extension Array: SQLDecodable where Element: SQLDecodable {
    public init?(sqlText: UnsafePointer<CChar>, length: Int) {
        guard let items = PGArrayLiteral.split(String(cString: sqlText)) else { return nil }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let item else { return nil }
            let parsed: Element? = item.withCString { Element(sqlText: $0, length: item.utf8.count) }
            guard let parsed else { return nil }
            out.append(parsed)
        }
        self = out
    }
}

/// Splits a one-dimensional array literal into its elements (`nil` for NULL).
enum PGArrayLiteral {
    static func split(_ text: String) -> [String?]? {
        let s = Array(text.utf8)
        guard s.count >= 2, s.first == UInt8(ascii: "{"), s.last == UInt8(ascii: "}") else { return nil }
        if s.count == 2 { return [] }
        var out: [String?] = []
        var i = 1
        while i < s.count - 1 {
            var bytes: [UInt8] = []
            var quoted = false
            if s[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < s.count - 1, s[i] != UInt8(ascii: "\"") {
                    if s[i] == UInt8(ascii: "\\") { i += 1 }
                    bytes.append(s[i]); i += 1
                }
                i += 1 // closing quote
            } else {
                while i < s.count - 1, s[i] != UInt8(ascii: ",") { bytes.append(s[i]); i += 1 }
            }
            let str = String(decoding: bytes, as: UTF8.self)
            out.append(!quoted && str == "NULL" ? nil : str)
            i += 1 // comma
        }
        return out
    }
}

/// Timestamp text in the form the server uses with `DateStyle=ISO` and `TimeZone=UTC`,
/// which every connection of ours sets.
public enum PGTime {
    /// `2026-11-26 03:45:37.123456+00`
    public static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var secs = time_t(t.rounded(.down))
        var micros = Int(((t - Double(secs)) * 1_000_000).rounded())
        if micros >= 1_000_000 { secs += 1; micros -= 1_000_000 }
        var tm = tm()
        gmtime_r(&secs, &tm)
        func pad(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let us = String(micros)
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2)) "
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))."
            + String(repeating: "0", count: 6 - us.count) + us + "+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` (also a bare date).
    public static func parse(_ p: UnsafePointer<CChar>, length: Int) -> Date? {
        let b = UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: length)
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n { let c = b[i + k]; guard c >= 48 && c <= 57 else { return nil }; v = v * 10 + Int(c - 48) }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool { guard i < b.count, b[i] == c else { return false }; i += 1; return true }
        guard let y = num(4), expect(45), let mo = num(2), expect(45), let d = num(2) else { return nil }
        var h = 0, mi = 0, s = 0, frac = 0.0, offset = 0
        if i < b.count, b[i] == 32 || b[i] == 84 {
            i += 1
            guard let hh = num(2), expect(58), let mm = num(2), expect(58), let ss = num(2) else { return nil }
            h = hh; mi = mm; s = ss
            if i < b.count, b[i] == 46 {
                i += 1
                var scale = 0.1
                while i < b.count, b[i] >= 48, b[i] <= 57 { frac += Double(b[i] - 48) * scale; scale /= 10; i += 1 }
            }
            if i < b.count, b[i] == 43 || b[i] == 45 {
                let sign = b[i] == 45 ? -1 : 1
                i += 1
                guard let oh = num(2) else { return nil }
                var om = 0
                if i < b.count, b[i] == 58 { i += 1; om = num(2) ?? 0 }
                if i < b.count, b[i] == 58 { i += 1; _ = num(2) }
                offset = sign * (oh * 3600 + om * 60)
            }
        }
        var tm = tm()
        tm.tm_year = Int32(y - 1900); tm.tm_mon = Int32(mo - 1); tm.tm_mday = Int32(d)
        tm.tm_hour = Int32(h); tm.tm_min = Int32(mi); tm.tm_sec = Int32(s)
        let epoch = timegm(&tm)
        return Date(timeIntervalSince1970: Double(epoch - offset) + frac)
    }
}
