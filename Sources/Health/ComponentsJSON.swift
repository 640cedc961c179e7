// ComponentsJSON: the compact JSON of a score's components, written fast for 100k-row batches.
import Basics
import Foundation

/// The one shape of `cs.health_scores.components`:
/// `{"key": {"raw": r, "score": s, "weight": w, "effective_weight": e}, …}` (usage_trend adds
/// `"basis": "baseline" | "same_weeks_last_year"`). Encoded by hand with
/// fixed precision (JSONEncoder is the slowest step at 100k rows); decoded into `Entry`.
enum ComponentsJSON {
    /// One stored component (the key is the object's member name).
    struct Entry: Decodable, Sendable {
        var raw: Double?
        var score: Double?
        var weight: Double
        var effectiveWeight: Double
        var basis: TrendBasis?
    }

    /// Decodes a stored components object, keyed by component name.
    static func decode(_ json: String) throws -> [String: Entry] {
        try JSONCoding.decoder().decode([String: Entry].self, from: Data(json.utf8))
    }

    static func encode(_ parts: [ComponentScore]) -> String {
        var s = "{"
        s.reserveCapacity(80 * parts.count)
        for (i, p) in parts.enumerated() {
            if i > 0 { s += "," }
            s += "\""; s += p.key.rawValue; s += "\":{\"raw\":"
            appendNumber(p.raw, decimals: 4, to: &s)
            s += ",\"score\":"
            appendNumber(p.score, decimals: 2, to: &s)
            s += ",\"weight\":"
            appendNumber(p.weight, decimals: 4, to: &s)
            s += ",\"effective_weight\":"
            appendNumber(p.effectiveWeight, decimals: 4, to: &s)
            if let basis = p.basis { s += ",\"basis\":\""; s += basis.rawValue; s += "\"" }
            s += "}"
        }
        s += "}"
        return s
    }

    private static let scales: [Double] = [1, 10, 100, 1000, 10000]

    /// Appends `x` rounded to `decimals` places without trailing zeros; `null` for nil or non-finite.
    static func appendNumber(_ x: Double?, decimals: Int, to s: inout String) {
        guard let x, x.isFinite, abs(x) < 1e12 else { s += "null"; return }
        let scale = scales[min(decimals, scales.count - 1)]
        let scaled = Int64((x * scale).rounded())
        if scaled < 0 { s += "-" }
        let mag = scaled.magnitude
        let unit = UInt64(scale)
        s += String(mag / unit)
        var frac = mag % unit
        guard frac > 0 else { return }
        var width = decimals
        while frac % 10 == 0 { frac /= 10; width -= 1 }
        let digits = String(frac)
        s += "."
        if digits.count < width { s += String(repeating: "0", count: width - digits.count) }
        s += digits
    }
}
