// SVGChart: the charts of a report, drawn as inline SVG by our own code (no JavaScript,
// no fonts or files fetched): lines, bars with error bars, stacked bars, heat maps and a
// calibration plot. Every value is also in the table beside the chart.
import Foundation

/// One named row of values along the x axis; nil is a gap.
public struct ChartSeries: Sendable {
    var name: String
    var values: [Double?]
    var color: String?
    public init(name: String, values: [Double?], color: String? = nil) { self.name = name; self.values = values; self.color = color }
}

public enum SVGChart {
    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"]
    static let width = 720.0, height = 280.0
    static let left = 64.0, right = 16.0, top = 16.0, bottom = 56.0

    static func color(_ i: Int, _ s: ChartSeries) -> String { s.color ?? palette[i % palette.count] }

    // MARK: - Line chart

    /// `includeZero: false` fits the axis to the values (retention rates near 100 %).
    public static func line(title: String, labels: [String], series: [ChartSeries], format: (Double) -> String, includeZero: Bool = true) -> String {
        let all = series.flatMap { $0.values.compactMap { $0 } }
        guard let lo = all.min(), let hi = all.max() else { return empty(title) }
        let pad = includeZero ? 0 : max((hi - lo) * 0.15, abs(hi) * 0.01)
        let scale = includeZero ? YScale(min(0, lo), max(hi, 0)) : YScale(lo - pad, hi + pad)
        var s = open(title)
        s += axes(scale, format: format)
        s += xLabels(labels, x: { xCenter($0, labels.count) })
        for (i, serie) in series.enumerated() {
            // A gap (nil) starts a new sub-path, so an absent month is not drawn as a value.
            var d = "", pen = false
            for (k, v) in serie.values.enumerated() {
                guard let v else { pen = false; continue }
                d += "\(pen ? "L" : "M")\(fmt(xCenter(k, labels.count))),\(fmt(scale.y(v))) "
                pen = true
            }
            let c = color(i, serie)
            s += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"/>"
            for (k, v) in serie.values.enumerated() {
                guard let v else { continue }
                s += "<circle class=\"point\" cx=\"\(fmt(xCenter(k, labels.count)))\" cy=\"\(fmt(scale.y(v)))\" r=\"3\" fill=\"\(c)\">"
                s += "<title>\(HTML.escape("\(serie.name), \(labels[k]): \(format(v))"))</title></circle>"
            }
        }
        s += legend(series)
        return s + "</svg>"
    }

    // MARK: - Bars

    /// Grouped bars, one group per label; optional error bars (low, high) for a single series.
    public static func bars(title: String, labels: [String], series: [ChartSeries], errors: [(Double?, Double?)]? = nil,
                            format: (Double) -> String) -> String {
        var all = series.flatMap { $0.values.compactMap { $0 } }
        if let errors { all += errors.flatMap { [$0.0, $0.1].compactMap { $0 } } }
        guard !all.isEmpty else { return empty(title) }
        let scale = YScale(min(0, all.min() ?? 0), max(all.max() ?? 1, 0))
        var s = open(title) + axes(scale, format: format)
        s += xLabels(labels, x: { xCenter($0, labels.count) })
        let slot = (width - left - right) / Double(max(labels.count, 1))
        let barWidth = min(48, slot * 0.8 / Double(max(series.count, 1)))
        for (i, serie) in series.enumerated() {
            for (k, v) in serie.values.enumerated() {
                guard let v else { continue }
                let x = xCenter(k, labels.count) - barWidth * Double(series.count) / 2 + barWidth * Double(i)
                let (y0, y1) = (scale.y(max(v, 0)), scale.y(min(v, 0)))
                s += "<rect class=\"bar\" x=\"\(fmt(x))\" y=\"\(fmt(y0))\" width=\"\(fmt(barWidth * 0.9))\" height=\"\(fmt(max(y1 - y0, 0.5)))\" fill=\"\(color(i, serie))\">"
                s += "<title>\(HTML.escape("\(serie.name), \(labels[k]): \(format(v))"))</title></rect>"
            }
        }
        if let errors, series.count == 1 {
            for (k, e) in errors.enumerated() {
                guard let lo = e.0, let hi = e.1 else { continue }
                let x = xCenter(k, labels.count) - barWidth / 2 + barWidth * 0.45
                s += "<path class=\"error-bar\" d=\"M\(fmt(x)),\(fmt(scale.y(lo))) L\(fmt(x)),\(fmt(scale.y(hi))) M\(fmt(x - 5)),\(fmt(scale.y(lo))) L\(fmt(x + 5)),\(fmt(scale.y(lo))) M\(fmt(x - 5)),\(fmt(scale.y(hi))) L\(fmt(x + 5)),\(fmt(scale.y(hi)))\" stroke=\"#111827\" stroke-width=\"1.5\" fill=\"none\"/>"
            }
        }
        if series.count > 1 { s += legend(series) }
        return s + "</svg>"
    }

