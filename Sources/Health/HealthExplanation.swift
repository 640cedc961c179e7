// HealthExplanation: why an account has its score — components, weights, raw values, and what moved.
import Foundation
import PG

/// One component of an explained score, next to its value in the previous score.
public struct ExplainedComponent: Sendable, Equatable {
    public var key: String
    public var raw: Double?
    public var score: Double?
    public var weight: Double
    public var effectiveWeight: Double
    /// effectiveWeight × score: the points this component adds to the total.
    public var contribution: Double
    public var previousRaw: Double?
    public var previousScore: Double?
    /// score − previousScore, when both exist.
    public var scoreDelta: Double?
    /// contribution − previous contribution (what moved the total).
    public var contributionDelta: Double?
    /// usage_trend only: what the trend was compared with.
    public var basis: TrendBasis? = nil
}

/// The latest score of one account, explained against the one before it.
public struct HealthExplanation: Sendable {
    public var accountID: Int64
    public var accountName: String?
    public var scoredAt: Date
    public var score: Double
    public var band: HealthBand
    public var previousScore: Double?
    public var previousScoredAt: Date?
    public var trend: Double?
    public var components: [ExplainedComponent]
    /// The signals this score answered (empty: a scheduled or manual run).
    public var signals: [AccountSignal] = []

    /// Loads the account's latest two scores; nil when it has never been scored.
    public static func load(accountID: Int64, database: Database) async throws -> HealthExplanation? {
        let r = try await database.rows(HealthStatements.LatestTwoScores(accountID: accountID))
        guard let latest = r.first else { return nil }
        let prior = r.count > 1 ? r[1] : nil
        let now = try ComponentsJSON.decode(latest.componentsJSON)
        let before = try prior.map { try ComponentsJSON.decode($0.componentsJSON) } ?? [:]
        var lines: [ExplainedComponent] = []
        for key in now.keys.sorted(by: order) {
            guard let c = now[key] else { continue }
            let p = before[key]
            let contribution = (c.score ?? 0) * c.effectiveWeight
            let prevContribution = p.map { ($0.score ?? 0) * $0.effectiveWeight }
            var delta: Double?
            if let s = c.score, let ps = p?.score { delta = s - ps }
            lines.append(ExplainedComponent(
                key: key, raw: c.raw, score: c.score, weight: c.weight, effectiveWeight: c.effectiveWeight,
                contribution: contribution, previousRaw: p?.raw, previousScore: p?.score, scoreDelta: delta,
                contributionDelta: prevContribution.map { contribution - $0 }, basis: c.basis))
        }
        let score = latest.score
        let prevScore = prior?.score
        return HealthExplanation(
            accountID: accountID, accountName: latest.accountName,
            scoredAt: latest.scoredAt, score: score,
            band: HealthBand(rawValue: latest.band) ?? .red,
            previousScore: prevScore, previousScoredAt: prior?.scoredAt,
            trend: prevScore.map { score - $0 }, components: lines,
            signals: try await database.rows(HealthStatements.SignalsOfScore(healthScoreID: latest.id)))
    }

    private static func order(_ a: String, _ b: String) -> Bool {
        switch (ComponentKey(rawValue: a), ComponentKey(rawValue: b)) {
        case let (x?, y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a < b
        }
    }

    /// A fixed-width table for a terminal (what `cs-worker explain ACCOUNT` prints).
    public func render() -> String {
        var out = "Account \(accountID)" + (accountName.map { " — \($0)" } ?? "") + "\n"
        out += "Score \(f(score)) (\(band.rawValue)) at \(PGTime.format(scoredAt))"
        if let p = previousScore, let t = trend { out += "; previous \(f(p)), trend \(signed(t))" } else { out += "; first score" }
        out += "\n\n"
        out += pad("component", 19) + pad("raw", 11) + pad("score", 8) + pad("weight", 8) + pad("eff.w", 8)
            + pad("points", 8) + pad("Δscore", 9) + "Δpoints\n"
        for c in components {
            out += pad(c.key, 19) + pad(c.raw.map { f($0, 2) } ?? "missing", 11) + pad(c.score.map { f($0) } ?? "-", 8)
                + pad(f(c.weight, 3), 8) + pad(f(c.effectiveWeight, 3), 8) + pad(f(c.contribution), 8)
                + pad(c.scoreDelta.map { signed($0) } ?? "-", 9) + (c.contributionDelta.map { signed($0) } ?? "-") + "\n"
        }
        let movers = components.compactMap { c in c.contributionDelta.map { (c.key, $0) } }
            .filter { abs($0.1) >= 0.005 }.sorted { abs($0.1) > abs($1.1) }
        if previousScore != nil {
            out += movers.isEmpty ? "\nNothing moved since the previous score.\n"
                : "\nMoved since the previous score: " + movers.prefix(3).map { "\($0.0) \(signed($0.1)) pts" }.joined(separator: ", ") + "\n"
        }
        if signals.isEmpty {
            out += "Triggered by: a scheduled or manual scoring run (no signal).\n"
        } else {
            out += "Triggered by: " + signals.map { s in
                "\(s.rule) — \(s.detail)" + (s.events > 1 ? " [\(s.events) rows]" : "") + " at \(PGTime.format(s.occurredAt))"
            }.joined(separator: "; ") + "\n"
        }
        if let trend = components.first(where: { $0.key == ComponentKey.usageTrend.rawValue }), let basis = trend.basis {
            out += basis == .sameWeeksLastYear
                ? "usage_trend compared with the same weeks last year (seasonally adjusted).\n"
                : "usage_trend compared with the baseline before it (no activity in the same weeks last year).\n"
        }
        let missing = components.filter { $0.score == nil }.map(\.key)
        if !missing.isEmpty { out += "Missing (weight re-distributed): \(missing.joined(separator: ", "))\n" }
        return out
    }

    private func f(_ x: Double, _ d: Int = 2) -> String { String(format: "%.\(d)f", x) }
    private func signed(_ x: Double) -> String { (x >= 0 ? "+" : "") + String(format: "%.2f", x) }
    private func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
}
