// ReportCharts: which charts each kind of report draws, from which of its tables.
import Basics
import Foundation

/// A chart placed before the table it is drawn from.
struct PlacedChart: Sendable {
    let table: String
    let title: String
    let svg: String
}

enum ReportCharts {
    static func charts(for doc: ReportDocument) -> [PlacedChart] {
        let f = ValueFormat(currency: doc.currency)
        let pct: (Double) -> String = { ValueFormat.grouped($0 * 100, decimals: abs($0) < 0.1 ? 1 : 0) + " %" }
        let money: (Double) -> String = { f.money($0) }
        let count: (Double) -> String = { ValueFormat.grouped($0, decimals: 0) }
        var out: [PlacedChart] = []
        func add(_ table: String, _ title: String, _ svg: String) { out.append(PlacedChart(table: table, title: title, svg: svg)) }

        switch doc.kind {
        case .retention:
            if let t = doc.table("monthly") {
                let months = t.strings("month").map { ValueFormat.month($0) }
                add(t.name, "Monthly churn", SVGChart.line(title: "Monthly churn", labels: months, series: [
                    t.series("logo_churn", "Logo churn"), t.series("gross_revenue_churn", "Gross revenue churn"),
                    t.series("net_revenue_churn", "Net revenue churn"),
                ], format: pct))
                add(t.name, "Monthly GRR and NRR", SVGChart.line(title: "Monthly GRR and NRR", labels: months, series: [
                    t.series("grr", "GRR"), t.series("nrr", "NRR"),
                ], format: pct, includeZero: false))
                add(t.name, "MRR at month end", SVGChart.line(title: "MRR at month end", labels: months, series: [t.series("mrr_end", "MRR")], format: money))
            }
        case .cohorts:
            if let t = doc.table("matrix") {
                let cohorts = orderedUnique(t.strings("cohort"))
                let ks = orderedUnique(t.numbers("month").compactMap { $0.map { Int($0) } }).sorted()
                for (key, title) in [("logo_retention", "Logo retention by cohort"), ("revenue_retention", "Revenue retention by cohort")] {
                    var grid = Array(repeating: Array(repeating: Double?.none, count: ks.count), count: cohorts.count)
                    for row in t.rows {
                        guard let c = t.column("cohort"), let m = t.column("month"), let v = t.column(key),
                              let r = cohorts.firstIndex(of: row[c].stringValue ?? ""),
                              let k = row[m].doubleValue.flatMap({ ks.firstIndex(of: Int($0)) }) else { continue }
                        grid[r][k] = row[v].doubleValue
                    }
                    add(t.name, title, SVGChart.heatMap(title: title, rows: cohorts.map(ValueFormat.month), columns: ks.map { "M\($0)" },
                                                 values: grid, format: { ValueFormat.grouped($0 * 100, decimals: 0) + "%" }))
                }
            }
        case .ltv:
            if let t = doc.table("ltv")?.filtered("dimension", "segment") {
                add(t.name, "LTV by segment", SVGChart.bars(title: "LTV by segment", labels: t.strings("group"), series: [t.series("ltv", "LTV")], format: money))
            }
        case .renewals:
            if let t = doc.table("windows") {
                add(t.name, "ARR due by window", SVGChart.bars(title: "ARR due by window", labels: t.numbers("window_days").map { "≤ \(Int($0 ?? 0)) days" },
                                          series: [t.series("arr", "ARR due"), t.series("risk_weighted_arr", "Risk-weighted ARR")], format: money))
            }
        case .health:
            if let t = doc.table("runs") {
                add(t.name, "Accounts per band, by scoring run", SVGChart.stacked(title: "Accounts per band, by scoring run", labels: t.strings("scored_at").map { String($0.prefix(10)) },
                                             series: [t.series("red", "Red", color: "#dc2626"), t.series("yellow", "Yellow", color: "#eab308"),
                                                      t.series("green", "Green", color: "#16a34a")], format: count))
            }
            if let t = doc.table("transitions") {
                let bands = ["red", "yellow", "green"]
                var grid = Array(repeating: Array(repeating: Double?.none, count: 3), count: 3)
                for row in t.rows {
                    guard let a = t.column("from_band"), let b = t.column("to_band"), let n = t.column("accounts"),
                          let i = bands.firstIndex(of: row[a].stringValue ?? ""), let j = bands.firstIndex(of: row[b].stringValue ?? "") else { continue }
                    grid[i][j] = row[n].doubleValue
                }
                add(t.name, "Band transitions (rows: before, columns: after)", SVGChart.heatMap(title: "Band transitions (rows: before, columns: after)", rows: bands, columns: bands, values: grid, format: count))
            }
        case .interventions:
            if let t = doc.table("uplift") {
                let labels = t.rows.indices.map { i in
                    [t.rows[i][safe: t.column("rule") ?? -1]?.stringValue, t.rows[i][safe: t.column("variant") ?? -1]?.stringValue]
                        .compactMap { $0 }.joined(separator: " / ")
                }
                let lows = t.numbers("uplift_low"), highs = t.numbers("uplift_high")
                add(t.name, "Churn uplift against control, with 95 % interval", SVGChart.bars(title: "Churn uplift against control, with 95 % interval", labels: labels,
                                          series: [t.series("uplift", "Uplift")], errors: Array(zip(lows, highs)), format: pct))
            }
        case .roi:
            if let t = doc.table("roi") {
                add(t.name, "Retained MRR attributed and cost, per rule", SVGChart.bars(title: "Retained MRR attributed and cost, per rule", labels: t.strings("rule"),
                                          series: [t.series("value", "Retained MRR attributed"), t.series("cost", "Cost")], format: money))
            }
        case .model:
            if let t = doc.table("calibration"), let m = t.column("model_id"), let p = t.column("predicted"), let o = t.column("observed") {
                let models = orderedUnique(t.rows.compactMap { $0[m].doubleValue.map { Int($0) } })
                let series = models.prefix(4).map { id in
                    (name: "model \(id)", points: t.rows.filter { $0[m].doubleValue.map { Int($0) } == id }
                        .compactMap { r -> (Double, Double)? in
                            guard let x = r[p].doubleValue, let y = r[o].doubleValue else { return nil }
                            return (x, y)
                        })
                }
                add(t.name, "Calibration: predicted against observed churn, by decile", SVGChart.calibration(title: "Calibration: predicted against observed churn, by decile", series: Array(series)))
                if let first = models.first {
                    let lifted = t.filtered("model_id", .number(Double(first)))
                    add(t.name, "Lift by decile, model \(first)", SVGChart.bars(title: "Lift by decile, model \(first)", labels: lifted.numbers("decile").map { "D\(Int($0 ?? 0))" },
                                              series: [lifted.series("lift", "Lift")], format: { ValueFormat.grouped($0, decimals: 1) + "×" }))
                }
            }
        }
        return out
    }

    static func orderedUnique<T: Hashable>(_ xs: [T]) -> [T] {
        var seen = Set<T>()
        return xs.filter { seen.insert($0).inserted }
    }
}

extension ReportDocument.Table {
    func strings(_ key: String) -> [String] {
        guard let c = column(key) else { return [] }
        return rows.map { $0[c].stringValue ?? "" }
    }

    func numbers(_ key: String) -> [Double?] {
        guard let c = column(key) else { return [] }
        return rows.map { $0[c].doubleValue }
    }

    func series(_ key: String, _ name: String, color: String? = nil) -> ChartSeries {
        ChartSeries(name: name, values: numbers(key), color: color)
    }

    /// The rows whose column `key` equals `value`.
    public func filtered(_ key: String, _ value: JSONValue) -> ReportDocument.Table {
        guard let c = column(key) else { return self }
        return ReportDocument.Table(name: name, title: title, columns: columns, rows: rows.filter { $0[c] == value })
    }

    public func filtered(_ key: String, _ value: String) -> ReportDocument.Table { filtered(key, .string(value)) }
}
