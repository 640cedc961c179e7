// ModelBenchmark: training and scoring times and peak memory for `cs-worker bench model`.
import Basics
import Foundation
import Learning
import Churn

/// Runs `LearningBenchmark` (both algorithms on synthetic churn data), then times what
/// `predict_churn` does per run — probabilities plus top-3 factors through `ChurnModel` — on all rows.
public struct ModelBenchmark: Sendable {
    public let rows: Int
    public let features: Int
    public let seed: UInt64

    public init(rows: Int = 100_000, features: Int = 30, seed: UInt64 = 7) {
        self.rows = rows; self.features = features; self.seed = seed
    }

    public struct Result: Sendable {
        public let learning: LearningBenchmarkResult
        /// Seconds for probabilities + top-3 factors of every row with a boosted ChurnModel.
        public let scoreWithFactorsSeconds: Double
        /// The same on one thread.
        public let scoreWithFactorsOneLaneSeconds: Double
        public let peakRSSMiB: Double

        public var report: String {
            let l = learning
            return [
                "rows \(l.rows) × features \(l.features)",
                String(format: "logistic regression: fit %.2fs, test AUC %.4f", l.lrSeconds, l.lrAUC),
                String(format: "gradient boosting (100 trees, depth 6): fit %.2fs, test AUC %.4f", l.gbdtSeconds, l.gbdtAUC),
                String(format: "boosted scoring of all rows: %.3fs; with top-3 factors (predict_churn's work): %.3fs on %d cores, %.3fs on one",
                       l.predictSeconds, scoreWithFactorsSeconds, ProcessInfo.processInfo.activeProcessorCount, scoreWithFactorsOneLaneSeconds),
                String(format: "model: lr_s=%.2f gbdt_s=%.2f predict_s=%.3f rss_mb=%.0f", l.lrSeconds, l.gbdtSeconds, l.predictSeconds, peakRSSMiB),
            ].joined(separator: "\n")
        }
    }

    public func run() throws -> Result {
        let learning = try LearningBenchmark.run(rows: rows, features: features, seed: seed)
        let data = try SyntheticChurnData.make(rows: rows, features: features, seed: seed)
        let table = try RawTable(names: data.featureNames, columns: data.featureNames.indices.map { .numeric(Array(data.column($0))) })
        let sample = try table.rows(Array(0..<min(rows, 20_000)))
        let model = try ChurnModel.train(.gradientBoosting, table: sample, labels: Array(data.labels.prefix(sample.rowCount)))
        let clock = ContinuousClock()
        var start = clock.now
        _ = try ChurnBatchScorer.score(model, table, topK: 3, lanes: 1)
        let oneLane = clock.now - start
        start = clock.now
        _ = try ChurnBatchScorer.score(model, table, topK: 3)
        let allLanes = clock.now - start
        return Result(learning: learning, scoreWithFactorsSeconds: (allLanes).seconds,
                      scoreWithFactorsOneLaneSeconds: (oneLane).seconds, peakRSSMiB: BenchSupport.memoryMiB().peak)
    }
}
