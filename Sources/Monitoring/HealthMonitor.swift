// HealthMonitor: one round of the self-monitor (the `health_check` job, every minute) —
// run every check, record what each saw, open / update / resolve alerts, escalate.
import Basics
import Foundation
import Logging
import PG

/// What one round saw and did.
public struct HealthRun: Sendable, Codable {
    public let runID: Int64
    public let at: Date
    public let tookMs: Double
    public let worst: Severity
    public let observations: [HealthObservation]
    /// Alerts not resolved after this round, and messages queued by its escalation.
    public let liveAlerts: Int
    public let messagesQueued: Int
}

/// Runs the checks of `cs.health_checks` against the database it watches.
///
/// Built to work while the thing it watches is broken: each check runs on its own with a
/// statement timeout, and a check that cannot run (a slow database, a missing table) is
/// itself reported, as `check_failed` for that check, instead of failing the round. Alerts go
/// out through the delivery outbox (with its retries) and climb the escalation tiers by the
/// clock passed in, which a test moves forward.
public struct HealthMonitor: Sendable {
    public let database: Database
    public var checkTimeout: Duration = .seconds(5)
    /// Runs are kept this long (a month of minutes is 43,200 small rows).
    public var keepRuns: Duration = .seconds(30 * 24 * 3600)
    private let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// The pseudo-check under which a check that could not run is reported.
    public static let checkFailed = "check_failed"

    public func run(at: Date, jobID: Int64? = nil) async throws -> HealthRun {
        let started = ContinuousClock.now
        let thresholds = try await database.rows(Statements.Thresholds())
        var observations: [HealthObservation] = []
        var ran = [Self.checkFailed]
        for threshold in thresholds where threshold.enabled {
            guard let check = HealthCheck(rawValue: threshold.key) else {
                logger.debug("cs.health_checks names a check this worker does not know", metadata: ["check": "\(threshold.key)"])
                continue
            }
            do {
                let rows = try await observe(check, at: at)
                ran.append(check.rawValue)
                for row in rows {
                    guard let value = row.value else { continue }
                    let severity = threshold.severity(of: value)
                    observations.append(HealthObservation(check: check.rawValue, subject: row.subject, value: value,
                                                          severity: severity, message: check.describe(value)))
                }
            } catch {
                let reason = (error as? PGError).map { "\($0.code)\($0.sqlState.map { " SQLSTATE \($0)" } ?? ""): \($0.message)" }
                    ?? "\(error)"
                logger.warning("health check could not run", metadata: ["check": "\(check.rawValue)", "error": "\(reason)"])
                observations.append(HealthObservation(check: Self.checkFailed, subject: check.rawValue, value: nil, severity: .warning,
                                                      message: "the check could not run: \(reason)"))
            }
        }
        let worst = observations.map(\.severity).max() ?? .ok
        let took = (ContinuousClock.now - started).seconds * 1000
        let failing = observations.filter { $0.severity != .ok }
        let (runID, live, queued) = try await database.transaction { conn in
            let runID = try await conn.one(Statements.RecordRun(at: at, tookMs: took, worst: worst,
                                                                results: try JSONText(encoding: observations), jobID: jobID))
            try await conn.execute(Statements.ApplyResults(ran: ran, failing: try JSONText(encoding: failing), at: at))
            let queued = try await conn.one(Statements.Escalate(at: at))
            try await conn.execute(Statements.PruneRuns(before: at.addingTimeInterval(-keepRuns.seconds)))
            let live = try await conn.one(Statements.LiveAlerts())
            return (runID, live, queued)
        }
        if !failing.isEmpty {
            logger.notice("health check found problems", metadata: [
                "worst": "\(worst.rawValue)", "failing": "\(failing.map { "\($0.check):\($0.subject)" }.joined(separator: ","))",
                "live_alerts": "\(live)", "messages_queued": "\(queued)"])
        }
        return HealthRun(runID: runID, at: at, tookMs: took, worst: worst, observations: observations,
                         liveAlerts: live, messagesQueued: queued)
    }

    /// One check in its own short transaction, bounded by `checkTimeout`.
    private func observe(_ check: HealthCheck, at: Date) async throws -> [(subject: String, value: Double?)] {
        let timeoutMs = Int(checkTimeout.seconds * 1000)
        return try await database.transaction { conn in
            try await conn.executeScript("SET LOCAL statement_timeout = \(timeoutMs)")
            return try await conn.rows(HealthCheck.Observe(check: check, at: at)).map { (subject: $0.subject, value: $0.value) }
        }
    }

    enum Statements {
        struct Thresholds: Statement {
            var sql: String { "SELECT key, warn, critical, enabled FROM cs.health_checks ORDER BY key" }
            func decode(_ r: Row) throws -> HealthThreshold {
                HealthThreshold(key: try r.decode(String.self, 0), warn: try r.decode(Double.self, 1),
                                critical: try r.decode(Double.self, 2), enabled: try r.decode(Bool.self, 3))
            }
        }
        struct RecordRun: Statement {
            var at: Date
            var tookMs: Double
            var worst: Severity
            var results: JSONText
            var jobID: Int64?
            var sql: String {
                "INSERT INTO cs.health_check_runs (ran_at, took_ms, worst, results, job_id) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id"
            }
            var bindings: [any SQLParameter] { [at, tookMs, worst.rawValue, results, jobID] }
            func decode(_ r: Row) throws -> Int64 { try r.decode(Int64.self, 0) }
        }
        struct ApplyResults: Statement {
            var ran: [String]
            var failing: JSONText
            var at: Date
            var sql: String { "SELECT cs.apply_health_results($1::text[], $2::jsonb, $3)" }
            var bindings: [any SQLParameter] { [ran, failing, at] }
        }
        struct Escalate: Statement {
            var at: Date
            var sql: String { "SELECT cs.escalate_alerts($1)" }
            var bindings: [any SQLParameter] { [at] }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
        struct PruneRuns: Statement {
            var before: Date
            var sql: String { "DELETE FROM cs.health_check_runs WHERE ran_at < $1" }
            var bindings: [any SQLParameter] { [before] }
        }
        struct LiveAlerts: Statement {
            var sql: String { "SELECT count(*) FROM cs.alerts WHERE state <> 'resolved'" }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
    }
}
