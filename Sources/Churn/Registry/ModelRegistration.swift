// ModelRegistration: everything stored about a newly trained model, ready for ModelRegistry.register.
import Learning
import PG

/// Everything stored about a new model, ready to insert.
public struct ModelRegistration: Sendable {
    public var algorithm: ChurnAlgorithm
    public var paramsJSON: JSONText
    public var features: [String]
    public var label: String
    public var source: String
    public var trainingWindowJSON: JSONText
    public var trainRows: Int
    public var testRows: Int
    public var positives: Int
    public var metrics: ModelMetrics
    public var featureImportance: [FeatureContribution]
    public var driftProfile: ModelDriftProfile
    public var model: ChurnModel
}
