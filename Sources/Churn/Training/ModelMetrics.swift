// ModelMetrics: the hold-out figures stored in cs.models.metrics, in operator-friendly snake_case JSON.
import Learning

/// Hold-out metrics of one model, flattened from Learning's `ModelEvaluation` for `cs.models.metrics`.
/// NaN cannot be JSON, so undefined figures are nil (null).
public struct ModelMetrics: Sendable, Codable, Equatable {
    public struct Calibration: Sendable, Codable, Equatable {
        public let lower: Double
        public let upper: Double
        public let count: Int
        public let meanPredicted: Double?
        public let observedRate: Double?
    }

    public let rocAuc: Double?
    public let prAuc: Double?
    public let brier: Double?
    public let logLoss: Double?
    public let threshold: Double
    public let accuracy: Double
    public let precision: Double
    public let recall: Double
    public let f1: Double
    public let calibration: [Calibration]
    public let topDecileRows: Int
    public let topDecileChurnRate: Double?
    public let topDecileLift: Double?
    public let topDecileCapture: Double?
    public let testPositiveRate: Double
    public let meanPredicted: Double

    public init(_ e: ModelEvaluation, testLabels: [Double], probabilities: [Double]) {
        func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
        rocAuc = finite(e.rocAUC); prAuc = finite(e.averagePrecision); brier = finite(e.brier); logLoss = finite(e.logLoss)
        threshold = e.atThreshold.threshold
        accuracy = e.atThreshold.accuracy; precision = e.atThreshold.precision; recall = e.atThreshold.recall; f1 = e.atThreshold.f1
        calibration = e.calibration.map {
            Calibration(lower: $0.lower, upper: $0.upper, count: $0.count, meanPredicted: $0.meanPredicted, observedRate: $0.observedRate)
        }
        topDecileRows = e.topDecile.rows
        topDecileChurnRate = finite(e.topDecile.positiveRate)
        topDecileLift = finite(e.topDecile.lift)
        topDecileCapture = finite(e.topDecile.captureRate)
        testPositiveRate = testLabels.isEmpty ? 0 : testLabels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) } / Double(testLabels.count)
        meanPredicted = probabilities.isEmpty ? 0 : probabilities.reduce(0, +) / Double(probabilities.count)
    }
}
