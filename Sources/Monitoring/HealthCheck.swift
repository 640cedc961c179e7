// HealthCheck: the self-monitor's checks. Each one is a query that returns what it sees, one
// row per subject (a queue, a channel; '' for the whole system) with a figure; thresholds live
// in cs.health_checks (sql/0012_operate.sql) so an operator tunes them with an UPDATE.
import Foundation
import PG

/// One check of the worker and the customer-success pipeline, named by its key in
/// `cs.health_checks`. The figure's unit is in the key.
public enum HealthCheck: String, CaseIterable, Sendable, Codable {
    case queueOldestReady = "queue_oldest_ready_s"
    case jobsFailing = "jobs_failing_per_min"
    case jobsStuck = "jobs_stuck"
    case workersStale = "workers_stale"
    case queueUnserved = "queue_unserved"
    case deliveryFailures = "delivery_failure_ratio"
    case breakersOpen = "breakers_open"
    case scoringAge = "scoring_age_h"
    case modelAge = "model_age_d"
    case driftCheckAge = "drift_check_age_d"
    case modelDrift = "model_drift_psi"
    case jobsDeadTuples = "jobs_dead_tuple_ratio"
    case connectionsUsed = "connections_used_ratio"

    /// The query, `$1` the monitor's clock: every age is measured against it, so a test can
    /// move time forward (a check with no age still names `$1`, as every query binds it).
    /// Rows: (subject, value).
    var sql: String {
        switch self {
        case .queueOldestReady:
            // Paused queues wait on purpose.
            return """
                \(Self.queuesWithReadyJobs)
                SELECT q.queue, extract(epoch FROM $1::timestamptz - (
                           SELECT min(j.run_at) FROM cs.jobs j WHERE j.state = 'available' AND j.queue = q.queue))::float8
                FROM q
                WHERE q.queue IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cs.queues p WHERE p.name = q.queue AND p.paused)
                """
        case .jobsFailing:
            // A failed attempt leaves its job retryable (or discarded, when it was the last).
            return """
                SELECT '', count(*)::float8 / 15 FROM (
                    SELECT errors FROM cs.jobs WHERE state IN ('scheduled', 'retryable') AND jsonb_array_length(errors) > 0
                    UNION ALL
                    SELECT errors FROM cs.jobs WHERE state = 'discarded' AND finalized_at > $1::timestamptz - interval '15 minutes'
                ) f
                WHERE (f.errors -> -1 ->> 'at')::timestamptz > $1::timestamptz - interval '15 minutes'
                """
        case .jobsStuck:
            return """
                SELECT '', count(*)::float8 FROM cs.jobs j LEFT JOIN cs.workers w ON w.id = j.worker_id
                WHERE j.worker_id IS NOT NULL AND j.state = 'running'
                  AND (w.id IS NULL OR w.heartbeat_at < $1::timestamptz - interval '30 seconds')
                """
        case .workersStale:
            return "SELECT '', count(*)::float8 FROM cs.workers WHERE heartbeat_at < $1::timestamptz - interval '30 seconds'"
        case .queueUnserved:
            return """
                \(Self.queuesWithReadyJobs)
                SELECT q.queue, CASE WHEN EXISTS (
                           SELECT 1 FROM cs.workers w
                           WHERE q.queue = ANY (w.queues) AND w.heartbeat_at >= $1::timestamptz - interval '30 seconds')
                       THEN 0 ELSE 1 END::float8
                FROM q
                WHERE q.queue IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM cs.queues p WHERE p.name = q.queue AND p.paused)
                """
        case .deliveryFailures:
            return """
                SELECT channel, (count(*) FILTER (WHERE status = 'failed'))::float8 / count(*)
                FROM cs.deliveries
                WHERE created_at > $1::timestamptz - interval '1 hour' AND status IN ('sent', 'failed')
                GROUP BY channel HAVING count(*) >= 5
                """
        case .breakersOpen:
            return "SELECT channel, 1::float8 FROM cs.channel_breakers WHERE open_until > $1::timestamptz"
        case .scoringAge:
            // Nothing scored yet (a new install) is not an alarm: no row.
            return """
                SELECT '', extract(epoch FROM $1::timestamptz - max(created_at))::float8 / 3600
                FROM cs.health_scores HAVING max(created_at) IS NOT NULL
                """
        case .modelAge:
            return """
                SELECT '', extract(epoch FROM $1::timestamptz - trained_at)::float8 / 86400
                FROM cs.models WHERE status = 'champion'
                """
        case .driftCheckAge:
            // Since the last drift check, or since the champion was promoted when none ran.
            return """
                SELECT '', extract(epoch FROM $1::timestamptz - greatest(
                           coalesce(m.promoted_at, m.trained_at),
                           (SELECT max(d.checked_at) FROM cs.model_drift_checks d)))::float8 / 86400
                FROM cs.models m WHERE m.status = 'champion'
                """
        case .modelDrift:
            return """
                SELECT '', d.max_psi FROM cs.model_drift_checks d
                JOIN cs.models m ON m.id = d.model_id AND m.status = 'champion'
                WHERE d.max_psi IS NOT NULL AND d.checked_at <= $1::timestamptz
                ORDER BY d.checked_at DESC LIMIT 1
                """
        case .jobsDeadTuples:
            return """
                SELECT '', n_dead_tup::float8 / (n_live_tup + n_dead_tup)
                FROM pg_stat_user_tables WHERE relid = 'cs.jobs'::regclass AND n_dead_tup >= 10000 AND $1::timestamptz IS NOT NULL
                """
        case .connectionsUsed:
            return "SELECT '', count(*)::float8 / current_setting('max_connections')::float8 FROM pg_stat_activity WHERE $1::timestamptz IS NOT NULL"
        }
    }

