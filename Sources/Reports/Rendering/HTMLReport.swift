// HTMLReport: one self-contained page per report — inline CSS and SVG, no script, no
// external fonts or files — readable on a phone and printed.
import Basics
import Foundation

enum HTMLReport {
    static func render(_ doc: ReportDocument) -> String {
        let f = ValueFormat(currency: doc.currency)
        let charts = ReportCharts.charts(for: doc)
        var h = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(doc.title)) · \(HTML.escape(periodText(doc)))</title>
            <style>\(css)</style></head>
            <body><main>
            <header><p class="kind">cs-worker report · \(HTML.escape(doc.kind.rawValue))</p>
            <h1>\(HTML.escape(doc.title))</h1>
            <p class="meta">\(HTML.escape(periodText(doc)))\(doc.currency.map { " · amounts in " + HTML.escape($0) } ?? "")\(parametersText(doc)) · generated \(HTML.escape(String(doc.generatedAt.prefix(16)).replacingOccurrences(of: "T", with: " "))) UTC</p>
            </header>

            """
        if !doc.headline.isEmpty {
            h += "<section class=\"headline\">"
            for fig in doc.headline {
                let absent = fig.value == .null
                h += "<div class=\"figure\(absent ? " absent" : "")\"><div class=\"value\">\(HTML.escape(f.text(fig.value, fig.type)))</div>"
                h += "<div class=\"label\">\(HTML.escape(fig.label))</div>"
                if absent { h += "<div class=\"why\">absent: nothing to measure it on in this period</div>" }
                h += "</div>"
            }
            h += "</section>\n"
        }
        for note in doc.notes { h += "<p class=\"note\">\(HTML.escape(note))</p>\n" }
        for table in doc.tables {
            h += "<section class=\"table\" id=\"\(HTML.escape(table.name))\"><h2>\(HTML.escape(table.title))</h2>\n"
            for chart in charts where chart.table == table.name {
                h += "<figure><figcaption>\(HTML.escape(chart.title))</figcaption>\(chart.svg)</figure>\n"
            }
            h += tableHTML(table, f)
            h += "</section>\n"
        }
        if !doc.definitions.isEmpty {
            h += "<section class=\"definitions\"><h2>How these figures are defined</h2><ul>"
            for d in doc.definitions { h += "<li>\(HTML.escape(d))</li>" }
            h += "</ul></section>\n"
        }
        h += """
            <footer><p>“\(ValueFormat.absent)” marks a figure that is absent: its denominator is zero in that row (no customers or no MRR at the start, no resolved interventions, no churn to estimate a lifetime from), so no rate exists.</p>
            <p>Computed by cs.\(HTML.escape("report_" + doc.kind.rawValue)) in PostgreSQL (sql/0011_reports.sql); document version \(ReportDocument.version).</p></footer>
            </main></body></html>

