// SyntheticChurnData: reproducible labelled data with a known signal, for benchmarks and sanity tests.
import Basics

/// Generates churn-like data: standard-normal features, label ~ Bernoulli(sigmoid(f(x))) where f is a sparse
/// linear part plus an interaction, a threshold effect and a quadratic term. Feature 3 has 2 % missing values.
public enum SyntheticChurnData {
    public static func make(rows: Int, features: Int, seed: UInt64) throws(LearningError) -> Dataset {
        guard rows > 0 else { throw .invalidParameter(name: "rows", reason: "must be > 0") }
        guard features >= 8 else { throw .invalidParameter(name: "features", reason: "must be >= 8") }
        var rng = SplitMix64(seed: seed)
        var values = [Double](repeating: 0, count: rows * features)
        for k in values.indices { values[k] = rng.nextGaussian() }
        var labels = [Double](repeating: 0, count: rows)
        for i in 0..<rows {
            func x(_ j: Int) -> Double { values[j * rows + i] }
            var logit = -1.2 + 0.9 * x(0) - 0.7 * x(1) + 0.5 * x(2) + 0.4 * x(3)
            logit += 1.0 * x(4) * x(5)
            logit += x(6) > 0.5 ? 0.8 : 0
            logit += 0.3 * (x(7) * x(7) - 1)
            labels[i] = rng.nextUnit() < MathUtil.sigmoid(logit) ? 1 : 0
        }
        for i in 0..<rows where rng.nextUnit() < 0.02 { values[3 * rows + i] = .nan }
        let names = (0..<features).map { "x\($0)" }
        return try Dataset(featureNames: names, columnMajor: values, rowCount: rows, labels: labels)
    }
}