    /// Stacked bars (shares of a whole per label), e.g. accounts per band per scoring run.
    static func stacked(title: String, labels: [String], series: [ChartSeries], format: (Double) -> String) -> String {
        let totals = labels.indices.map { k in series.reduce(0.0) { $0 + ($1.values[safe: k].flatMap { $0 } ?? 0) } }
        guard let top = totals.max(), top > 0 else { return empty(title) }
        let scale = YScale(0, top)
        var s = open(title) + axes(scale, format: format)
        s += xLabels(labels, x: { xCenter($0, labels.count) })
        let slot = (width - left - right) / Double(max(labels.count, 1))
        let barWidth = min(56, slot * 0.7)
        for k in labels.indices {
            var base = 0.0
            for (i, serie) in series.enumerated() {
                let v = serie.values[safe: k].flatMap { $0 } ?? 0
                guard v > 0 else { continue }
                let (y0, y1) = (scale.y(base + v), scale.y(base))
                s += "<rect class=\"bar\" x=\"\(fmt(xCenter(k, labels.count) - barWidth / 2))\" y=\"\(fmt(y0))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(y1 - y0))\" fill=\"\(color(i, serie))\">"
                s += "<title>\(HTML.escape("\(serie.name), \(labels[k]): \(format(v))"))</title></rect>"
                base += v
            }
        }
        return s + legend(series) + "</svg>"
    }

    // MARK: - Heat map

    /// One cell per (row, column); colour from white (0) to blue (the largest value, or 1).
    static func heatMap(title: String, rows: [String], columns: [String], values: [[Double?]], format: (Double) -> String) -> String {
        guard !rows.isEmpty, !columns.isEmpty else { return empty(title) }
        let cellW = min(56, (width - 96 - right) / Double(columns.count))
        let cellH = 22.0
        let h = top + Double(rows.count) * cellH + 40
        let peak = max(values.flatMap { $0.compactMap { $0 } }.max() ?? 1, 1)
        var s = "<svg class=\"chart\" viewBox=\"0 0 \(fmt(width)) \(fmt(h))\" role=\"img\" aria-label=\"\(HTML.escape(title))\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(HTML.escape(title))</title>"
        for (r, label) in rows.enumerated() {
            let y = top + Double(r) * cellH
            s += "<text x=\"90\" y=\"\(fmt(y + 15))\" text-anchor=\"end\" class=\"tick\">\(HTML.escape(label))</text>"
            for c in columns.indices {
                guard let v = values[safe: r]?[safe: c] ?? nil else { continue }
                let t = max(0, min(1, v / peak))
                let fill = "rgb(\(Int(255 - 218 * t)),\(Int(255 - 156 * t)),\(Int(255 - 20 * t)))"
                let x = 96 + Double(c) * cellW
                s += "<rect class=\"cell\" x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(cellW - 1))\" height=\"\(fmt(cellH - 1))\" fill=\"\(fill)\">"
                s += "<title>\(HTML.escape("\(label), \(columns[c]): \(format(v))"))</title></rect>"
                if cellW >= 34 {
                    s += "<text x=\"\(fmt(x + cellW / 2))\" y=\"\(fmt(y + 15))\" text-anchor=\"middle\" class=\"cell-label\" fill=\"\(t > 0.6 ? "#fff" : "#111827")\">\(HTML.escape(format(v)))</text>"
                }
            }
        }
        for (c, label) in columns.enumerated() where columns.count <= 16 || c % 2 == 0 {
            s += "<text x=\"\(fmt(96 + (Double(c) + 0.5) * cellW))\" y=\"\(fmt(top + Double(rows.count) * cellH + 16))\" text-anchor=\"middle\" class=\"tick\">\(HTML.escape(label))</text>"
        }
        return s + "</svg>"
    }

    // MARK: - Calibration

