// ConsoleStatements: every query and action of the web console. Each page reads through
// an index: live jobs through their partial indexes, failing ones through jobs_problems,
// paging by keyset (id < cursor), accounts through cs.account_health_current.
import Foundation
import PG

enum ConsoleStatements {
    // MARK: Queues

    struct QueueRow: Sendable { let queue, kind, state: String; let count: Int; let oldestSeconds: Double? }

    /// Each part reads one partial index (claim, due, running), never the finished rows.
    struct QueueCounts: Statement {
        var sql: String {
            """
            SELECT queue, kind, 'available', count(*), extract(epoch FROM now() - min(run_at))::float8
            FROM cs.jobs WHERE state = 'available' GROUP BY queue, kind
            UNION ALL
            SELECT queue, kind, state::text, count(*), NULL FROM cs.jobs
            WHERE state IN ('scheduled', 'retryable') GROUP BY queue, kind, state
            UNION ALL
            SELECT queue, kind, 'running', count(*), NULL FROM cs.jobs
            WHERE worker_id IS NOT NULL AND state = 'running' GROUP BY queue, kind
            ORDER BY 1, 2, 3
            """
        }
        func decode(_ r: Row) throws -> QueueRow {
            QueueRow(queue: try r.decode(String.self, 0), kind: try r.decode(String.self, 1), state: try r.decode(String.self, 2),
                     count: try r.decode(Int.self, 3), oldestSeconds: try r.decodeIfPresent(Double.self, 4))
        }
    }

    struct Throughput: Statement {
        var sql: String {
            """
            SELECT queue, extract(epoch FROM minute)::float8, completed, failed FROM cs.job_throughput
            WHERE minute >= date_trunc('minute', now()) - interval '60 minutes' ORDER BY minute
            """
        }
        func decode(_ r: Row) throws -> (queue: String, minute: Double, completed: Int, failed: Int) {
            (try r.decode(String.self, 0), try r.decode(Double.self, 1), try r.decode(Int.self, 2), try r.decode(Int.self, 3))
        }
    }

    struct Paused: Statement {
        var sql: String { "SELECT name FROM cs.queues WHERE paused ORDER BY name" }
        func decode(_ r: Row) throws -> String { try r.decode(String.self, 0) }
    }

    // MARK: Jobs

    struct JobFilter: Sendable, Equatable {
        var state: String?
        var kind: String?
        var queue: String?
        var since: Date?
        var before: Int64?
    }

    struct JobRow: Sendable {
        let id: Int64
        let queue, kind, state: String
        let attempt, maxAttempts: Int
        let createdAt: Date
        let attemptedAt: Date?
        let finalizedAt: Date?
        let lastError: String?
    }

    /// A page of jobs, newest first, after the keyset cursor `before`.
    struct Jobs: Statement {
        var filter: JobFilter
        var limit: Int
        var sql: String {
            """
            SELECT id, queue, kind, state::text, attempt, max_attempts, created_at, attempted_at, finalized_at,
                   left(errors -> -1 ->> 'error', 300)
            FROM cs.jobs
            WHERE ($1::text IS NULL OR state = $1::cs.job_state) AND ($2::text IS NULL OR kind = $2)
              AND ($3::text IS NULL OR queue = $3) AND ($4::timestamptz IS NULL OR created_at >= $4)
              AND ($5::bigint IS NULL OR id < $5)
            ORDER BY id DESC LIMIT $6
            """
        }
        var bindings: [any SQLParameter] { [filter.state, filter.kind, filter.queue, filter.since, filter.before, limit] }
        func decode(_ r: Row) throws -> JobRow {
            JobRow(id: try r.decode(Int64.self, 0), queue: try r.decode(String.self, 1), kind: try r.decode(String.self, 2),
                   state: try r.decode(String.self, 3), attempt: try r.decode(Int.self, 4), maxAttempts: try r.decode(Int.self, 5),
                   createdAt: try r.decode(Date.self, 6), attemptedAt: try r.decodeIfPresent(Date.self, 7),
                   finalizedAt: try r.decodeIfPresent(Date.self, 8), lastError: try r.decodeIfPresent(String.self, 9))
        }
    }

