// Metrics: ranking, probability and threshold metrics for churn scores, plus PSI for drift checks.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Evaluation metrics. Labels are 0/1 (anything > 0.5 counts as positive); scores are probabilities.
public enum Metrics {
    private static func check(_ labels: [Double], _ scores: [Double], _ context: String) throws(LearningError) {
        guard labels.count == scores.count else {
            throw .dimensionMismatch(expected: labels.count, actual: scores.count, context: context)
        }
        guard !labels.isEmpty else { throw .emptyData(context: context) }
    }

    /// Area under the ROC curve (Mann–Whitney with average ranks for ties). NaN when only one class is present.
    public static func rocAUC(labels: [Double], scores: [Double]) throws(LearningError) -> Double {
        try check(labels, scores, "rocAUC")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var positives = 0.0
        var k = 0
        while k < order.count {
            var end = k
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[k]] { end += 1 }
            let averageRank = Double(k + end) / 2 + 1
            for m in k...end where labels[order[m]] > 0.5 {
                rankSumPositive += averageRank
                positives += 1
            }
            k = end + 1
        }
        let negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSumPositive - positives * (positives + 1) / 2) / (positives * negatives)
    }

    /// Average precision as scikit-learn's `average_precision_score`: Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds.
    public static func averagePrecision(labels: [Double], scores: [Double]) throws(LearningError) -> Double {
        try check(labels, scores, "averagePrecision")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let totalPositives = labels.reduce(0) { $0 + ($1 > 0.5 ? 1.0 : 0.0) }
        guard totalPositives > 0 else { return .nan }
        var tp = 0.0, fp = 0.0, previousRecall = 0.0, ap = 0.0
        var k = 0
        while k < order.count {
            var end = k
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[k]] { end += 1 }
            for m in k...end { if labels[order[m]] > 0.5 { tp += 1 } else { fp += 1 } }
            let recall = tp / totalPositives
            let precision = tp / (tp + fp)
            ap += (recall - previousRecall) * precision
            previousRecall = recall
            k = end + 1
        }
        return ap
    }

    /// Mean squared difference between probability and outcome.
    public static func brier(labels: [Double], scores: [Double]) throws(LearningError) -> Double {
        try check(labels, scores, "brier")
        var total = 0.0
        for i in labels.indices {
            let y = labels[i] > 0.5 ? 1.0 : 0.0
            total += (scores[i] - y) * (scores[i] - y)
        }
        return total / Double(labels.count)
    }

    /// Mean negative log-likelihood, probabilities clipped to [ε, 1−ε].
    public static func logLoss(labels: [Double], scores: [Double], epsilon: Double = 1e-15) throws(LearningError) -> Double {
        try check(labels, scores, "logLoss")
        var total = 0.0
        for i in labels.indices {
            let p = min(max(scores[i], epsilon), 1 - epsilon)
            total -= labels[i] > 0.5 ? log(p) : log(1 - p)
        }
        return total / Double(labels.count)
    }

    /// Confusion-matrix metrics with prediction = score >= threshold.
    public static func thresholdMetrics(labels: [Double], scores: [Double], threshold: Double = 0.5) throws(LearningError) -> ThresholdMetrics {
        try check(labels, scores, "thresholdMetrics")
        var tp = 0, fp = 0, tn = 0, fn = 0
        for i in labels.indices {
            let predicted = scores[i] >= threshold, actual = labels[i] > 0.5
            switch (predicted, actual) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
        return ThresholdMetrics(threshold: threshold, truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn)
    }

    /// Reliability table over equal-width probability bins (a score of exactly 1 falls in the last bin).
    public static func calibration(labels: [Double], scores: [Double], bins: Int = 10) throws(LearningError) -> [CalibrationBin] {
        try check(labels, scores, "calibration")
        guard bins >= 1 else { throw .invalidParameter(name: "bins", reason: "must be >= 1") }
        var count = [Int](repeating: 0, count: bins)
        var sumP = [Double](repeating: 0, count: bins)
        var sumY = [Double](repeating: 0, count: bins)
        for i in labels.indices {
            let b = min(max(Int(scores[i] * Double(bins)), 0), bins - 1)
            count[b] += 1
            sumP[b] += scores[i]
            sumY[b] += labels[i] > 0.5 ? 1 : 0
        }
        var table: [CalibrationBin] = []
        let width = 1 / Double(bins)
        for b in 0..<bins {
            let c = count[b]
            let denominator = Double(max(c, 1))
            let meanPredicted: Double? = c > 0 ? sumP[b] / denominator : nil
            let observedRate: Double? = c > 0 ? sumY[b] / denominator : nil
            table.append(CalibrationBin(lower: Double(b) * width, upper: Double(b + 1) * width, count: c,
                                        meanPredicted: meanPredicted, observedRate: observedRate))
        }
        return table
    }

    /// Lift and capture rate among the highest-scored `fraction` of rows (top decile by default; ceil of the count).
    public static func lift(labels: [Double], scores: [Double], fraction: Double = 0.1) throws(LearningError) -> LiftSummary {
        try check(labels, scores, "lift")
        guard fraction > 0, fraction <= 1 else { throw .invalidParameter(name: "fraction", reason: "must be in (0, 1]") }
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        let top = max(1, Int((Double(labels.count) * fraction).rounded(.up)))
        let positives = labels.reduce(0) { $0 + ($1 > 0.5 ? 1.0 : 0.0) }
        let topPositives = order.prefix(top).reduce(0.0) { $0 + (labels[$1] > 0.5 ? 1 : 0) }
        let baseRate = positives / Double(labels.count)
        let topRate = topPositives / Double(top)
        return LiftSummary(fraction: fraction, rows: top, positiveRate: topRate,
                           lift: baseRate > 0 ? topRate / baseRate : .nan,
                           captureRate: positives > 0 ? topPositives / positives : .nan)
    }

    /// Population stability index of `actual` against `expected`, on quantile bins of `expected`
    /// (bin k holds values in (edge[k-1], edge[k]]; duplicate edges are merged). Missing values form an
    /// extra bin when either sample has any. Empty bins use `epsilon` as their share.
    public static func psi(expected: [Double], actual: [Double], bins: Int = 10, epsilon: Double = 1e-4) throws(LearningError) -> Double {
        guard bins >= 2 else { throw .invalidParameter(name: "bins", reason: "must be >= 2") }
        let sortedExpected = expected.filter { !$0.isNaN }.sorted()
        guard !sortedExpected.isEmpty, !actual.isEmpty else { throw .emptyData(context: "psi") }
        let edges = quantileEdges(sorted: sortedExpected, bins: bins)
        let withMissing = expected.contains { $0.isNaN } || actual.contains { $0.isNaN }
        func shares(_ values: [Double]) -> [Double] {
            var counts = binCounts(values, edges: edges)
            if withMissing { counts.append(Double(values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) })) }
            return counts.map { $0 / Double(values.count) }
        }
        return psi(expectedShares: shares(expected), actualShares: shares(actual), epsilon: epsilon)
    }

    /// The de-duplicated cut points between `bins` equal-frequency bins of ascending `sorted`
    /// values (linear-interpolated quantiles, NumPy's default): bin k holds (edge[k-1], edge[k]].
    public static func quantileEdges(sorted: [Double], bins: Int) -> [Double] {
        var edges: [Double] = []
        for k in 1..<max(bins, 2) {
            let q = MathUtil.quantile(sorted: sorted, Double(k) / Double(bins))
            if edges.last != q { edges.append(q) }
        }
        return edges
    }

    /// How many of `values` fall in each bin of `edges` (`edges.count + 1` bins); NaN is skipped.
    public static func binCounts(_ values: [Double], edges: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count + 1)
        for v in values where !v.isNaN {
            var lo = 0, hi = edges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if v <= edges[mid] { hi = mid } else { lo = mid + 1 }
            }
            counts[lo] += 1
        }
        return counts
    }

    /// Σ (actual − expected) · ln(actual / expected) over bins given as shares, each share
    /// floored at `epsilon` so an empty bin does not make the index infinite.
    public static func psi(expectedShares: [Double], actualShares: [Double], epsilon: Double = 1e-4) -> Double {
        var total = 0.0
        for k in 0..<min(expectedShares.count, actualShares.count) {
            let e = max(expectedShares[k], epsilon), a = max(actualShares[k], epsilon)
            total += (a - e) * log(a / e)
        }
        return total
    }
}

