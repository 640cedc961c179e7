// Signals: input changes detected by the database's own triggers become one rescoring job per
// account; the job scores with the batch scorer's numbers, acts on the account's rules at once
// and says which signal it answered. Rollups follow every change and give the raw scan's figures.
import Basics
import Delivery
import Demo
import Foundation
@testable import Health
import Interventions
import Loopback
import PG
@testable import Queue
import Success
import TestSupport
import Testing

@Suite struct SignalTests {
    static func count(_ db: Database, _ sql: String, _ params: [any SQLParameter] = []) async throws -> Int {
        try await db.query(sql, params)[0].decode(Int.self, 0)
    }

    static func rescoreJobs(_ db: Database) async throws -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for r in try await db.query("SELECT (args->>'account_id')::bigint, count(*) FROM cs.jobs WHERE kind = 'score_account' GROUP BY 1") {
            out[try r.decode(Int64.self, 0)] = try r.decode(Int.self, 1)
        }
        return out
    }

    @Test func aBurstOfAThousandEventsForOneAccountIsOneJob() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'A', now()), (2, 'B', now())")
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at) SELECT 1, now(), 10, now() FROM generate_series(1, 1000)")
            for _ in 0..<10 {
                try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at) VALUES (1, now(), 10, now()), (2, now(), 10, now())")
            }
            #expect(try await Self.rescoreJobs(d) == [1: 1, 2: 1])
            let row = try await d.query("SELECT events, detail FROM cs.signals WHERE account_id = 1 ORDER BY id LIMIT 1")[0]
            #expect(try row.decode(Int.self, 0) == 1000)
            #expect(try row.decode(String.self, 1).hasSuffix("(1000 invoices)"))
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.signals") == 21, "one signal per account and statement")
            let job = try await d.query("SELECT priority, queue, unique_key FROM cs.jobs WHERE args->>'account_id' = '1'")[0]
            #expect(try job.decode(Int.self, 0) == 10 && job.decode(String.self, 1) == "default"
                    && job.decode(String.self, 2) == "score_account:1")
        }
    }

    @Test func eachDefaultRuleSignalsAndOtherChangesDoNot() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) SELECT g, 'A' || g, now() FROM generate_series(1, 20) g")
            func signals() async throws -> [String] {
                try await d.query("SELECT account_id || ':' || rule FROM cs.signals ORDER BY id").map { try $0.decode(String.self, 0) }
            }
            // Nothing of note.
            try await d.execute("INSERT INTO cs.invoices (id, account_id, due_at, amount, paid_at, status) VALUES (100, 1, now(), 10, now(), 'paid')")
            try await d.execute("INSERT INTO cs.tickets (id, account_id, opened_at, priority) VALUES (200, 2, now(), 'normal')")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (3, 'nps', 9, now()), (3, 'csat', 1, now())")
            try await d.execute("UPDATE cs.accounts SET name = 'Renamed', csm = 'x@example.test' WHERE id = 4")
            try await d.execute("INSERT INTO cs.activity (account_id, occurred_at, event) VALUES (5, now(), 'login')")
            try await d.execute("UPDATE cs.invoices SET amount = 12 WHERE id = 100")
            #expect(try await signals() == [])
            #expect(try await Self.rescoreJobs(d) == [:])

            // Each default rule once.
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at, status) VALUES (6, now(), 10, now(), 'failed')")
            try await d.execute("UPDATE cs.invoices SET failed_at = now(), status = 'failed' WHERE id = 100")
            try await d.execute("INSERT INTO cs.tickets (account_id, opened_at, priority) VALUES (7, now(), 'urgent')")
            try await d.execute("UPDATE cs.tickets SET priority = 'high' WHERE id = 200")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (8, 'nps', 6, now())")
            try await d.execute("UPDATE cs.accounts SET mrr = 99 WHERE id = 9")
            try await d.execute("UPDATE cs.accounts SET status = 'churned', churned_at = now() WHERE id = 10")
            try await d.execute("INSERT INTO cs.milestones (account_id, milestone, completed_at) VALUES (11, 'first_booking', now())")
            #expect(try await signals() == ["6:invoice_failed", "1:invoice_failed", "7:ticket_opened_urgent", "2:ticket_opened_urgent",
                                            "8:nps_detractor", "9:account_changed", "10:account_changed", "11:milestone_completed"])
            let details = try await d.query("SELECT detail FROM cs.signals WHERE rule = 'account_changed' ORDER BY id").map { try $0.decode(String.self, 0) }
            #expect(details == ["mrr 0.00 → 99.00", "status active → churned"])
            #expect(Set(try await Self.rescoreJobs(d).keys) == [1, 2, 6, 7, 8, 9, 10, 11])

            // Rules are configuration: off, or with other parameters.
            try await d.execute("DELETE FROM cs.signals")
            try await d.execute("UPDATE cs.signal_rules SET enabled = false WHERE key = 'invoice_failed'")
            try await d.execute("UPDATE cs.signal_rules SET params = '{\"max_score\": 4}' WHERE key = 'nps_detractor'")
            try await d.execute("UPDATE cs.signal_rules SET params = '{\"columns\": [\"plan\"]}' WHERE key = 'account_changed'")
            try await d.execute("UPDATE cs.signal_rules SET params = '{\"milestones\": [\"first_payment_received\"]}' WHERE key = 'milestone_completed'")
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at) VALUES (12, now(), 10, now())")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (13, 'nps', 5, now()), (14, 'nps', 4, now())")
            try await d.execute("UPDATE cs.accounts SET mrr = 5 WHERE id = 15")
            try await d.execute("UPDATE cs.accounts SET plan = 'pro' WHERE id = 16")
            try await d.execute("INSERT INTO cs.milestones (account_id, milestone, completed_at) VALUES (17, 'first_booking', now()), (18, 'first_payment_received', now())")
            #expect(try await signals() == ["14:nps_detractor", "16:account_changed", "18:milestone_completed"])

            // A back-fill that is not news.
            try await d.transaction { tx in
                try await tx.execute("SET LOCAL cs.signals = 'off'")
                try await tx.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (19, 'nps', 0, now())")
            }
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.signals WHERE account_id = 19") == 0)
            // An application may raise its own signal.
            try await d.execute("INSERT INTO cs.signals (account_id, rule, detail) VALUES (20, 'cancellation_requested', 'form 3')")
            #expect(try await Self.rescoreJobs(d)[20] == 1)
        }
    }

    /// The conflict on a live job's key holds that job's row until the signal's transaction
    /// commits, so the job cannot give its key back (and start reading) before it can see the
    /// signal; once it has, the next signal makes a new job.
    @Test func aSignalWhileTheAccountIsBeingScoredQueuesExactlyOneMoreRun() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'A', now())")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (1, 'nps', 2, now())")
            let jobID = try await d.query("SELECT id FROM cs.jobs WHERE kind = 'score_account'")[0].decode(Int64.self, 0)
            try await d.execute("UPDATE cs.jobs SET state = 'running', attempt = 1, attempted_at = now(), worker_id = 'test' WHERE id = $1", [jobID])

            // A signal's transaction, left open after its deduplicated enqueue.
            let open = try await Connection.connect(url: db.url, logger: TestEnvironment.logger)
            try await open.execute("BEGIN")
            try await open.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (1, 'nps', 3, now())")
            let release = Task { try await d.execute(QueueStatements.ReleaseUniqueKey(id: jobID, attempt: 1)) }
            try await eventually("the release waits for the signal's transaction") {
                try await Self.count(d, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE cs.jobs SET unique_key = NULL%'") == 1
            }
            try await open.execute("COMMIT")
            await open.close()
            _ = try await release.value
            #expect(try await Self.rescoreJobs(d) == [1: 1], "the open transaction's signal went to the running job")

            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (1, 'nps', 4, now())")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (1, 'nps', 5, now())")
            #expect(try await Self.rescoreJobs(d) == [1: 2], "after the release: one more job, and only one")
        }
    }

    @Test func rollupsFollowInsertsUpdatesDeletesAndTruncate() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            func rollup() async throws -> [String] {
                try await d.query("SELECT account_id || ' ' || day || ' ' || event || ' ' || quantity FROM cs.activity_daily ORDER BY 1")
                    .map { try $0.decode(String.self, 0) }
            }
            try await d.execute("""
                INSERT INTO cs.activity (account_id, occurred_at, event, quantity) VALUES
                  (1, '2026-11-01 10:00Z', 'login', 2), (1, '2026-11-01 23:59Z', 'login', 3), (1, '2026-11-02 00:00Z', 'login', 1),
                  (2, '2026-11-01 12:00Z', 'form_sent', 4)
                """)
            #expect(try await rollup() == ["1 2026-11-01 login 5", "1 2026-11-02 login 1", "2 2026-11-01 form_sent 4"])
            _ = try await d.withConnection { try await $0.copyIn("COPY cs.activity (account_id, occurred_at, event, quantity) FROM STDIN",
                                                                 data: Array("2\t2026-11-01 13:00Z\tform_sent\t1\n".utf8)) }
            try await d.execute("UPDATE cs.activity SET quantity = 10 WHERE account_id = 1 AND occurred_at = '2026-11-02 00:00Z'")
            try await d.execute("DELETE FROM cs.activity WHERE account_id = 1 AND occurred_at = '2026-11-01 10:00Z'")
            #expect(try await rollup() == ["1 2026-11-01 login 3", "1 2026-11-02 login 10", "2 2026-11-01 form_sent 5"])
            // Moving a row to another day and event moves its quantity.
            try await d.execute("UPDATE cs.activity SET occurred_at = '2026-11-03 08:00Z', event = 'message_sent' WHERE account_id = 2 AND quantity = 4")
            #expect(try await rollup() == ["1 2026-11-01 login 3", "1 2026-11-02 login 10", "2 2026-11-01 form_sent 1",
                                           "2 2026-11-03 message_sent 4"])
            try await d.execute("DELETE FROM cs.activity WHERE account_id = 1")
            #expect(try await rollup() == ["2 2026-11-01 form_sent 1", "2 2026-11-03 message_sent 4"])
            try await d.execute("TRUNCATE cs.activity")
            #expect(try await rollup() == [])
            // Whatever happened, the rollups equal a regrouping of the raw rows.
            try await d.execute("INSERT INTO cs.activity (account_id, occurred_at, event, quantity) SELECT g % 7, now() - g * interval '37 minutes', 'login', 1 + g % 3 FROM generate_series(1, 3000) g")
            try await d.execute("DELETE FROM cs.activity WHERE quantity = 2")
            #expect(try await Self.count(d, """
                SELECT count(*) FROM (
                  (SELECT account_id, day, event, quantity FROM cs.activity_daily
                   EXCEPT SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, event, sum(quantity) FROM cs.activity GROUP BY 1, 2, 3)
                  UNION ALL
                  (SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, event, sum(quantity) FROM cs.activity GROUP BY 1, 2, 3
                   EXCEPT SELECT account_id, day, event, quantity FROM cs.activity_daily)) x
                """) == 0)
        }
    }
}
