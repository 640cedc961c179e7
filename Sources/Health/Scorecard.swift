// Scorecard: the configurable weighted measures a health score is made of, and their validation.
import Basics
import Foundation

/// The measures a scorecard can use. Each is computed set-based in SQL (`HealthStatements`) and
/// normalised to 0–100 in Swift (`ScoreCalculator`).
public enum ComponentKey: String, Sendable, CaseIterable, Codable, Comparable {
    /// Distinct active days in the look-back window (prorated for accounts younger than it).
    case usageFrequency = "usage_frequency"
    /// Activity per day in the look-back window ÷ per day in the `baseline_days` before it;
    /// divided by the same ratio of the same weeks last year (`season_shift_days`, default 364,
    /// 0 = off) when those weeks have activity (`TrendBasis`).
    case usageTrend = "usage_trend"
    /// Distinct key features (`HealthStatements.keyFeatures`) used in the look-back window.
    case featureAdoption = "feature_adoption"
    /// Open tickets weighted by priority (low 1, normal 2, high 4, urgent 8) × (1 + min(open days, 60) / 30).
    case supportLoad = "support_load"
    /// Latest NPS answer (0–10) in the window.
    case nps
    /// Latest CSAT (1–5), from surveys or closed tickets, in the window.
    case csat
    /// Failed collections in the window + 2 × invoices overdue by more than `grace_days`.
    case paymentHealth = "payment_health"
    /// Share of the onboarding milestones due by the account's tenure that are done (`schedule`: milestone → day).
    case onboarding
    /// Days since sign-up.
    case tenure
    /// Days until the renewal date (missing when none is set or it is in the past).
    case renewalProximity = "renewal_proximity"
    /// The latest churn probability in the window; folded in as 100 × (1 − p) by default.
    case churnRisk = "churn_risk"

    public static func < (a: ComponentKey, b: ComponentKey) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// One measure of a scorecard: its weight, window and linear normalisation.
public struct ScorecardComponent: Sendable, Equatable {
    public var key: ComponentKey
    /// Relative weight; re-normalised over the measures an account actually has.
    public var weight: Double
    public var lookbackDays: Int
    /// The raw value that maps to 0 and the one that maps to 100 (linear, clamped). `fullAt`
    /// below `zeroAt` means "lower is better" (support load, payment failures).
    public var zeroAt: Double
    public var fullAt: Double
    /// Component extras: `baseline_days`, `season_shift_days` (usage_trend), `grace_days` (payment_health),
    /// `schedule` (onboarding: milestone → due day).
    public var params: [String: JSONValue]

    public init(key: ComponentKey, weight: Double, lookbackDays: Int, zeroAt: Double, fullAt: Double,
                params: [String: JSONValue] = [:]) {
        self.key = key; self.weight = weight; self.lookbackDays = lookbackDays
        self.zeroAt = zeroAt; self.fullAt = fullAt; self.params = params
    }

    /// Maps a raw value to 0–100.
    public func normalise(_ raw: Double) -> Double {
        let t = (raw - zeroAt) / (fullAt - zeroAt)
        return min(100, max(0, t * 100))
    }

    func intParam(_ name: String, default value: Int) -> Int {
        if case .number(let n)? = params[name] { return Int(n) }
        return value
    }
}

/// A named set of components and the band thresholds.
public struct Scorecard: Sendable, Equatable {
    public var id: Int64?
    public var name: String
    public var components: [ScorecardComponent]
    /// score < redBelow ⇒ red; score ≥ greenAt ⇒ green; otherwise yellow.
    public var redBelow: Double
    public var greenAt: Double

    public init(id: Int64? = nil, name: String, components: [ScorecardComponent], redBelow: Double, greenAt: Double) {
        self.id = id; self.name = name; self.components = components; self.redBelow = redBelow; self.greenAt = greenAt
    }

    /// The band a score falls in.
    public func band(for score: Double) -> HealthBand {
        score < redBelow ? .red : (score >= greenAt ? .green : .yellow)
    }

    public func component(_ key: ComponentKey) -> ScorecardComponent? { components.first { $0.key == key } }

