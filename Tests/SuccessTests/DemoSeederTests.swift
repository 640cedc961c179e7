// The demo seeder: same seed ⇒ same data; its hidden churn process shows in health scores.
import Basics
import Foundation
import PG
import Churn
import Demo
import Health
import Interventions
import Success
import TestSupport
import Testing

@Suite struct DemoSeederTests {
    @Test func mrrHistoryEndsWhereEachAccountIsAndMovesWithTheSeason() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            _ = try await DemoSeeder(database: d, logger: TestEnvironment.logger).seed(accounts: 2_000, seed: 7, endDate: Self.end)
            // Every account's last movement agrees with its row: churned ones end in a churn at
            // churned_at, active ones at their current MRR; each row is consistent with its kind (CHECK).
            let mismatches = try await d.query("""
                SELECT count(*) FROM cs.accounts a
                CROSS JOIN LATERAL (SELECT * FROM cs.mrr_changes m WHERE m.account_id = a.id ORDER BY effective_at DESC, id DESC LIMIT 1) l
                WHERE (a.status = 'churned' AND (l.kind <> 'churn' OR l.effective_at <> a.churned_at))
                   OR (a.status = 'active' AND (l.kind = 'churn' OR l.mrr_after <> a.mrr OR l.currency <> a.currency))
                """)[0].decode(Int.self, 0)
            #expect(mismatches == 0)
            #expect(try await d.query("SELECT count(*) FROM cs.accounts a WHERE NOT EXISTS (SELECT 1 FROM cs.mrr_changes m WHERE m.account_id = a.id AND m.kind = 'new')")[0].decode(Int.self, 0) == 0)
            // Upgrades before the (northern) season, downgrades after it; some churn-and-return.
            let kinds = try await d.query("""
                SELECT count(*) FILTER (WHERE kind = 'expansion' AND extract(month FROM effective_at) BETWEEN 1 AND 3),
                       count(*) FILTER (WHERE kind = 'expansion' AND extract(month FROM effective_at) BETWEEN 10 AND 11),
                       count(*) FILTER (WHERE kind = 'contraction' AND extract(month FROM effective_at) BETWEEN 10 AND 11),
                       count(*) FILTER (WHERE kind = 'reactivation')
                FROM cs.mrr_changes m JOIN cs.accounts a ON a.id = m.account_id WHERE a.region <> 'AU'
                """)[0]
            #expect(try kinds.decode(Int.self, 0) > 20 && kinds.decode(Int.self, 1) == 0)
            #expect(try kinds.decode(Int.self, 2) > 10 && kinds.decode(Int.self, 3) > 5)
            // The four demo currencies all convert, so every report can run.
            #expect(try await d.query("SELECT count(*) FROM cs.currency_rates")[0].decode(Int.self, 0) == 4)
        }
    }

    static let end = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01 UTC

    /// Aggregates that change if any generated value changes.
    static func fingerprint(_ db: Database) async throws -> [String] {
        let r = try await db.query("""
            SELECT (SELECT count(*) || '/' || sum(quantity) || '/' || sum(extract(epoch FROM occurred_at))::bigint || '/' || count(DISTINCT event) FROM cs.activity),
                   (SELECT md5(string_agg(id || name || plan || mrr || signed_up_at || coalesce(renewal_date::text, '') || status
                                         || coalesce(churned_at::text, '') || csm, ',' ORDER BY id)) FROM cs.accounts),
                   (SELECT count(*) || '/' || sum(amount) || '/' || count(failed_at) || '/' || count(paid_at) FROM cs.invoices),
                   (SELECT count(*) || '/' || count(closed_at) || '/' || coalesce(sum(csat), 0) || '/' || sum(extract(epoch FROM opened_at))::bigint FROM cs.tickets),
                   (SELECT count(*) || '/' || sum(score) FROM cs.surveys),
                   (SELECT md5(string_agg(account_id || milestone || completed_at, ',' ORDER BY account_id, milestone)) FROM cs.milestones),
                   (SELECT md5(string_agg(id || email || phone, ',' ORDER BY id)) FROM cs.contacts)
            """)
        return try (0..<7).map { try r[0].decode(String.self, $0) }
    }

    @Test func sameSeedGivesIdenticalData() async throws {
        func run(_ seed: UInt64, chunk: Int) async throws -> ([String], DemoSeedSummary) {
            try await TestDatabase.with { db in
                var seeder = DemoSeeder(database: db.database, logger: TestEnvironment.logger)
                seeder.chunkSize = chunk
                let s = try await seeder.seed(accounts: 300, seed: seed, endDate: Self.end)
                return (try await Self.fingerprint(db.database), s)
            }
        }
        let (a, sa) = try await run(42, chunk: 100)
        let (b, sb) = try await run(42, chunk: 37) // other chunking, same data
        let (c, _) = try await run(43, chunk: 100)
        #expect(a == b)
        #expect(sa.rows == sb.rows && sa.churned == sb.churned)
        #expect(a[0] != c[0] && a[1] != c[1])
        #expect(sa.accounts == 300 && sa.rows["contacts", default: 0] >= 300)
        #expect(sa.churned > 10 && sa.churned < 150, "churned \(sa.churned) of 300")
        let perAccountMonth = Double(sa.rows["activity", default: 0]) / 300 / 12
        #expect(perAccountMonth > 2 && perAccountMonth < 80)
        print("seed 42, 300 accounts:", sa.rows.sorted { $0.key < $1.key }, "churned", sa.churned)
    }

    @Test func churnedAccountsScoredLowerBeforeTheyLeft() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            let end = Calendar(identifier: .gregorian).startOfDay(for: Date())
            let seeded = try await DemoSeeder(database: d, logger: TestEnvironment.logger).seed(accounts: 2_000, seed: 7, endDate: end)
            // Score everyone alive six months before the end, then see who churned after.
            let asOf = end.addingTimeInterval(-180 * 86_400)
            let run = UUID()
            let s = try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(runID: run, asOf: asOf))
            let r = try await d.query("""
                SELECT a.status = 'churned' AS churned, count(*), avg(h.score)::float8,
                       avg((h.band = 'red')::int)::float8, avg((h.components->'usage_frequency'->>'score')::float8)::float8
                FROM cs.health_scores h JOIN cs.accounts a ON a.id = h.account_id
                WHERE h.run_id = $1::uuid GROUP BY 1 ORDER BY 1
                """, [run.uuidString])
            #expect(r.count == 2)
            let retained = (n: try r[0].decode(Int.self, 1), mean: try r[0].decode(Double.self, 2), red: try r[0].decode(Double.self, 3))
            let churned = (n: try r[1].decode(Int.self, 1), mean: try r[1].decode(Double.self, 2), red: try r[1].decode(Double.self, 3))
            print("churn signal: seeded \(seeded.accounts) (\(seeded.churned) churned) in \(String(format: "%.2f", seeded.seconds)) s;"
                  + " scored \(s.accounts) at end−180d; churned later: n=\(churned.n) mean=\(String(format: "%.2f", churned.mean))"
                  + " red=\(String(format: "%.1f%%", churned.red * 100)); retained: n=\(retained.n)"
                  + " mean=\(String(format: "%.2f", retained.mean)) red=\(String(format: "%.1f%%", retained.red * 100))")
            #expect(churned.n > 50)
            #expect(churned.mean < retained.mean)
            #expect(churned.red > retained.red)
        }
    }
}
