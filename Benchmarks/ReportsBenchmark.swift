// ReportsBenchmark: every report kind on 100,000 seeded accounts with 24 months of MRR
// history, two scoring runs, interventions and judged predictions: seconds per kind.
import Basics
import Foundation
import Health
import Interventions
import Logging
import PG
import Demo
import Reports

/// What `cs-worker bench reports` prints.
public struct ReportsBenchmarkResult: Sendable {
    public var accounts: Int
    public var mrrChanges: Int
    /// Median seconds per kind: computed in PostgreSQL, rendered, stored.
    public var seconds: [(ReportKind, Double)]
    /// Median of the SQL function alone, per kind.
    public var sqlSeconds: [(ReportKind, Double)]
    public var rssMB: Double

    public var maxSeconds: Double { seconds.map(\.1).max() ?? 0 }
    public var totalSeconds: Double { seconds.map(\.1).reduce(0, +) }

    /// `reports: accounts=<n> max_s=<x> total_s=<y> rss_mb=<m>`.
    public var line: String {
        String(format: "reports: accounts=%d max_s=%.3f total_s=%.3f rss_mb=%.1f", accounts, maxSeconds, totalSeconds, rssMB)
    }
}

public enum ReportsBenchmark {
    public static func run(url: String, accounts: Int, runs: Int, logger: Logger, progress: (String) -> Void) async throws -> ReportsBenchmarkResult {
        let database = Database(url: url, maxConnections: 4, logger: logger)
        do {
            let seeded = try await DemoSeeder(database: database, logger: logger).seed(accounts: accounts, seed: 1)
            progress(String(format: "seeded %d accounts, %d MRR movements, %d activity rows in %.1f s", seeded.accounts,
                            seeded.rows["mrr_changes", default: 0], seeded.rows["activity", default: 0], seeded.seconds))
            // Two scoring runs a week apart (the health report compares them), interventions, and
            // predictions made 100 days ago so the model report has something to judge.
            let now = Date()
            let scorer = HealthScorer(database: database, logger: logger)
            _ = try await scorer.score(ScoringOptions(asOf: now.addingTimeInterval(-7 * 86_400)))
            _ = try await scorer.score(ScoringOptions(asOf: now))
            _ = try await InterventionEngine(database: database, logger: logger).evaluate()
            try await database.execute(BenchStatements.JudgeablePredictions())
            try await database.withConnection { try await $0.executeScript("VACUUM ANALYZE") }
            progress("scored twice, interventions raised, predictions back-dated; generating")

            let generator = ReportGenerator(database: database, logger: logger)
            var seconds: [(ReportKind, Double)] = [], sql: [(ReportKind, Double)] = []
            for kind in ReportKind.allCases {
                let request = try ReportRequest(kind: kind, period: period(kind, now: now))
                var full: [Double] = [], alone: [Double] = []
                for _ in 0..<max(1, runs) {
                    let t0 = ContinuousClock.now
                    _ = try await generator.compute(request)
                    alone.append((ContinuousClock.now - t0).seconds)
                    let t1 = ContinuousClock.now
                    _ = try await generator.generate(request)
                    full.append((ContinuousClock.now - t1).seconds)
                }
                seconds.append((kind, BenchSupport.median(full)))
                sql.append((kind, BenchSupport.median(alone)))
                progress(String(format: "%-13@ %.3f s (computed and rendered %.3f s)", kind.rawValue, BenchSupport.median(full), BenchSupport.median(alone)))
            }
            await database.close()
            return ReportsBenchmarkResult(accounts: seeded.accounts, mrrChanges: seeded.rows["mrr_changes", default: 0],
                                          seconds: seconds, sqlSeconds: sql, rssMB: BenchSupport.memoryMiB().peak)
        } catch {
            await database.close()
            throw error
        }
    }