/// Confusion counts and the rates derived from them.
public struct ThresholdMetrics: Sendable, Codable, Equatable {
    public let threshold: Double
    public let truePositives: Int
    public let falsePositives: Int
    public let trueNegatives: Int
    public let falseNegatives: Int

    public var accuracy: Double {
        Double(truePositives + trueNegatives) / Double(max(truePositives + falsePositives + trueNegatives + falseNegatives, 1))
    }
    /// 0 when nothing is predicted positive (scikit-learn's zero_division=0).
    public var precision: Double {
        truePositives + falsePositives == 0 ? 0 : Double(truePositives) / Double(truePositives + falsePositives)
    }
    public var recall: Double {
        truePositives + falseNegatives == 0 ? 0 : Double(truePositives) / Double(truePositives + falseNegatives)
    }
    public var f1: Double {
        precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
    }
}

/// One row of a calibration (reliability) table.
public struct CalibrationBin: Sendable, Codable, Equatable {
    public let lower: Double
    public let upper: Double
    public let count: Int
    /// Mean score in the bin (nil when empty).
    public let meanPredicted: Double?
    /// Share of positives in the bin (nil when empty).
    public let observedRate: Double?
}

/// How much better than random the top-scored rows are.
public struct LiftSummary: Sendable, Codable, Equatable {
    public let fraction: Double
    public let rows: Int
    /// Share of positives among the top rows.
    public let positiveRate: Double
    /// positiveRate / overall positive rate.
    public let lift: Double
    /// Share of all positives found in the top rows.
    public let captureRate: Double
}