    struct JobDetail: Sendable {
        let row: JobRow
        let args: String
        let errors: String
        let attemptedBy: [String]
        let workerID: String?
        let priority: Int
        let runAt: Date
        let uniqueKey: String?
        let result: String?
    }

    struct Job: Statement {
        var id: Int64
        var sql: String {
            """
            SELECT id, queue, kind, state::text, attempt, max_attempts, created_at, attempted_at, finalized_at,
                   left(errors -> -1 ->> 'error', 300), args::text, errors::text, attempted_by, worker_id, priority, run_at,
                   unique_key, result::text
            FROM cs.jobs WHERE id = $1
            """
        }
        var bindings: [any SQLParameter] { [id] }
        func decode(_ r: Row) throws -> JobDetail {
            let row = try Jobs(filter: JobFilter(), limit: 1).decode(r)
            return JobDetail(row: row, args: try r.decode(String.self, 10), errors: try r.decode(String.self, 11),
                             attemptedBy: try r.decode([String].self, 12), workerID: try r.decodeIfPresent(String.self, 13),
                             priority: try r.decode(Int.self, 14), runAt: try r.decode(Date.self, 15),
                             uniqueKey: try r.decodeIfPresent(String.self, 16), result: try r.decodeIfPresent(String.self, 17))
        }
    }

    // MARK: Workers, schedules, deliveries

    struct WorkerRow: Sendable { let id, host: String; let pid: Int; let queues: [String]; let concurrency: Int; let heartbeatAge: Double; let leader: Bool; let running: Int }

    struct Workers: Statement {
        var sql: String {
            """
            SELECT w.id, w.host, w.pid, w.queues, w.concurrency, extract(epoch FROM now() - w.heartbeat_at)::float8,
                   EXISTS (SELECT 1 FROM cs.leader l WHERE l.leader_id = w.id AND l.expires_at > now()),
                   (SELECT count(*) FROM cs.jobs j WHERE j.worker_id = w.id AND j.state = 'running')
            FROM cs.workers w ORDER BY w.started_at
            """
        }
        func decode(_ r: Row) throws -> WorkerRow {
            WorkerRow(id: try r.decode(String.self, 0), host: try r.decode(String.self, 1), pid: try r.decode(Int.self, 2),
                      queues: try r.decode([String].self, 3), concurrency: try r.decode(Int.self, 4),
                      heartbeatAge: try r.decode(Double.self, 5), leader: try r.decode(Bool.self, 6), running: try r.decode(Int.self, 7))
        }
    }

    struct ScheduleRow: Sendable { let name, cron, timezone, kind, queue: String; let enabled: Bool; let lastSlot, nextSlot: Date?; let lastError: String? }

    struct Schedules: Statement {
        var sql: String { "SELECT name, cron, timezone, kind, queue, enabled, last_slot, next_slot, last_error FROM cs.schedules ORDER BY name" }
        func decode(_ r: Row) throws -> ScheduleRow {
            ScheduleRow(name: try r.decode(String.self, 0), cron: try r.decode(String.self, 1), timezone: try r.decode(String.self, 2),
                        kind: try r.decode(String.self, 3), queue: try r.decode(String.self, 4), enabled: try r.decode(Bool.self, 5),
                        lastSlot: try r.decodeIfPresent(Date.self, 6), nextSlot: try r.decodeIfPresent(Date.self, 7),
                        lastError: try r.decodeIfPresent(String.self, 8))
        }
    }

    struct SetScheduleEnabled: Statement {
        var name: String
        var enabled: Bool
        var sql: String { "UPDATE cs.schedules SET enabled = $2, last_error = CASE WHEN $2 THEN NULL ELSE last_error END, updated_at = now() WHERE name = $1" }
        var bindings: [any SQLParameter] { [name, enabled] }
    }