    /// The period a CS lead would ask for: the last complete month; cohorts over the last 24
    /// months; activity reports over the last 30 days.
    static func period(_ kind: ReportKind, now: Date) throws -> ReportPeriod? {
        switch kind {
        case .cohorts:
            let p = ReportPeriod.defaultPeriod(for: .retention, now: now)
            let year = (Int(p.to.prefix(4)) ?? 2026) - 2
            return try ReportPeriod(from: "\(year)\(p.to.dropFirst(4))", to: p.to)
        case .health, .interventions, .roi:
            return try ReportPeriod(from: ReportPeriod.isoDay(now.addingTimeInterval(-30 * 86_400)),
                                    to: ReportPeriod.isoDay(now.addingTimeInterval(86_400)))
        case .model:
            let p = ReportPeriod.defaultPeriod(for: .retention, now: now)
            return try ReportPeriod(from: p.from, to: ReportPeriod.isoDay(now.addingTimeInterval(86_400)))
        default:
            return nil
        }
    }
}

enum BenchStatements {
    /// One prediction per active account made 100 days ago by a registered model, with a
    /// probability that leans towards the accounts that then churned (benchmark data).
    struct JudgeablePredictions: Statement {
        var sql: String {
            """
            WITH m AS (
                INSERT INTO cs.models (algorithm, label, source, train_rows, test_rows, positives, model, status, metrics)
                VALUES ('logistic', 'churned', 'cs.account_features', 1000, 250, 100, '{}', 'champion', '{"roc_auc": 0.7}')
                RETURNING id
            )
            INSERT INTO cs.churn_predictions (account_id, model_id, probability, predicted_at)
            SELECT a.id, m.id,
                   least(0.99, cs.stable_unit('p' || a.id) * 0.3 + CASE WHEN a.status = 'churned' THEN 0.3 ELSE 0 END),
                   now() - interval '100 days'
            FROM cs.accounts a, m
            """
        }
    }

    /// 200,000 jobs over the last hour as a busy queue has them: mostly completed, some
    /// discarded with an error, some retrying, some ready, a few running.
    struct ConsoleJobs: Statement {
        var sql: String {
            """
            INSERT INTO cs.jobs (kind, queue, args, state, attempt, max_attempts, created_at, run_at, attempted_at, finalized_at,
                                 errors, worker_id)
            SELECT CASE WHEN g % 3 = 0 THEN 'deliver' ELSE 'score_accounts' END,
                   CASE WHEN g % 3 = 0 THEN 'delivery' ELSE 'default' END,
                   jsonb_build_object('delivery_id', g),
                   s.state::cs.job_state,
                   CASE WHEN s.state IN ('available', 'scheduled') THEN 0 WHEN s.state = 'discarded' THEN 3 ELSE 1 END, 3,
                   now() - make_interval(secs => (200000 - g) * 0.018), now() - make_interval(secs => (200000 - g) * 0.018),
                   CASE WHEN s.state NOT IN ('available', 'scheduled') THEN now() - make_interval(secs => (200000 - g) * 0.018) END,
                   CASE WHEN s.state IN ('completed', 'discarded') THEN now() - make_interval(secs => (200000 - g) * 0.018) END,
                   CASE WHEN s.state IN ('discarded', 'retryable')
                        THEN jsonb_build_array(jsonb_build_object('attempt', 1, 'at', now(), 'error', 'HTTP 503 from the far end', 'worker', 'w1'))
                        ELSE '[]'::jsonb END,
                   CASE WHEN s.state = 'running' THEN 'bench-worker' END
            FROM generate_series(1, 200000) g,
                 LATERAL (SELECT CASE WHEN g % 100 = 0 THEN 'discarded' WHEN g % 100 = 1 THEN 'retryable'
                                      WHEN g > 199000 THEN 'available' WHEN g % 500 = 2 THEN 'running' ELSE 'completed' END AS state) s
            """
        }
    }

    struct SomeFailedJob: Statement {
        var sql: String { "SELECT max(id) FROM cs.jobs WHERE state = 'discarded'" }
        func decode(_ r: Row) throws -> Int64 { try r.decode(Int64.self, 0) }
    }

    struct SomeRedAccount: Statement {
        var sql: String { "SELECT account_id FROM cs.account_health_current ORDER BY score, account_id LIMIT 1" }
        func decode(_ r: Row) throws -> Int64 { try r.decode(Int64.self, 0) }
    }
}
