// Control groups: a rule holds out a share of the accounts it matches (raised and recorded,
// never sent), assigned deterministically, so intervention uplift can be measured; message
// variants are assigned and recorded the same way.
import Foundation
import Interventions
import PG
import Testing
import TestSupport

@Suite struct ControlGroupTests {
    /// 200 active accounts whose only score is red: each matches `red_band` once.
    static func redWorld(_ d: Database) async throws {
        try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('cs-team-slack', 'slack', 'env:SLACK_WEBHOOK_URL')")
        try await d.execute("UPDATE cs.intervention_rules SET enabled = key = 'red_band'")
        try await d.execute("""
            INSERT INTO cs.accounts (id, name, signed_up_at, csm)
            SELECT g, 'Account ' || g, now() - interval '400 days', 'csm@example.test' FROM generate_series(1, 200) g
            """)
        try await d.execute("""
            INSERT INTO cs.health_scores (account_id, run_id, scored_at, score, band, components)
            SELECT g, '00000000-0000-4000-8000-000000000001', now() - interval '1 hour', 20, 'red', '{}' FROM generate_series(1, 200) g
            """)
    }

    static func count(_ d: Database, _ sql: String) async throws -> Int { try await d.query(sql)[0].decode(Int.self, 0) }

    @Test func heldOutAccountsAreRecordedButNeverSent() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.redWorld(d)
            try await d.execute("UPDATE cs.intervention_rules SET control_fraction = 0.5 WHERE key = 'red_band'")
            let summary = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            #expect(summary.total == 200)
            let control = try await Self.count(d, "SELECT count(*) FROM cs.interventions WHERE arm = 'control'")
            // Binomial(200, 0.5): sd ≈ 7; md5 of account, rule and month decides, never a coin at run time.
            #expect((65...135).contains(control), "about half held out, got \(control)")
            #expect(summary.control == control && summary.deliveries == 200 - control)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.interventions WHERE arm = 'control' AND delivery_id IS NOT NULL") == 0)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries d JOIN cs.interventions i ON i.id = d.intervention_id WHERE i.arm = 'control'") == 0)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.interventions WHERE arm = 'treated' AND delivery_id IS NULL") == 0)
            // The same account, rule and month always land in the same arm: a retry or a second
            // worker decides alike, and the arm recorded is the function's answer.
            #expect(try await Self.count(d, """
                SELECT count(*) FROM cs.interventions
                WHERE arm <> cs.intervention_arm(account_id, rule, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM'), 0.5)
                """) == 0)
        }
    }

    @Test func assignmentIsStableAndHonoursTheFraction() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            // 20,000 accounts at the default 0.1: within 5 sd (sd ≈ 42) of 2,000; 0 holds out none.
            let held = try await Self.count(d, "SELECT count(*) FROM generate_series(1, 20000) g WHERE cs.intervention_arm(g, 'red_band', '2026-11', 0.1) = 'control'")
            #expect(abs(held - 2000) < 210, "held out \(held) of 20,000 at 0.1")
            #expect(try await Self.count(d, "SELECT count(*) FROM generate_series(1, 5000) g WHERE cs.intervention_arm(g, 'red_band', '2026-11', 0) = 'control'") == 0)
            // Another month reshuffles who is held out (nobody is kept out of every intervention).
            let overlap = try await Self.count(d, """
                SELECT count(*) FROM generate_series(1, 20000) g
                WHERE cs.intervention_arm(g, 'red_band', '2026-11', 0.1) = 'control' AND cs.intervention_arm(g, 'red_band', '2026-12', 0.1) = 'control'
                """)
            #expect(overlap < 400, "independent months overlap by about 1 %: \(overlap)")
        }
    }

    @Test func variantsAreAssignedRecordedAndSent() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.redWorld(d)
            try await d.execute("""
                UPDATE cs.intervention_rules SET control_fraction = 0,
                    variants = '[{"key": "a", "body": "Variant A for {{account_name}}"}, {"key": "b", "subject": "B", "body": "Variant B for {{account_name}}"}]'
                WHERE key = 'red_band'
                """)
            _ = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            let a = try await Self.count(d, "SELECT count(*) FROM cs.interventions i JOIN cs.deliveries x ON x.id = i.delivery_id WHERE i.variant = 'a' AND x.body_text = 'Variant A for ' || (SELECT name FROM cs.accounts WHERE id = i.account_id)")
            let b = try await Self.count(d, "SELECT count(*) FROM cs.interventions i JOIN cs.deliveries x ON x.id = i.delivery_id WHERE i.variant = 'b' AND x.body_text LIKE 'Variant B for Account %' AND x.subject = 'B'")
            #expect(a + b == 200 && a > 60 && b > 60, "both variants sent with their own text: a=\(a) b=\(b)")
        }
    }
}