    struct DeliveryCount: Sendable { let channel, type, status: String; let count: Int }

    /// The last 24 hours by channel and status.
    struct DeliveryCounts: Statement {
        var sql: String {
            """
            SELECT d.channel, c.type, d.status, count(*) FROM cs.deliveries d JOIN cs.channels c ON c.name = d.channel
            WHERE d.created_at > now() - interval '24 hours' GROUP BY 1, 2, 3 ORDER BY 1, 3
            """
        }
        func decode(_ r: Row) throws -> DeliveryCount {
            DeliveryCount(channel: try r.decode(String.self, 0), type: try r.decode(String.self, 1), status: try r.decode(String.self, 2),
                          count: try r.decode(Int.self, 3))
        }
    }

    struct DeliveryFailure: Sendable { let id: Int64; let channel, status: String; let attempts: Int; let lastError: String?; let updatedAt: Date }

    /// Recent failures with the provider's reason (already scrubbed of secrets and content
    /// when recorded). Never bodies or recipients.
    struct DeliveryFailures: Statement {
        var sql: String {
            """
            SELECT id, channel, status, attempts, left(last_error, 300), updated_at FROM cs.deliveries
            WHERE status IN ('failed', 'retrying') ORDER BY updated_at DESC LIMIT 50
            """
        }
        func decode(_ r: Row) throws -> DeliveryFailure {
            DeliveryFailure(id: try r.decode(Int64.self, 0), channel: try r.decode(String.self, 1), status: try r.decode(String.self, 2),
                            attempts: try r.decode(Int.self, 3), lastError: try r.decodeIfPresent(String.self, 4),
                            updatedAt: try r.decode(Date.self, 5))
        }
    }

    // MARK: Accounts

    enum AccountSort: String, CaseIterable, Sendable {
        case score, band, churn, mrr, renewal
        /// A fixed ORDER BY per choice (never text from the request).
        var orderBy: String {
            switch self {
            // Bands are ranges of the score, so by band is by score (and uses its index).
            case .score, .band: return "c.score, c.account_id"
            case .churn: return "c.churn_probability DESC NULLS LAST, c.account_id"
            case .mrr: return "a.mrr DESC, a.id"
            case .renewal: return "a.renewal_date NULLS LAST, a.id"
            }
        }
    }

    struct AccountRow: Sendable {
        let id: Int64
        let name: String
        let segment, csm: String?
        let mrr: Double
        let currency: String
        let renewal: String?
        let score: Double
        let band: String
        let trend: Double?
        let churn: Double?
    }

    struct AtRisk: Statement {
        var bands: [String]
        var segment: String?
        var csm: String?
        var sort: AccountSort
        var limit: Int
        var sql: String {
            """
            SELECT a.id, a.name, a.segment, a.csm, a.mrr::float8, a.currency, a.renewal_date::text,
                   c.score::float8, c.band, c.trend::float8, c.churn_probability
            FROM cs.account_health_current c JOIN cs.accounts a ON a.id = c.account_id
            WHERE a.status = 'active' AND c.band = ANY ($1::text[])
              AND ($2::text IS NULL OR a.segment = $2) AND ($3::text IS NULL OR a.csm = $3)
            ORDER BY \(sort.orderBy) LIMIT $4
            """
        }
        var bindings: [any SQLParameter] { [bands, segment, csm, limit] }
        func decode(_ r: Row) throws -> AccountRow {
            AccountRow(id: try r.decode(Int64.self, 0), name: try r.decode(String.self, 1), segment: try r.decodeIfPresent(String.self, 2),
                       csm: try r.decodeIfPresent(String.self, 3), mrr: try r.decode(Double.self, 4), currency: try r.decode(String.self, 5),
                       renewal: try r.decodeIfPresent(String.self, 6), score: try r.decode(Double.self, 7), band: try r.decode(String.self, 8),
                       trend: try r.decodeIfPresent(Double.self, 9), churn: try r.decodeIfPresent(Double.self, 10))
        }
    }