    /// `q`: the queues that have ready jobs, by a skip scan of the claim index (one index
    /// probe per queue, however deep the backlog).
    static let queuesWithReadyJobs = """
        WITH RECURSIVE q AS (
            (SELECT queue FROM cs.jobs WHERE state = 'available' ORDER BY queue LIMIT 1)
            UNION ALL
            SELECT (SELECT j.queue FROM cs.jobs j WHERE j.state = 'available' AND j.queue > q.queue ORDER BY j.queue LIMIT 1)
            FROM q WHERE q.queue IS NOT NULL
        )
        """

    /// What the figure means, for messages.
    func describe(_ value: Double) -> String {
        switch self {
        case .queueOldestReady: return String(format: "the oldest ready job has waited %.0f s", value)
        case .jobsFailing: return String(format: "%.1f failed attempts a minute over 15 minutes", value)
        case .jobsStuck: return "\(Int(value)) running job(s) whose worker stopped heartbeating"
        case .workersStale: return "\(Int(value)) worker(s) with a heartbeat older than 30 s"
        case .queueUnserved: return "ready jobs and no live worker listening to the queue"
        case .deliveryFailures: return String(format: "%.0f%% of the channel's deliveries in the last hour failed", value * 100)
        case .breakersOpen: return "the channel's circuit breaker is open (its endpoint keeps failing)"
        case .scoringAge: return String(format: "no health score written for %.1f h", value)
        case .modelAge: return String(format: "the champion model was trained %.0f days ago", value)
        case .driftCheckAge: return String(format: "no drift check for %.1f days", value)
        case .modelDrift: return String(format: "the last drift check's largest PSI is %.3f", value)
        case .jobsDeadTuples: return String(format: "%.0f%% of cs.jobs row versions are dead (bloat)", value * 100)
        case .connectionsUsed: return String(format: "%.0f%% of max_connections in use", value * 100)
        }
    }

    /// One check's query, bound to the monitor's clock.
    struct Observe: Statement {
        var check: HealthCheck
        var at: Date
        var sql: String { check.sql }
        var bindings: [any SQLParameter] { [at] }
        func decode(_ row: Row) throws -> (subject: String, value: Double?) {
            (try row.decode(String.self, 0), try row.decodeIfPresent(Double.self, 1))
        }
    }
}

/// How bad one observation is.
public enum Severity: String, Sendable, Codable, Comparable {
    case ok, warning, critical
    var rank: Int { switch self { case .ok: 0; case .warning: 1; case .critical: 2 } }
    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// A check's thresholds, from `cs.health_checks`.
public struct HealthThreshold: Sendable, Equatable {
    public let key: String
    public let warn: Double
    public let critical: Double
    public let enabled: Bool
    public func severity(of value: Double) -> Severity {
        value >= critical ? .critical : value >= warn ? .warning : .ok
    }
}

/// What one check saw of one subject, as recorded in `cs.health_check_runs.results`.
public struct HealthObservation: Sendable, Codable, Equatable {
    public let check: String
    public let subject: String
    public let value: Double?
    public let severity: Severity
    public let message: String
}
