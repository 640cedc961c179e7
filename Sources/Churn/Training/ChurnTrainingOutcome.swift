// ChurnTrainingOutcome: what one training run produced — the registered model's id, figures and promotion decision.
import Learning

public struct ChurnTrainingOutcome: Sendable {
    public let modelID: Int64
    public let algorithm: ChurnAlgorithm
    public let source: String
    public let features: [String]
    public let trainRows: Int
    public let testRows: Int
    public let positives: Int
    public let metrics: ModelMetrics
    public let decision: ModelPromotionDecision
    /// Wall-clock seconds spent fitting (on the compute thread).
    public let trainingSeconds: Double
}
