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
        let head = try await database.query(ScorecardSQL.load, [name])
        guard let row = head.first else {
            throw ScorecardError(.notFound, scorecard: name ?? "(active)",
                                 name == nil ? "no active scorecard" : "no scorecard with this name")
        }
        let id = try row.decode(Int64.self, 0)
        let cardName = try row.decode(String.self, 1)
        let rows = try await database.query(ScorecardSQL.components, [id])
        var components: [ScorecardComponent] = []
        for r in rows {
            let keyText = try r.decode(String.self, 0)
            guard let key = ComponentKey(rawValue: keyText) else {
                throw ScorecardError(.unknownComponent, scorecard: cardName, component: keyText,
                                     "unknown component; known: \(ComponentKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let params = JSONValue.object(fromJSON: try r.decode(String.self, 5)) else {
                throw ScorecardError(.badParams, scorecard: cardName, component: keyText, "params must be a JSON object")
            }
            components.append(ScorecardComponent(
                key: key, weight: try r.decode(Double.self, 1), lookbackDays: try r.decode(Int.self, 2),
                zeroAt: try r.decode(Double.self, 3), fullAt: try r.decode(Double.self, 4), params: params))
        }
        return Scorecard(id: id, name: cardName, components: components.sorted { $0.key < $1.key },
                         redBelow: try row.decode(Double.self, 2), greenAt: try row.decode(Double.self, 3))
    }
}

/// Statements for scorecards.
enum ScorecardSQL {
    static let load = """
        SELECT id, name, red_below::float8, green_at::float8 FROM cs.scorecards
        WHERE ($1::text IS NULL AND active) OR name = $1::text
        ORDER BY (name = $1::text) DESC NULLS LAST LIMIT 1
        """
    static let components = """
        SELECT component, weight::float8, lookback_days, zero_at::float8, full_at::float8, params::text
        FROM cs.scorecard_components WHERE scorecard_id = $1 ORDER BY component
        """
}