    /// Throws the first problem found, naming the component, so no run starts on a bad
    /// configuration. Unknown component names are caught when loading (`ScorecardStore`).
    public func validate() throws(ScorecardError) {
        if components.isEmpty { throw ScorecardError(.noComponents, scorecard: name, "scorecard has no components") }
        var seen = Set<ComponentKey>()
        for c in components {
            if !seen.insert(c.key).inserted {
                throw ScorecardError(.duplicateComponent, scorecard: name, component: c.key.rawValue, "component listed twice")
            }
            if !c.weight.isFinite || c.weight < 0 {
                throw ScorecardError(.negativeWeight, scorecard: name, component: c.key.rawValue, "weight \(c.weight) must be ≥ 0")
            }
            if c.lookbackDays <= 0 {
                throw ScorecardError(.nonPositiveLookback, scorecard: name, component: c.key.rawValue,
                                     "lookback_days \(c.lookbackDays) must be > 0")
            }
            if !c.zeroAt.isFinite || !c.fullAt.isFinite || c.zeroAt == c.fullAt {
                throw ScorecardError(.degenerateRange, scorecard: name, component: c.key.rawValue,
                                     "zero_at (\(c.zeroAt)) and full_at (\(c.fullAt)) must differ")
            }
            if c.key == .onboarding {
                guard case .object(let schedule)? = c.params["schedule"], !schedule.isEmpty,
                      schedule.values.allSatisfy({ if case .number(let n) = $0 { return n >= 0 } else { return false } }) else {
                    throw ScorecardError(.badParams, scorecard: name, component: c.key.rawValue,
                                         "params.schedule must map milestone names to due days ≥ 0")
                }
            }
            if c.key == .usageTrend, c.intParam("baseline_days", default: 60) <= 0 {
                throw ScorecardError(.nonPositiveLookback, scorecard: name, component: c.key.rawValue, "baseline_days must be > 0")
            }
            if c.key == .usageTrend, c.intParam("season_shift_days", default: 364) < 0 {
                throw ScorecardError(.badParams, scorecard: name, component: c.key.rawValue,
                                     "season_shift_days must be ≥ 0 (0 turns the seasonal comparison off)")
            }
        }
        if components.reduce(0, { $0 + $1.weight }) <= 0 {
            throw ScorecardError(.zeroTotalWeight, scorecard: name, "weights sum to 0")
        }
        guard redBelow.isFinite, greenAt.isFinite, 0 <= redBelow, redBelow <= greenAt, greenAt <= 100 else {
            throw ScorecardError(.thresholdsOutOfOrder, scorecard: name,
                                 "band thresholds must satisfy 0 ≤ red_below (\(redBelow)) ≤ green_at (\(greenAt)) ≤ 100")
        }
    }
}

/// Red, yellow or green.
public enum HealthBand: String, Sendable, Codable, Comparable {
    case red, yellow, green
    var rank: Int { self == .red ? 0 : (self == .yellow ? 1 : 2) }
    public static func < (a: HealthBand, b: HealthBand) -> Bool { a.rank < b.rank }
}

/// A scorecard that cannot be used. Raised before any score is written.
public struct ScorecardError: CodedError, Equatable {
    public typealias Code = ErrorCode<ScorecardError>

    public let code: Code
    public let scorecard: String
    /// The offending component, when the problem is in one.
    public let component: String?
    public let message: String

    public init(_ code: Code, scorecard: String, component: String? = nil, _ message: String) {
        self.code = code; self.scorecard = scorecard; self.component = component; self.message = message
    }

    public var description: String {
        "scorecard '\(scorecard)'" + (component.map { ", component '\($0)'" } ?? "") + ": \(message) [\(code)]"
    }
}

extension ErrorCode where Domain == ScorecardError {
    public static let notFound = Self("not_found")
    public static let noComponents = Self("no_components")
    public static let unknownComponent = Self("unknown_component")
    public static let duplicateComponent = Self("duplicate_component")
    public static let negativeWeight = Self("negative_weight")
    public static let zeroTotalWeight = Self("zero_total_weight")
    public static let thresholdsOutOfOrder = Self("thresholds_out_of_order")
    public static let nonPositiveLookback = Self("non_positive_lookback")
    public static let degenerateRange = Self("degenerate_range")
    public static let badParams = Self("bad_params")
}
