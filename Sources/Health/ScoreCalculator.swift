// ScoreCalculator: raw measures → normalised components → weighted score, band and trend. Pure.
import Foundation

/// One component of a computed score. `raw`/`score` are nil when the account lacks the
/// measure; its weight then goes to the others (`effectiveWeight` 0).
public struct ComponentScore: Sendable, Equatable, Codable {
    public var key: ComponentKey
    public var raw: Double?
    /// 0–100.
    public var score: Double?
    public var weight: Double
    /// weight ÷ the sum of the weights of the measures present.
    public var effectiveWeight: Double
    /// What the usage trend was compared with (nil for the other components).
    public var basis: TrendBasis? = nil
}

/// The reference of the usage trend. Wedding suppliers' usage swings with the season, so
/// when the same weeks last year have activity the trend is this year's change divided by
/// last year's change over the same weeks (a June-to-November drop as deep as last year's
/// reads 1.0); without that history it is the change against the baseline alone.
public enum TrendBasis: String, Sendable, Codable {
    case baseline
    case sameWeeksLastYear = "same_weeks_last_year"
}

/// One account's score as written to cs.health_scores.
public struct ComputedScore: Sendable, Equatable {
    public var accountID: Int64
    /// 0–100, rounded to 2 decimals.
    public var score: Double
    public var band: HealthBand
    public var previousScore: Double?
    /// score − previousScore.
    public var trend: Double?
    public var components: [ComponentScore]
    public var churnProbability: Double?
}

/// Turns measures into scores with a validated scorecard.
public struct ScoreCalculator: Sendable {
    public let scorecard: Scorecard

    public init(scorecard: Scorecard) { self.scorecard = scorecard }

    public func score(_ m: AccountMeasures) -> ComputedScore {
        var parts: [ComponentScore] = []
        parts.reserveCapacity(scorecard.components.count)
        var presentWeight = 0.0
        for c in scorecard.components {
            let (raw, norm) = measure(c, m)
            if norm != nil { presentWeight += c.weight }
            parts.append(ComponentScore(key: c.key, raw: raw, score: norm, weight: c.weight, effectiveWeight: 0,
                                        basis: c.key == .usageTrend && raw != nil ? trendBasis(c, m) : nil))
        }
        var total = 0.0
        for i in parts.indices {
            guard let s = parts[i].score, presentWeight > 0 else { continue }
            let eff = parts[i].weight / presentWeight
            parts[i].effectiveWeight = eff
            total += eff * s
        }
        let score = Self.round2(total)
        let trend = m.previousScore.map { Self.round2(score - $0) }
        return ComputedScore(accountID: m.accountID, score: score, band: scorecard.band(for: score),
                             previousScore: m.previousScore, trend: trend, components: parts,
                             churnProbability: m.churnProbability)
    }

    /// The raw value of one measure and its 0–100 value; both nil when missing.
    func measure(_ c: ScorecardComponent, _ m: AccountMeasures) -> (Double?, Double?) {
        switch c.key {
        case .usageFrequency:
            // Prorate for accounts younger than the window: 6 active days in a 15-day life
            // count like 12 in 30.
            let raw = Double(m.activeDays)
            let lived = min(Double(c.lookbackDays), max(1, m.tenureDays))
            return (raw, c.normalise(raw * Double(c.lookbackDays) / lived))
        case .usageTrend:
            let baselineDays = Double(c.intParam("baseline_days", default: 60))
            guard m.baselineQuantity > 0, m.tenureDays >= Double(c.lookbackDays) + baselineDays else { return (nil, nil) }
            var raw = (m.recentQuantity / Double(c.lookbackDays)) / (m.baselineQuantity / baselineDays)
            if trendBasis(c, m) == .sameWeeksLastYear {
                raw /= (m.lastYearRecentQuantity / Double(c.lookbackDays)) / (m.lastYearBaselineQuantity / baselineDays)
            }
            return (raw, c.normalise(raw))
        case .featureAdoption:
            let raw = Double(m.featureMask.nonzeroBitCount)
            return (raw, c.normalise(raw))
        case .supportLoad:
            return (m.supportLoad, c.normalise(m.supportLoad))
        case .nps:
            guard let v = m.nps else { return (nil, nil) }
            return (Double(v), c.normalise(Double(v)))
        case .csat:
            guard let v = m.csat else { return (nil, nil) }
            return (Double(v), c.normalise(Double(v)))
        case .paymentHealth:
            guard m.hasInvoices else { return (nil, nil) }
            let raw = Double(m.failedPayments + 2 * m.overdueInvoices)
            return (raw, c.normalise(raw))
        case .onboarding:
            guard m.milestonesExpected > 0 else { return (nil, nil) }
            let raw = Double(m.milestonesDone) / Double(m.milestonesExpected)
            return (raw, c.normalise(raw))
        case .tenure:
            return (m.tenureDays, c.normalise(m.tenureDays))
        case .renewalProximity:
            guard let d = m.renewalDays, d >= 0 else { return (nil, nil) }
            return (Double(d), c.normalise(Double(d)))
        case .churnRisk:
            guard let p = m.churnProbability else { return (nil, nil) }
            return (p, c.normalise(p))
        }
    }

    /// Last year's same weeks are the reference when both of its windows had activity.
    func trendBasis(_ c: ScorecardComponent, _ m: AccountMeasures) -> TrendBasis {
        m.lastYearRecentQuantity > 0 && m.lastYearBaselineQuantity > 0 ? .sameWeeksLastYear : .baseline
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