            """
        return h
    }

    static func tableHTML(_ t: ReportDocument.Table, _ f: ValueFormat) -> String {
        guard !t.rows.isEmpty else { return "<p class=\"empty\">No rows for this period.</p>\n" }
        var h = "<div class=\"table-wrap\"><table><thead><tr>"
        for c in t.columns { h += "<th class=\"\(numeric(c.type) ? "num" : "txt")\" scope=\"col\">\(HTML.escape(c.label))</th>" }
        h += "</tr></thead><tbody>"
        for row in t.rows {
            h += "<tr>"
            for (c, v) in zip(t.columns, row) {
                let cls = numeric(c.type) ? "num" : "txt"
                if v == .null {
                    h += "<td class=\"\(cls) absent\" title=\"absent: nothing to divide by\">\(ValueFormat.absent)</td>"
                } else {
                    h += "<td class=\"\(cls)\">\(HTML.escape(f.text(v, c.type)))</td>"
                }
            }
            h += "</tr>"
        }
        return h + "</tbody></table></div>\n"
    }

    static func numeric(_ t: ReportDocument.ValueType) -> Bool {
        switch t {
        case .count, .money, .percent, .ratio, .number, .days: return true
        case .text, .month, .date: return false
        }
    }

    /// `1 Oct 2026 – 31 Oct 2026` (the stored end is exclusive).
    static func periodText(_ doc: ReportDocument) -> String {
        guard let from = ReportPeriod.day(doc.from), let to = ReportPeriod.day(doc.to) else { return "\(doc.from) – \(doc.to)" }
        return "\(long(from)) – \(long(to.addingTimeInterval(-86_400)))"
    }

    static func long(_ d: Date) -> String {
        let c = ReportPeriod.calendar.dateComponents([.year, .month, .day], from: d)
        return "\(c.day ?? 1) \(ValueFormat.monthNames[(c.month ?? 1) - 1]) \(c.year ?? 1970)"
    }

    static func parametersText(_ doc: ReportDocument) -> String {
        let p = doc.parameters.keys.sorted().compactMap { k in doc.parameters[k]?.stringValue.map { "\(k) \($0)" } }
        return p.isEmpty ? "" : " · " + HTML.escape(p.joined(separator: ", "))
    }

    static let css = """
        :root{color-scheme:light;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb}
        *{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f9fafb}
        main{max-width:1080px;margin:0 auto;padding:24px 16px 48px;background:#fff}
        header .kind{margin:0;color:var(--accent);font-weight:600;text-transform:uppercase;font-size:12px;letter-spacing:.06em}
        h1{margin:4px 0 4px;font-size:26px}h2{font-size:18px;margin:32px 0 8px}.meta{color:var(--muted);margin:0 0 16px}
        .headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px;margin:16px 0}
        .figure{border:1px solid var(--line);border-radius:8px;padding:12px}.figure .value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
        .figure .label{color:var(--muted);font-size:13px}.figure.absent .value{color:var(--muted)}.figure .why{font-size:12px;color:var(--muted)}
        figure{margin:8px 0 12px}figcaption{font-weight:600;font-size:14px;margin:0 0 4px}svg.chart{width:100%;height:auto;max-height:360px;display:block}
        svg .tick,svg .legend,svg .cell-label{font-size:11px;fill:#374151}svg .axis-title{font-size:12px;fill:#374151}svg .no-data{font-size:14px;fill:var(--muted)}
        .table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:6px}
        table{border-collapse:collapse;width:100%;font-size:13px}th,td{padding:6px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
        th{background:#f3f4f6;text-align:left;position:sticky;top:0}.num{text-align:right;font-variant-numeric:tabular-nums}
        td.absent{color:var(--muted)}.note{background:#fffbeb;border:1px solid #fde68a;padding:8px 12px;border-radius:6px}
        .empty{color:var(--muted)}.definitions li{margin:4px 0}footer{margin-top:32px;color:var(--muted);font-size:12px}
        @media (max-width:600px){main{padding:16px 10px}h1{font-size:21px}.figure .value{font-size:20px}}
        @media print{body{background:#fff}main{max-width:none;padding:0}.table-wrap{overflow:visible;border:0}th{position:static}
        section.table{break-inside:avoid-page}figure{break-inside:avoid}}
        """
}

/// CSV (RFC 4180) per table: a header of column keys, raw values (rates as fractions).
enum CSVReport {
    static func tables(_ doc: ReportDocument) -> [String: String] {
        var out: [String: String] = [:]
        for t in doc.tables { out[t.name] = render(t) }
        return out
    }

    static func render(_ t: ReportDocument.Table) -> String {
        var s = t.columns.map { field($0.key) }.joined(separator: ",") + "\r\n"
        for row in t.rows {
            s += row.map { v -> String in
                switch v {
                case .null: return ""
                case .string(let x): return field(x)
                case .number, .bool: return v.serialized
                case .array, .object: return field(v.serialized)
                }
            }.joined(separator: ",") + "\r\n"
        }
        return s
    }

    static func field(_ s: String) -> String {
        // A leading =, +, - or @ would be a formula to a spreadsheet: quote and prefix it.
        let guarded = s.first.map { "=+-@".contains($0) } == true ? "'" + s : s
        guard guarded.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || guarded != s else { return guarded }
        return "\"" + guarded.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A page linking several reports with their headline figures (the demo's index, the
/// console's list).
public enum ReportIndex {
    /// `reports`: (link, document) pairs, in the order to show them.
    public static func render(_ reports: [(href: String, document: ReportDocument)], title: String = "cs-worker reports") -> String {
        var h = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title><style>\(HTMLReport.css)
            .card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0}.card a{font-size:18px;font-weight:600;color:var(--accent);text-decoration:none}
            .card ul{margin:6px 0 0;padding-left:18px;color:var(--ink)}</style></head>
            <body><main><header><p class="kind">cs-worker</p><h1>\(HTML.escape(title))</h1></header>

            """
        if reports.isEmpty { h += "<p class=\"empty\">No reports yet.</p>" }
        for (href, doc) in reports {
            let f = ValueFormat(currency: doc.currency)
            h += "<div class=\"card\"><a href=\"\(HTML.escape(href))\">\(HTML.escape(doc.title))</a> <span class=\"meta\">\(HTML.escape(HTMLReport.periodText(doc)))</span><ul>"
            for fig in doc.headline.prefix(4) { h += "<li>\(HTML.escape(fig.label)): <b>\(HTML.escape(f.text(fig.value, fig.type)))</b></li>" }
            h += "</ul></div>\n"
        }
        return h + "</main></body></html>\n"
    }
}
