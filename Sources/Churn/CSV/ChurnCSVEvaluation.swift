// ChurnCSVEvaluation: `cs-worker model eval-csv` as a library call — parse, split, train both algorithms, report.
import Foundation
import Learning

/// Local evaluation of a CSV (no database): both algorithms trained on the rows not in the test
/// set (given as 0-based data-row indices, or a stratified 80/20 split with a fixed seed).
public enum ChurnCSVEvaluation {
    /// Parses a test-rows file: one 0-based index per line; blank lines and `#` comments ignored.
    public static func parseRowIndices(_ text: String) throws -> [Int] {
        var out: [Int] = []
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty || t.hasPrefix("#") { continue }
            guard let i = Int(t), i >= 0 else { throw ModelError(.invalidArgument, "test-rows line \(n + 1) is not a row index") }
            out.append(i)
        }
        return out
    }

    /// Runs the evaluation on CSV bytes.
    public static func run(csv bytes: [UInt8], label: String, positiveValue: String? = nil, drop: [String] = [],
                           testRows: [Int]? = nil, seed: UInt64 = 42) throws -> (table: CSVTable, result: CSVEvaluationResult) {
        do {
            let table = try CSVTable(bytes: bytes)
            guard table.index(of: label) != nil else { throw ModelError(.invalidIdentifier, "no column '\(label)' in the CSV header") }
            for d in drop where table.index(of: d) == nil { throw ModelError(.invalidIdentifier, "no column '\(d)' to drop") }
            let result = try CSVEvaluation.run(table, labelColumn: label, positiveValue: positiveValue, dropColumns: drop,
                                               testRows: testRows, seed: seed)
            return (table, result)
        } catch let error as LearningError {
            throw ModelError(.learning, "\(error)")
        }
    }

    /// The readable report; its last line is `summaryLine`.
    public static func report(_ table: CSVTable, _ result: CSVEvaluationResult) -> String {
        let r = result.report
        var lines = [
            "rows: \(table.rowCount)  train: \(r.trainRows)  test: \(r.testRows)",
            String(format: "churn rate: train %.4f  test %.4f", r.trainPositiveRate, r.testPositiveRate),
            "",
            "metric              logistic      gbdt",
        ]
        func row(_ name: String, _ a: Double, _ b: Double) -> String {
            name.padding(toLength: 18, withPad: " ", startingAt: 0) + String(format: "%10.4f%10.4f", a, b)
        }
        let lr = r.logisticRegression, gb = r.gradientBoosting
        lines += [
            row("ROC AUC", lr.rocAUC, gb.rocAUC), row("PR AUC", lr.averagePrecision, gb.averagePrecision),
            row("Brier", lr.brier, gb.brier), row("log loss", lr.logLoss, gb.logLoss),
            row("accuracy@0.5", lr.atThreshold.accuracy, gb.atThreshold.accuracy),
            row("precision@0.5", lr.atThreshold.precision, gb.atThreshold.precision),
            row("recall@0.5", lr.atThreshold.recall, gb.atThreshold.recall), row("F1@0.5", lr.atThreshold.f1, gb.atThreshold.f1),
            row("top-decile lift", lr.topDecile.lift, gb.topDecile.lift),
            row("top-decile capture", lr.topDecile.captureRate, gb.topDecile.captureRate),
            "",
            "top gbdt features: " + result.gradientBoosting.featureImportance.prefix(5).map { $0.name }.joined(separator: ", "),
            summaryLine(rows: table.rowCount, r),
        ]
        return lines.joined(separator: "\n")
    }

    /// `eval: rows=<n> lr_auc=<a> gbdt_auc=<b> lr_brier=<c> gbdt_brier=<d>` with 4 decimals.
    public static func summaryLine(rows: Int, _ r: CSVEvaluationReport) -> String {
        String(format: "eval: rows=%d lr_auc=%.4f gbdt_auc=%.4f lr_brier=%.4f gbdt_brier=%.4f", rows,
               r.logisticRegression.rocAUC, r.gradientBoosting.rocAUC, r.logisticRegression.brier, r.gradientBoosting.brier)
    }
}
