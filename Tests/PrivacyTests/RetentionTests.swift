// Retention purges against a real database: what is due goes (deleted or anonymised) in
// small batches, what is not stays, a re-run finds nothing, a broken policy fails alone, and
// the audit log takes entries but refuses to be edited.
import Foundation
import PG
import Privacy
import Testing
import TestSupport

@Suite struct RetentionTests {
    static func count(_ db: Database, _ sql: String) async throws -> Int { try await db.query(sql)[0].decode(Int.self, 0) }

    /// Old and new rows in the categories the default policies cover.
    static func seed(_ d: Database) async throws {
        try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'Old Mill Venue', now() - interval '5 years')")
        try await d.execute("""
            INSERT INTO cs.activity (account_id, event, occurred_at)
            SELECT 1, 'login', now() - make_interval(days => g) FROM generate_series(1, 1000) g
            """)
        try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('mail', 'smtp', 'smtp://127.0.0.1:2525')")
        try await d.execute("""
            INSERT INTO cs.deliveries (channel, recipient, subject, body_text, body_html, idempotency_key, status, created_at)
            SELECT 'mail', 'bride' || g || '@example.com', 'Your wedding', 'Dear Ann', '<p>Dear Ann</p>', 'k' || g,
                   CASE WHEN g % 10 = 0 THEN 'retrying' ELSE 'sent' END, now() - make_interval(days => g * 10)
            FROM generate_series(1, 50) g
            """)
    }

    @Test func duePurgesInBatchesAndARerunFindsNothing() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.seed(d)
            try await d.execute("UPDATE cs.retention_policies SET batch_size = 37")
            let purger = RetentionPurger(database: d, actor: "test", logger: TestEnvironment.logger)
            let dry = Dictionary(uniqueKeysWithValues: try await purger.purge(dryRun: true).map { ($0.category, $0.rows) })
            // Activity older than 2 years: days 731…1000 (730 days ≈ 2 years; the policy uses calendar years).
            let dueActivity = try await Self.count(d, "SELECT count(*) FROM cs.activity WHERE occurred_at < now() - interval '2 years'")
            #expect(dry["activity"] == dueActivity && dueActivity > 200)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.activity") == 1000, "a dry run changes nothing")

            let run = Dictionary(uniqueKeysWithValues: try await purger.purge().map { ($0.category, $0) })
            #expect(run["activity"]?.rows == dueActivity)
            #expect((run["activity"]?.batches ?? 0) >= dueActivity / 37, "in batches of the policy's size")
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.activity") == 1000 - dueActivity)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.activity WHERE occurred_at < now() - interval '2 years'") == 0)

            // Deliveries: content of finished ones past 30 days is cleared, rows past a year go,
            // one still retrying keeps its content (it has yet to be sent).
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries WHERE created_at < now() - interval '1 year' AND status = 'sent'") == 0)
            #expect(try await Self.count(d, """
                SELECT count(*) FROM cs.deliveries WHERE created_at < now() - interval '30 days' AND status = 'sent'
                  AND (recipient IS NOT NULL OR subject IS NOT NULL OR body_text <> '' OR body_html IS NOT NULL)
                """) == 0)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries WHERE status = 'sent' AND created_at < now() - interval '30 days'") > 0,
                    "anonymised rows stay (their status and timing are not personal)")
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries WHERE status = 'retrying' AND recipient IS NOT NULL") == 5)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries WHERE created_at > now() - interval '30 days' AND recipient IS NOT NULL") == 2)

            // The counts are in the audit log and on the policy; a re-run has nothing to do.
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.audit_log WHERE action = 'retention_purge' AND actor = 'test'") == 10, "one per policy (signals' since 0019)")
            #expect(try await Self.count(d, "SELECT (last_counts ->> 'rows')::int FROM cs.retention_policies WHERE category = 'activity'") == dueActivity)
            let again = try await purger.purge()
            #expect(again.allSatisfy { $0.rows == 0 && $0.error == nil })
        }
    }

    @Test func aBrokenPolicyFailsAloneAndAnInterruptedPurgeResumes() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.seed(d)
            try await d.execute("""
                INSERT INTO cs.retention_policies (category, table_name, time_column, keep) VALUES ('ghost', 'cs.no_such_table', 'at', interval '1 day')
                """)
            // "A crash" after one batch: the rest is done by the next run.
            try await d.execute("UPDATE cs.retention_policies SET batch_size = 50 WHERE category = 'activity'")
            let first = try await d.query("SELECT cs.retention_purge_batch('activity', now())")[0].decode(Int.self, 0)
            #expect(first == 50)
            let results = try await RetentionPurger(database: d, actor: "test", logger: TestEnvironment.logger).purge()
            let ghost = try #require(results.first { $0.category == "ghost" })
            #expect(ghost.error?.contains("42P01") == true)
            #expect(results.filter { $0.category != "ghost" }.allSatisfy { $0.error == nil })
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.activity WHERE occurred_at < now() - interval '2 years'") == 0)
        }
    }

    @Test func theAuditLogIsAppendOnlyExceptForItsOwnRetention() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute(try AuditEntry(action: "operator_job_retry", subjectKind: "job", subjectID: "42", actor: "console:olivia"))
            try await d.execute("INSERT INTO cs.audit_log (at, action) VALUES (now() - interval '7 years', 'ancient')")
            for sql in ["UPDATE cs.audit_log SET action = 'nothing'", "DELETE FROM cs.audit_log", "TRUNCATE cs.audit_log"] {
                await #expect(throws: PGError.self, "\(sql)") { try await d.execute(sql) }
                do { try await d.execute(sql) } catch let e as PGError { #expect(e.sqlState == "42501") }
            }
            _ = try await RetentionPurger(database: d, actor: "test", logger: TestEnvironment.logger).purge(only: ["audit_log"])
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.audit_log WHERE action = 'ancient'") == 0, "past six years it goes")
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.audit_log WHERE action = 'operator_job_retry' AND subject_id = '42'") == 1)
        }
    }
}
