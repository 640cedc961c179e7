// ReportText: a report for the terminal — headline figures and each table, aligned.
import Foundation

public enum ReportText {
    public static func render(_ doc: ReportDocument, maxRows: Int = 40) -> String {
        let f = ValueFormat(currency: doc.currency)
        var s = "\(doc.title) — \(HTMLReport.periodText(doc))\(doc.currency.map { " — \($0)" } ?? "")\n\n"
        for fig in doc.headline { s += "  \(fig.label): \(f.text(fig.value, fig.type))\n" }
        for note in doc.notes { s += "\nnote: \(note)\n" }
        for t in doc.tables {
            s += "\n\(t.title)\n"
            guard !t.rows.isEmpty else { s += "  (no rows)\n"; continue }
            let cells = [t.columns.map(\.label)] + t.rows.prefix(maxRows).map { row in zip(t.columns, row).map { f.text($1, $0.type) } }
            let widths = t.columns.indices.map { c in cells.map { $0[c].count }.max() ?? 0 }
            for row in cells {
                s += "  " + row.enumerated().map { c, v in
                    HTMLReport.numeric(t.columns[c].type) ? String(repeating: " ", count: widths[c] - v.count) + v
                                                           : v + String(repeating: " ", count: widths[c] - v.count)
                }.joined(separator: "  ") + "\n"
            }
            if t.rows.count > maxRows { s += "  … \(t.rows.count - maxRows) more rows (--format csv for all)\n" }
        }
        return s
    }
}
