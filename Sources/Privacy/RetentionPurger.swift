// RetentionPurger: the `retention_purge` job's work — every enabled policy of
// cs.retention_policies, deleted or anonymised in short batches until none is due.
import Basics
import Foundation
import Logging
import PG

/// What one policy's purge did (or, in a dry run, would do).
public struct PolicyPurge: Sendable, Codable, Equatable {
    public let category: String
    public let table: String
    public let action: String
    public let keepDays: Double
    /// Rows deleted or anonymised (in a dry run: rows due now).
    public let rows: Int
    public let batches: Int
    public let seconds: Double
    /// Why the policy could not run (it names a table or column that does not exist…).
    public let error: String?
}

/// Runs the retention policies. Each batch is one statement in its own transaction, so no
/// lock is held for long and a crash loses nothing: running again does the rest. The counts
/// go to the policy row (`last_counts`) and to the audit log.
public struct RetentionPurger: Sendable {
    public let database: Database
    let logger: Logger
    /// Who the audit log names.
    let actor: String

    public init(database: Database, actor: String, logger: Logger) {
        self.database = database
        self.actor = actor
        self.logger = logger
    }

    /// Purges every enabled policy (or only `only`), measuring age against `now`.
    public func purge(now: Date = Date(), dryRun: Bool = false, only: [String]? = nil) async throws -> [PolicyPurge] {
        var results: [PolicyPurge] = []
        for policy in try await database.rows(Statements.Policies()) where policy.enabled && (only?.contains(policy.category) ?? true) {
            let started = ContinuousClock.now
            var rows = 0, batches = 0
            var failure: String?
            do {
                if dryRun {
                    rows = try await database.one(Statements.Batch(category: policy.category, asOf: now, dryRun: true))
                } else {
                    while true {
                        let n = try await database.one(Statements.Batch(category: policy.category, asOf: now, dryRun: false))
                        rows += n
                        batches += 1
                        if n < policy.batchSize || Task.isCancelled { break }
                    }
                }
            } catch let e as PGError {
                // One bad policy is reported alone; the others still run.
                failure = "\(e.sqlState.map { "SQLSTATE \($0): " } ?? "")\(e.message)"
                logger.warning("retention policy failed", metadata: ["category": "\(policy.category)", "error": "\(failure ?? "")"])
            }
            let result = PolicyPurge(category: policy.category, table: policy.table, action: policy.action,
                                     keepDays: policy.keepSeconds / 86_400, rows: rows, batches: batches,
                                     seconds: (ContinuousClock.now - started).seconds, error: failure)
            results.append(result)
            if !dryRun {
                let counts = try JSONText(encoding: ["rows": rows, "batches": batches])
                try await database.execute(Statements.Record(category: policy.category, counts: counts, error: failure, actor: actor))
            }
        }
        if !dryRun {
            let total = results.reduce(0) { $0 + $1.rows }
            logger.notice("retention purge finished", metadata: ["rows": "\(total)", "policies": "\(results.count)",
                                                               "failed": "\(results.filter { $0.error != nil }.count)"])
        }
        return results
    }

    struct Policy: Sendable {
        let category, table, action: String
        let keepSeconds: Double
        let batchSize: Int
        let enabled: Bool
    }

    enum Statements {
        struct Policies: Statement {
            var sql: String {
                "SELECT category, table_name, action, extract(epoch FROM keep)::float8, batch_size, enabled FROM cs.retention_policies ORDER BY category"
            }
            func decode(_ r: Row) throws -> Policy {
                Policy(category: try r.decode(String.self, 0), table: try r.decode(String.self, 1), action: try r.decode(String.self, 2),
                       keepSeconds: try r.decode(Double.self, 3), batchSize: try r.decode(Int.self, 4), enabled: try r.decode(Bool.self, 5))
            }
        }
        struct Batch: Statement {
            var category: String
            /// Ages are measured back from here, by the policy's calendar interval.
            var asOf: Date
            var dryRun: Bool
            var sql: String { "SELECT cs.retention_purge_batch($1, $2, $3)" }
            var bindings: [any SQLParameter] { [category, asOf, dryRun] }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
        /// The policy's last run, and its audit entry, in one statement.
        struct Record: Statement {
            var category: String
            var counts: JSONText
            var error: String?
            var actor: String
            var sql: String {
                """
                WITH p AS (
                    UPDATE cs.retention_policies SET last_run_at = now(),
                        last_counts = $2::jsonb || CASE WHEN $3::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', $3::text) END
                    WHERE category = $1
                )
                SELECT cs.audit('retention_purge', 'policy', $1, $2::jsonb,
                                CASE WHEN $3::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('error', $3::text) END, $4)
                """
            }
            var bindings: [any SQLParameter] { [category, counts, error, actor] }
        }
    }
}

/// One entry in the append-only audit log (`cs.audit`): the one way Swift code writes it.
public struct AuditEntry: Statement {
    public var action: String
    public var subjectKind: String?
    public var subjectID: String?
    public var counts: JSONText
    public var actor: String
    public init(action: String, subjectKind: String?, subjectID: String?, counts: [String: Int] = [:], actor: String) throws {
        self.action = action
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.counts = try JSONText(encoding: counts)
        self.actor = actor
    }
    public var sql: String { "SELECT cs.audit($1, $2, $3, $4::jsonb, '{}'::jsonb, $5)" }
    public var bindings: [any SQLParameter] { [action, subjectKind, subjectID, counts, actor] }
}
