// ModelRecord: one row of cs.models as the CLI and jobs see it (figures as JSON text, the model decoded on demand).
import Foundation

/// A registered model. JSON columns are kept as text: they are shown to operators as they are stored.
public struct ModelRecord: Sendable {
    public let id: Int64
    public let algorithm: String
    public let status: String
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
