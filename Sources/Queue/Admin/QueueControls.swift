// QueueControls: pausing queues and limiting how many jobs of a kind run at once — the two
// controls operators of River, Oban and good_job reach for daily. Both are rows in tables
// (sql/0012_operate.sql) that the claim statements read, so they hold across every worker.
import Foundation
import PG

/// A queue as operators see it: paused or not, and what it holds now.
public struct QueueControlRow: Sendable, Codable, Equatable {
    public let queue: String
    public let paused: Bool
    public let pausedAt: Date?
    public let pausedBy: String?
    public let available: Int
    public let running: Int
}

/// A global concurrency limit on one job kind.
public struct KindLimitRow: Sendable, Codable, Equatable {
    public let kind: String
    public let maxRunning: Int
    public let running: Int
}

public struct QueueControls: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// Stops every worker claiming from `queue` (running jobs finish).
    public func pause(_ queue: String, by who: String) async throws {
        try await database.execute(Statements.Pause(queue: queue, by: who))
    }

    /// Lets workers claim from `queue` again; false when it was not paused.
    public func resume(_ queue: String, by who: String) async throws -> Bool {
        try await database.one(Statements.Resume(queue: queue, by: who))
    }

    /// Every queue that has jobs, a worker or a pause, with its state.
    public func list() async throws -> [QueueControlRow] { try await database.rows(Statements.List()) }

    /// Sets (or with nil removes) the limit of `kind`.
    public func setLimit(kind: String, maxRunning: Int?) async throws {
        if let maxRunning {
            guard maxRunning >= 0 else { throw PGError(.usage, "a kind limit is 0 or more, not \(maxRunning)") }
            try await database.execute(Statements.SetLimit(kind: kind, maxRunning: maxRunning))
        } else {
            try await database.execute(Statements.RemoveLimit(kind: kind))
        }
    }

    public func limits() async throws -> [KindLimitRow] { try await database.rows(Statements.Limits()) }

    enum Statements {
        struct Pause: Statement {
            var queue: String
            var by: String
            var sql: String { "SELECT cs.pause_queue($1, $2)" }
            var bindings: [any SQLParameter] { [queue, by] }
        }
        struct Resume: Statement {
            var queue: String
            var by: String
            var sql: String { "SELECT cs.resume_queue($1, $2)" }
            var bindings: [any SQLParameter] { [queue, by] }
            func decode(_ row: Row) throws -> Bool { try row.decode(Bool.self, 0) }
        }
        /// Queues named by a pause, a live worker or a live job (the live-job part walks the
        /// claim index per queue rather than the whole table).
        struct List: Statement {
            var sql: String {
                """
                WITH names AS (
                    SELECT name FROM cs.queues
                    UNION SELECT unnest(queues) FROM cs.workers
                    UNION SELECT DISTINCT queue FROM cs.jobs WHERE state IN ('available', 'running')
                )
                SELECT n.name, coalesce(q.paused, false), q.paused_at, q.paused_by,
                       (SELECT count(*) FROM cs.jobs j WHERE j.state = 'available' AND j.queue = n.name),
                       (SELECT count(*) FROM cs.jobs j WHERE j.worker_id IS NOT NULL AND j.state = 'running' AND j.queue = n.name)
                FROM names n LEFT JOIN cs.queues q ON q.name = n.name
                ORDER BY n.name
                """
            }
            func decode(_ r: Row) throws -> QueueControlRow {
                QueueControlRow(queue: try r.decode(String.self, 0), paused: try r.decode(Bool.self, 1),
                                pausedAt: try r.decodeIfPresent(Date.self, 2), pausedBy: try r.decodeIfPresent(String.self, 3),
                                available: try r.decode(Int.self, 4), running: try r.decode(Int.self, 5))
            }
        }
        struct SetLimit: Statement {
            var kind: String
            var maxRunning: Int
            var sql: String {
                """
                INSERT INTO cs.kind_limits (kind, max_running) VALUES ($1, $2)
                ON CONFLICT (kind) DO UPDATE SET max_running = EXCLUDED.max_running, updated_at = now()
                """
            }
            var bindings: [any SQLParameter] { [kind, maxRunning] }
        }
        struct RemoveLimit: Statement {
            var kind: String
            var sql: String { "DELETE FROM cs.kind_limits WHERE kind = $1" }
            var bindings: [any SQLParameter] { [kind] }
        }
        struct Limits: Statement {
            var sql: String {
                """
                SELECT k.kind, k.max_running,
                       (SELECT count(*) FROM cs.jobs j WHERE j.worker_id IS NOT NULL AND j.state = 'running' AND j.kind = k.kind)
                FROM cs.kind_limits k ORDER BY k.kind
                """
            }
            func decode(_ r: Row) throws -> KindLimitRow {
                KindLimitRow(kind: try r.decode(String.self, 0), maxRunning: try r.decode(Int.self, 1), running: try r.decode(Int.self, 2))
            }
        }
    }
}
