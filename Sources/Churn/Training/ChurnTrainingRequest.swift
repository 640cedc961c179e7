// ChurnTrainingRequest: what to train on and how — the `retrain_model` job's arguments and `model train`'s options.
import Learning
import Queue

/// A training run's settings. Decodes from job arguments with every key optional
/// (`{"source": "cs.account_features", "algorithm": "logistic"}`; snake_case keys).
public struct ChurnTrainingRequest: JobArgs, Equatable {
    /// Also the arguments of `retrain_model` jobs.
    public static let kind = "retrain_model"
    /// View or table to train from (`schema.name`; validated against the catalog).
    public var source: String = "cs.account_features"
    /// Label column: boolean, 0/1 number or yes/no text; NULL rows are skipped.
    public var label: String = "churned_within_horizon"
    /// Feature columns; nil means every usable non-id column.
    public var features: [String]?
    /// Columns to leave out of the default feature choice.
    public var drop: [String]?
    /// `gbdt` (default) or `logistic`.
    public var algorithm: String = "gbdt"
    /// ROC AUC gain over the champion (on the same hold-out) needed for promotion.
    public var margin: Double = 0.005
    public var testFraction: Double = 0.2
    public var seed: UInt64 = 42
    /// The label text that means churn, when not a usual yes-spelling.
    public var positiveValue: String?
    /// The label's horizon in days, recorded with the model (the view defines it).
    public var horizonDays: Int = 90
    /// Train on a source that holds personal data (`cs.contacts`): refused unless set.
    public var allowPersonalData: Bool = false
    /// The view production predictions read. A candidate is promoted automatically only if
    /// it can score it (every feature there, of the same kind): a model trained on another
    /// source (a CSV import) is registered but left for an operator to promote.
    public var scoringSource: String = "cs.account_features_current"

    public init(source: String = "cs.account_features", label: String = "churned_within_horizon", features: [String]? = nil,
                drop: [String]? = nil, algorithm: String = "gbdt", margin: Double = 0.005, testFraction: Double = 0.2,
                seed: UInt64 = 42, positiveValue: String? = nil, horizonDays: Int = 90,
                scoringSource: String = "cs.account_features_current") {
        self.source = source; self.label = label; self.features = features; self.drop = drop; self.algorithm = algorithm
        self.margin = margin; self.testFraction = testFraction; self.seed = seed; self.positiveValue = positiveValue
        self.horizonDays = horizonDays
        self.scoringSource = scoringSource
    }

    enum CodingKeys: String, CodingKey {
        case source, label, features, drop, algorithm, margin, testFraction, seed, positiveValue, horizonDays, allowPersonalData, scoringSource
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ChurnTrainingRequest()
        source = try c.decodeIfPresent(String.self, forKey: .source) ?? d.source
        label = try c.decodeIfPresent(String.self, forKey: .label) ?? d.label
        features = try c.decodeIfPresent([String].self, forKey: .features)
        drop = try c.decodeIfPresent([String].self, forKey: .drop)
        algorithm = try c.decodeIfPresent(String.self, forKey: .algorithm) ?? d.algorithm
        margin = try c.decodeIfPresent(Double.self, forKey: .margin) ?? d.margin
        testFraction = try c.decodeIfPresent(Double.self, forKey: .testFraction) ?? d.testFraction
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        positiveValue = try c.decodeIfPresent(String.self, forKey: .positiveValue)
        horizonDays = try c.decodeIfPresent(Int.self, forKey: .horizonDays) ?? d.horizonDays
        allowPersonalData = try c.decodeIfPresent(Bool.self, forKey: .allowPersonalData) ?? false
        scoringSource = try c.decodeIfPresent(String.self, forKey: .scoringSource) ?? d.scoringSource
    }

    /// Checks ranges; throws `.invalidArgument`.
    public func validated() throws -> ChurnAlgorithm {
        guard let algorithm = ChurnAlgorithm(registryName: algorithm) else {
            throw ModelError(.invalidArgument, "algorithm must be gbdt or logistic, got '\(self.algorithm)'")
        }
        guard testFraction > 0, testFraction < 1 else { throw ModelError(.invalidArgument, "test_fraction must be in (0, 1)") }
        guard margin >= 0, margin < 1 else { throw ModelError(.invalidArgument, "margin must be in [0, 1)") }
        guard horizonDays > 0 else { throw ModelError(.invalidArgument, "horizon_days must be positive") }
        return algorithm
    }
}
