// ChurnAlgorithm+Registry: the short names used in job arguments, the CLI and cs.models.algorithm.
import Learning

extension ChurnAlgorithm {
    /// `gbdt` or `logistic`, as stored in `cs.models.algorithm`.
    public var registryName: String {
        switch self {
        case .gradientBoosting: return "gbdt"
        case .logisticRegression: return "logistic"
        }
    }

    /// Parses `gbdt` / `logistic` (and the long names).
    public init?(registryName: String) {
        switch registryName.lowercased() {
        case "gbdt", "gradientboosting", "gradient_boosting", "hgb": self = .gradientBoosting
        case "logistic", "logreg", "lr", "logisticregression", "logistic_regression": self = .logisticRegression
        default: return nil
        }
    }
}
