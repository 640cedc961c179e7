// ModelRecord: one row of cs.models as the CLI and jobs see it (figures as JSON text, the model decoded on demand).
import Foundation
import Learning

/// A registered model. JSON columns are kept as text: they are shown to operators as they are stored.
public struct ModelRecord: Sendable {
    public let id: Int64
    public let algorithm: ChurnAlgorithm
    public let status: ModelStatus
    public let source: String
    public let label: String
    public let features: [String]
    public let trainRows: Int
    public let testRows: Int
    public let positives: Int
    /// Hold-out ROC AUC (nil when undefined).
    public let rocAUC: Double?
    public let trainedAt: Date
    public let promotedAt: Date?
    public let paramsJSON: String
    public let trainingWindowJSON: String
    public let metricsJSON: String
    public let featureImportanceJSON: String
    public let promotionJSON: String?
}

/// Where a model is in the registry (`cs.models.status`): at most one champion at a time.
public enum ModelStatus: String, Sendable, CaseIterable, Codable {
    /// Trained and registered; not serving.
    case candidate
    /// The model `predict_churn` uses.
    case champion
    /// A former champion.
    case retired
}
