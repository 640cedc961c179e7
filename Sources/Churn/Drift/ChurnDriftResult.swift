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
    public let action: DriftAction
    public let retrainJobID: Int64?
}

/// What a drift check did about what it found (`cs.model_drift_checks.action`).
public enum DriftAction: String, Sendable, Equatable, Codable {
    /// Nothing past the thresholds.
    case none
    /// No champion to check.
    case noChampion = "no_champion"
    /// A `retrain_model` job was enqueued (or one was already pending).
    case retrainEnqueued = "retrain_enqueued"
}