    /// Mean predicted (x) against observed (y) per decile, with the diagonal of perfect calibration.
    static func calibration(title: String, series: [(name: String, points: [(Double, Double)])]) -> String {
        guard series.contains(where: { !$0.points.isEmpty }) else { return empty(title) }
        let top = max(series.flatMap { $0.points.flatMap { [$0.0, $0.1] } }.max() ?? 1, 0.05)
        let scale = YScale(0, top)
        let plotW = width - left - right
        func x(_ v: Double) -> Double { left + plotW * v / scale.max }
        let pct: (Double) -> String = { ValueFormat.grouped($0 * 100, decimals: 0) + " %" }
        var s = open(title) + axes(scale, format: pct)
        for t in scale.ticks {
            s += "<text x=\"\(fmt(x(t)))\" y=\"\(fmt(height - bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(pct(t))</text>"
        }
        s += "<text x=\"\(fmt(left + plotW / 2))\" y=\"\(fmt(height - 12))\" text-anchor=\"middle\" class=\"axis-title\">mean predicted probability</text>"
        s += "<path class=\"diagonal\" d=\"M\(fmt(x(0))),\(fmt(scale.y(0))) L\(fmt(x(scale.max))),\(fmt(scale.y(scale.max)))\" stroke=\"#9ca3af\" stroke-dasharray=\"4 4\" fill=\"none\"/>"
        for (i, serie) in series.enumerated() {
            let c = palette[i % palette.count]
            let d = serie.points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(fmt(x($0.element.0))),\(fmt(scale.y($0.element.1)))" }.joined(separator: " ")
            s += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(c)\" stroke-width=\"2\"/>"
            for p in serie.points {
                s += "<circle class=\"point\" cx=\"\(fmt(x(p.0)))\" cy=\"\(fmt(scale.y(p.1)))\" r=\"4\" fill=\"\(c)\"><title>\(HTML.escape("\(serie.name): predicted \(pct(p.0)), observed \(pct(p.1))"))</title></circle>"
            }
        }
        s += legend(series.map { ChartSeries(name: $0.name, values: []) })
        return s + "</svg>"
    }

    // MARK: - Parts

    struct YScale {
        let min: Double, max: Double
        let ticks: [Double]
        init(_ lo: Double, _ hi: Double) {
            let span = Swift.max(hi - lo, 1e-9)
            let raw = span / 4
            let mag = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
            let a = floor(lo / step) * step, b = ceil(hi / step) * step
            min = a
            max = b == a ? a + step : b
            ticks = stride(from: a, through: max + step / 2, by: step).map { $0 }
        }
        func y(_ v: Double) -> Double {
            let plotH = SVGChart.height - SVGChart.top - SVGChart.bottom
            return SVGChart.top + plotH * (1 - (v - min) / (max - min))
        }
    }

    static func open(_ title: String) -> String {
        "<svg class=\"chart\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(HTML.escape(title))</title>"
    }

    static func empty(_ title: String) -> String {
        open(title) + "<text x=\"\(fmt(width / 2))\" y=\"\(fmt(height / 2))\" text-anchor=\"middle\" class=\"no-data\">No data for this period</text></svg>"
    }

    static func axes(_ scale: YScale, format: (Double) -> String) -> String {
        var s = ""
        for t in scale.ticks {
            let y = scale.y(t)
            s += "<line class=\"grid\" x1=\"\(fmt(left))\" x2=\"\(fmt(width - right))\" y1=\"\(fmt(y))\" y2=\"\(fmt(y))\" stroke=\"\(t == 0 ? "#6b7280" : "#e5e7eb")\"/>"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\" class=\"tick\">\(HTML.escape(format(t)))</text>"
        }
        return s
    }

    static func xLabels(_ labels: [String], x: (Int) -> Double) -> String {
        let every = max(1, Int((Double(labels.count) / 12).rounded(.up)))
        var s = ""
        for (k, label) in labels.enumerated() where k % every == 0 {
            s += "<text x=\"\(fmt(x(k)))\" y=\"\(fmt(height - bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(HTML.escape(label))</text>"
        }
        return s
    }

    static func legend(_ series: [ChartSeries]) -> String {
        var s = "", x = left
        for (i, serie) in series.enumerated() {
            s += "<rect x=\"\(fmt(x))\" y=\"\(fmt(height - 22))\" width=\"12\" height=\"12\" fill=\"\(color(i, serie))\"/>"
            s += "<text x=\"\(fmt(x + 16))\" y=\"\(fmt(height - 12))\" class=\"legend\">\(HTML.escape(serie.name))</text>"
            x += 24 + Double(serie.name.count) * 7
        }
        return s
    }

    static func xCenter(_ k: Int, _ n: Int) -> Double {
        let slot = (width - left - right) / Double(max(n, 1))
        return left + slot * (Double(k) + 0.5)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
