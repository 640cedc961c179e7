// ChurnDriftResult: what one drift check measured and did (also a row of cs.model_drift_checks).

public struct ChurnDriftResult: Sendable, Equatable {
    public let modelID: Int64?
    public let liveRows: Int
    /// PSI per numeric input feature.
    public let psi: [String: Double]
    public let maxPSI: Double?
    public let maxPSIFeature: String?
    /// Predictions old enough (one horizon) to be judged against outcomes.
    public let judgedPredictions: Int
    public let predictedChurn: Double?
    public let realisedChurn: Double?
    public let drifted: Bool
    public let reasons: [String]
    /// `none`, `retrain_enqueued` or `no_champion`.
    public let action: String
    public let retrainJobID: Int64?
}
