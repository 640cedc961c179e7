// CheckModelDrift: the arguments of `check_model_drift` jobs (none).
import Queue

/// Compare the champion's training data with live features and realised churn; enqueue
/// retraining past the thresholds (see `ChurnDriftCheck`).
public struct CheckModelDrift: JobArgs, Equatable {
    public static let kind = "check_model_drift"
    public init() {}
}
