// AlertBook: what operators do with alerts — list, acknowledge (stops escalation), resolve.
import Foundation
import PG

/// An alert as `cs-worker alerts` and the console show it.
public struct AlertRow: Sendable, Codable, Equatable {
    public let id: Int64
    public let check: String
    public let subject: String
    public let severity: String
    public let state: String
    public let message: String
    public let tier: Int
    public let openedAt: Date
    public let lastSeenAt: Date
    public let acknowledgedBy: String?
    public let resolvedAt: Date?
}

/// The result of acknowledging or resolving one alert.
public enum AlertActionResult: Sendable, Equatable, CustomStringConvertible {
    case now(String)
    case notFound
    public var description: String {
        switch self {
        case .now(let state): return "now \(state)"
        case .notFound: return "no such alert"
        }
    }
}

public struct AlertBook: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// Live alerts first (most severe, oldest), then up to `resolved` recently resolved ones.
    public func list(resolved: Int = 20) async throws -> [AlertRow] {
        try await database.rows(Statements.List(resolved: resolved))
    }

    public func acknowledge(_ id: Int64, by who: String) async throws -> AlertActionResult {
        try await database.one(Statements.Act(action: .acknowledge, id: id, by: who)).map(AlertActionResult.now) ?? .notFound
    }

    public func resolve(_ id: Int64, by who: String) async throws -> AlertActionResult {
        try await database.one(Statements.Act(action: .resolve, id: id, by: who)).map(AlertActionResult.now) ?? .notFound
    }

    /// Alert counts by state (for the metrics).
    public func counts() async throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try await database.rows(Statements.Counts()))
    }

    enum Statements {
        struct List: Statement {
            var resolved: Int
            var sql: String {
                """
                (SELECT id, check_key, subject, severity, state, message, tier, opened_at, last_seen_at, acknowledged_by, resolved_at
                 FROM cs.alerts WHERE state <> 'resolved'
                 ORDER BY cs.severity_rank(severity) DESC, opened_at)
                UNION ALL
                (SELECT id, check_key, subject, severity, state, message, tier, opened_at, last_seen_at, acknowledged_by, resolved_at
                 FROM cs.alerts WHERE state = 'resolved' ORDER BY resolved_at DESC LIMIT $1)
                """
            }
            var bindings: [any SQLParameter] { [resolved] }
            func decode(_ r: Row) throws -> AlertRow {
                AlertRow(id: try r.decode(Int64.self, 0), check: try r.decode(String.self, 1), subject: try r.decode(String.self, 2),
                         severity: try r.decode(String.self, 3), state: try r.decode(String.self, 4),
                         message: try r.decode(String.self, 5), tier: try r.decode(Int.self, 6),
                         openedAt: try r.decode(Date.self, 7), lastSeenAt: try r.decode(Date.self, 8),
                         acknowledgedBy: try r.decodeIfPresent(String.self, 9), resolvedAt: try r.decodeIfPresent(Date.self, 10))
            }
        }
        struct Act: Statement {
            enum Action { case acknowledge, resolve }
            var action: Action
            var id: Int64
            var by: String
            var sql: String {
                switch action {
                case .acknowledge: return "SELECT cs.acknowledge_alert($1, $2)"
                case .resolve: return "SELECT cs.resolve_alert($1, $2)"
                }
            }
            var bindings: [any SQLParameter] { [id, by] }
            func decode(_ r: Row) throws -> String? { try r.decodeIfPresent(String.self, 0) }
        }
        struct Counts: Statement {
            var sql: String {
                "SELECT s, (SELECT count(*) FROM cs.alerts a WHERE a.state = s) FROM unnest(ARRAY['open', 'acknowledged', 'resolved']) s"
            }
            func decode(_ r: Row) throws -> (String, Int) { (try r.decode(String.self, 0), try r.decode(Int.self, 1)) }
        }
    }
}
