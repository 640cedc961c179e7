// ChurnPredictionArgs: arguments of the `predict_churn` job.
import Queue

/// `{"account_ids": [1, 2]}` scores only those accounts; `{}` scores every row of the current-features view.
public struct ChurnPredictionArgs: JobArgs, Equatable {
    public static let kind = "predict_churn"
    public var accountIds: [Int64]?
    /// The current-features view to read (default `cs.account_features_current`).
    public var source: String?
    public init(accountIds: [Int64]? = nil, source: String? = nil) {
        self.accountIds = accountIds
        self.source = source
    }
}
