// ScorecardStore: loads a scorecard and its components from cs.scorecards / cs.scorecard_components.
import Basics
import Foundation
import PG

/// Reads scorecards. Loading does not validate; `HealthScorer` validates before scoring.
public struct ScorecardStore: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// The scorecard called `name`, or the active one when `name` is nil.
    /// Throws `ScorecardError` (.notFound, .unknownComponent, .badParams).
    public func load(name: String? = nil) async throws -> Scorecard {
        guard let head = try await database.first(HealthStatements.LoadScorecard(name: name)) else {
            throw ScorecardError(.notFound, scorecard: name ?? "(active)",
                                 name == nil ? "no active scorecard" : "no scorecard with this name")
        }
        let id = head.id
        let cardName = head.name
        var components: [ScorecardComponent] = []
        for r in try await database.rows(HealthStatements.ScorecardComponents(scorecardID: id)) {
            let keyText = r.key
            guard let key = ComponentKey(rawValue: keyText) else {
                throw ScorecardError(.unknownComponent, scorecard: cardName, component: keyText,
                                     "unknown component; known: \(ComponentKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let params = JSONValue.object(fromJSON: r.paramsJSON) else {
                throw ScorecardError(.badParams, scorecard: cardName, component: keyText, "params must be a JSON object")
            }
            components.append(ScorecardComponent(
                key: key, weight: r.weight, lookbackDays: r.lookbackDays, zeroAt: r.zeroAt, fullAt: r.fullAt, params: params))
        }
        return Scorecard(id: id, name: cardName, components: components.sorted { $0.key < $1.key },
                         redBelow: head.redBelow, greenAt: head.greenAt)
    }
}
