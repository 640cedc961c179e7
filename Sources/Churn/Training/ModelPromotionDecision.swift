// ModelPromotionDecision: the champion/challenger rule and the record of why a model was or was not promoted.
import Foundation

/// Whether a candidate replaces the champion, with the figures it was decided on
/// (stored as `cs.models.promotion`).
///
/// The rule: both models are scored on the SAME hold-out rows (the candidate's test split; the
/// champion is re-scored on them), and the candidate is promoted only when its ROC AUC exceeds the
/// champion's by more than `margin`. With no champion, the first model is promoted. A champion that
/// cannot be scored on those rows (missing columns) is not replaced automatically.
public struct ModelPromotionDecision: Sendable, Codable, Equatable {
    public let promoted: Bool
    public let reason: String
    public let championID: Int64?
    public let candidateAuc: Double?
    public let championAuc: Double?
    public let margin: Double
    public let holdOutRows: Int
    /// True when an operator promoted by hand (`cs-worker model promote`).
    public let manual: Bool

    public init(promoted: Bool, reason: String, championID: Int64?, candidateAuc: Double?, championAuc: Double?,
                margin: Double, holdOutRows: Int, manual: Bool = false) {
        self.promoted = promoted; self.reason = reason; self.championID = championID
        self.candidateAuc = candidateAuc; self.championAuc = championAuc
        self.margin = margin; self.holdOutRows = holdOutRows; self.manual = manual
    }

    /// Applies the rule. `championAUC` is nil when there is no champion or it could not be scored
    /// (`championUnscorable` says why).
    /// Fewest hold-out rows, and fewest of each class among them, for an AUC worth acting
    /// on: below this a perfect score on a handful of rows is luck, not skill.
    public static let minimumHoldOutRows = 50
    public static let minimumHoldOutPerClass = 5

    public static func decide(candidateAUC: Double, championID: Int64?, championAUC: Double?, margin: Double,
                              holdOutRows: Int, holdOutPositives: Int? = nil, championUnscorable: String? = nil,
                              productionProblem: String? = nil) -> ModelPromotionDecision {
        let candidate = candidateAUC.isFinite ? candidateAUC : nil
        let positives = holdOutPositives ?? minimumHoldOutPerClass
        if holdOutRows < minimumHoldOutRows || positives < minimumHoldOutPerClass || holdOutRows - positives < minimumHoldOutPerClass {
            return ModelPromotionDecision(promoted: false,
                                          reason: "hold-out too small to trust (\(holdOutRows) rows, \(positives) positive; needs \(minimumHoldOutRows) rows and \(minimumHoldOutPerClass) of each class)",
                                          championID: championID, candidateAuc: candidate, championAuc: championAUC, margin: margin,
                                          holdOutRows: holdOutRows)
        }
        if let productionProblem {
            return ModelPromotionDecision(promoted: false, reason: "cannot score production: \(productionProblem)",
                                          championID: championID, candidateAuc: candidate, championAuc: championAUC, margin: margin,
                                          holdOutRows: holdOutRows)
        }
        guard let championID else {
            return ModelPromotionDecision(promoted: candidate != nil, reason: candidate != nil ? "no champion: first model becomes champion"
                                                                                              : "hold-out AUC undefined",
                                          championID: nil, candidateAuc: candidate, championAuc: nil, margin: margin, holdOutRows: holdOutRows)
        }
        if let championUnscorable {
            return ModelPromotionDecision(promoted: false, reason: "champion \(championID) cannot be scored on this hold-out: \(championUnscorable)",
                                          championID: championID, candidateAuc: candidate, championAuc: nil, margin: margin, holdOutRows: holdOutRows)
        }
        guard let candidate, let championAUC, championAUC.isFinite else {
            return ModelPromotionDecision(promoted: false, reason: "AUC undefined on this hold-out", championID: championID,
                                          candidateAuc: candidate, championAuc: nil, margin: margin, holdOutRows: holdOutRows)
        }
        let delta = candidate - championAUC
        let promoted = delta > margin
        let reason = String(format: promoted ? "candidate AUC %.4f beats champion %.4f by %.4f > margin %.4f"
                                              : "candidate AUC %.4f vs champion %.4f: gain %.4f not above margin %.4f",
                            candidate, championAUC, delta, margin)
        return ModelPromotionDecision(promoted: promoted, reason: reason, championID: championID, candidateAuc: candidate,
                                      championAuc: championAUC, margin: margin, holdOutRows: holdOutRows)
    }
}
