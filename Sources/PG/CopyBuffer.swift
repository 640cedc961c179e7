// CopyBuffer: building COPY text rows as bytes, fast, for bulk loads (`Connection.copyIn`).
import Foundation

/// Rows in PostgreSQL's COPY text format (tab-separated, `\N` for NULL, newline-terminated).
/// Callers only write values that need no escaping (numbers, dates, our own ASCII words).
public struct CopyBuffer: Sendable {
    public var bytes: [UInt8] = []
    public var rows = 0

    public init(capacity: Int = 1 << 16) { bytes.reserveCapacity(capacity) }

    public mutating func int<T: BinaryInteger>(_ v: T) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = UInt64(v.magnitude)
        var digits = 1
        var t = m
        while t >= 10 { t /= 10; digits += 1 }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(48, count: digits))
        var i = start + digits - 1
        repeat { bytes[i] = 48 + UInt8(m % 10); m /= 10; i -= 1 } while m > 0
    }
    /// A fixed-point decimal with two places (money).
    public mutating func cents(_ c: Int) {
        int(c / 100); bytes.append(UInt8(ascii: "."))
        let r = abs(c % 100)
        if r < 10 { bytes.append(UInt8(ascii: "0")) }
        int(r)
    }
    public mutating func text(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    public mutating func text(_ s: String) { bytes.append(contentsOf: s.utf8) }
    public mutating func raw(_ b: ArraySlice<UInt8>) { bytes.append(contentsOf: b) }
    public mutating func null() { bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "N")) }
    public mutating func tab() { bytes.append(9) }
    public mutating func end() { bytes.append(10); rows += 1 }
}