    struct Facets: Statement {
        var sql: String {
            "SELECT 'segment', segment FROM cs.accounts WHERE segment IS NOT NULL GROUP BY segment UNION ALL SELECT 'csm', csm FROM cs.accounts WHERE csm IS NOT NULL GROUP BY csm ORDER BY 1, 2"
        }
        func decode(_ r: Row) throws -> (String, String) { (try r.decode(String.self, 0), try r.decode(String.self, 1)) }
    }

    struct Account: Statement {
        var id: Int64
        var sql: String {
            """
            SELECT a.id, a.name, a.segment, a.csm, a.mrr::float8, a.currency, a.renewal_date::text,
                   coalesce(c.score, 0)::float8, coalesce(c.band, 'unscored'), c.trend::float8, c.churn_probability,
                   a.plan, a.status, a.region, a.signed_up_at
            FROM cs.accounts a LEFT JOIN cs.account_health_current c ON c.account_id = a.id WHERE a.id = $1
            """
        }
        var bindings: [any SQLParameter] { [id] }
        func decode(_ r: Row) throws -> (AccountRow, plan: String, status: String, region: String?, signedUp: Date) {
            (try AtRisk(bands: [], sort: .score, limit: 1).decode(r), try r.decode(String.self, 11), try r.decode(String.self, 12),
             try r.decodeIfPresent(String.self, 13), try r.decode(Date.self, 14))
        }
    }

    struct ScoreHistory: Statement {
        var accountID: Int64
        var sql: String {
            """
            SELECT scored_at::date::text, score::float8 FROM (
                SELECT scored_at, score FROM cs.health_scores WHERE account_id = $1 ORDER BY scored_at DESC, id DESC LIMIT 90
            ) s ORDER BY scored_at
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ r: Row) throws -> (String, Double) { (try r.decode(String.self, 0), try r.decode(Double.self, 1)) }
    }

    /// The latest score's components and the one before, for "what moved".
    struct LatestComponents: Statement {
        var accountID: Int64
        var sql: String {
            """
            SELECT components::text, scored_at, score::float8, previous_score::float8
            FROM cs.health_scores WHERE account_id = $1 ORDER BY scored_at DESC, id DESC LIMIT 2
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ r: Row) throws -> (components: String, at: Date, score: Double, previous: Double?) {
            (try r.decode(String.self, 0), try r.decode(Date.self, 1), try r.decode(Double.self, 2), try r.decodeIfPresent(Double.self, 3))
        }
    }

    struct Predictions: Statement {
        var accountID: Int64
        var sql: String {
            """
            SELECT predicted_at, probability, top_factors::text, model_id FROM cs.churn_predictions
            WHERE account_id = $1 ORDER BY predicted_at DESC LIMIT 5
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ r: Row) throws -> (at: Date, probability: Double, factors: String, model: Int64?) {
            (try r.decode(Date.self, 0), try r.decode(Double.self, 1), try r.decode(String.self, 2), try r.decodeIfPresent(Int64.self, 3))
        }
    }

    struct Interventions: Statement {
        var accountID: Int64
        var sql: String {
            """
            SELECT created_at, rule, reason, channel, band, outcome, outcome_at, arm FROM cs.interventions
            WHERE account_id = $1 ORDER BY created_at DESC LIMIT 20
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ r: Row) throws -> (at: Date, rule: String, reason: String, channel: String, band: String?, outcome: String?, outcomeAt: Date?, arm: String?) {
            (try r.decode(Date.self, 0), try r.decode(String.self, 1), try r.decode(String.self, 2), try r.decode(String.self, 3),
             try r.decodeIfPresent(String.self, 4), try r.decodeIfPresent(String.self, 5), try r.decodeIfPresent(Date.self, 6),
             try r.decodeIfPresent(String.self, 7))
        }
    }
}
