// ChurnPredictionRun: what one predict_churn run did.

/// What one prediction run did.
public struct ChurnPredictionRun: Sendable, Equatable {
    /// nil when there was no champion (nothing was written).
    public let modelID: Int64?
    public let accounts: Int
    /// Seconds spent scoring and explaining (the inference itself, no I/O).
    public let inferenceSeconds: Double
}
