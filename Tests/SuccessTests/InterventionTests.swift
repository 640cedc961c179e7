// Interventions: rules raise them once per cool-down, queue a delivery and a `deliver` job in
// the same transaction, and outcomes are recorded later; the job kinds chain end to end.
import Foundation
import PG
import Queue
import Churn
import Demo
import Health
import Interventions
import Success
import Testing
import TestSupport

@Suite struct InterventionTests {
    /// The two channels the default rules use, and no hold-out: these tests are about what
    /// is sent (ControlGroupTests covers the control arm).
    static func channels(_ db: Database) async throws {
        try await db.execute("""
            INSERT INTO cs.channels (name, type, endpoint) VALUES
              ('cs-team-slack', 'slack', 'env:SLACK_WEBHOOK_URL'), ('csm-email', 'smtp', 'smtp://127.0.0.1:2525')
            """)
        try await db.execute("UPDATE cs.intervention_rules SET control_fraction = 0")
    }

    static func count(_ db: Database, _ sql: String, _ params: [any SQLParameter] = []) async throws -> Int {
        try await db.query(sql, params)[0].decode(Int.self, 0)
    }

    @Test func templateValuesAreEscapedForTheChannelThatCarriesThem() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            // One place, per target.
            let name = "<!channel> & <https://x.example|Renew now> \"O'Brien\"\r\nBcc: boss@evil.example"
            let row = try await d.query("""
                SELECT cs.template_value('slack', $1), cs.template_value('html', $1), cs.template_value('smtp', $1),
                       cs.template_value('sms', $1), cs.template_value('webhook', $1)
                """, [name])[0]
            #expect(try row.decode(String.self, 0) == "&lt;!channel&gt; &amp; &lt;https://x.example|Renew now&gt; \"O'Brien\"  Bcc: boss@evil.example")
            #expect(try row.decode(String.self, 1) == "&lt;!channel&gt; &amp; &lt;https://x.example|Renew now&gt; &quot;O&#39;Brien&quot;  Bcc: boss@evil.example")
            for column in 2...4 {
                let plain = try row.decode(String.self, column)
                #expect(!plain.contains("\r") && !plain.contains("\n") && plain.contains("<!channel>"), "plain text keeps characters, loses line breaks")
            }

            // Through a rule: the host application's name reaches Slack escaped and email text on one line.
            try await Self.channels(d)
            try await Fixtures.installHandScorecard(d)
            try await d.execute("UPDATE cs.intervention_rules SET enabled = key = 'red_band'")
            try await Fixtures.account(d, id: 4, tenureDays: 400, name: name)
            try await Fixtures.ticket(d, 4, openedDaysAgo: 90, priority: "urgent")
            try await Fixtures.invoice(d, 4, dueDaysAgo: 40)
            try await Fixtures.invoice(d, 4, dueDaysAgo: 10)
            try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(asOf: Fixtures.asOf))
            _ = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            let slack = try await d.query("SELECT d.body_text FROM cs.deliveries d WHERE d.channel = 'cs-team-slack'")[0].decode(String.self, 0)
            #expect(slack.contains("&lt;!channel&gt; &amp; &lt;https://x.example|Renew now&gt;"))
            #expect(!slack.contains("<!channel>") && !slack.contains("\r\n"))

            try await d.execute("UPDATE cs.intervention_rules SET channel = 'csm-email', cooldown_days = 0 WHERE key = 'red_band'")
            try await d.execute("DELETE FROM cs.interventions")
            _ = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            let mail = try await d.query("SELECT d.subject, d.body_text FROM cs.deliveries d WHERE d.channel = 'csm-email'")[0]
            for text in [try mail.decodeIfPresent(String.self, 0) ?? "", try mail.decode(String.self, 1)] {
                #expect(!text.contains("\r") && !text.contains("\nBcc"), "no value can start a header or body line of its own")
            }
        }
    }

    @Test func redAccountTriggersOnceWithinCooldownAndQueuesDelivery() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.channels(d)
            try await Fixtures.installHandScorecard(d)
            try await d.execute("UPDATE cs.intervention_rules SET enabled = key IN ('red_band', 'payment_failed')")
            try await Fixtures.redAccount(d, id: 4)
            try await Fixtures.account(d, id: 5, tenureDays: 400, name: "Late Payer Photography", csm: "pat@example.test")
            for day in 1...12 { try await Fixtures.activity(d, 5, daysAgo: Double(day)) }
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at, status) VALUES (5, now() - interval '2 days', 59, now() - interval '1 day', 'failed')")
            try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(asOf: Fixtures.asOf))

            let engine = InterventionEngine(database: d, logger: TestEnvironment.logger)
            let first = try await engine.evaluate()
            #expect(first.created["red_band"] == 1)
            #expect(first.created["payment_failed"] == 1)
            #expect(first.deliveries == 2)
            let red = try await d.query("""
                SELECT i.id, i.account_id, i.reason, i.owner, i.band, d.idempotency_key, d.recipient, d.body_text, d.channel, j.kind, j.args->>'delivery_id', d.id
                FROM cs.interventions i JOIN cs.deliveries d ON d.id = i.delivery_id AND d.intervention_id = i.id
                JOIN cs.jobs j ON j.id = d.job_id WHERE i.rule = 'red_band'
                """)
            let row = try #require(red.first)
            let interventionID = try row.decode(Int64.self, 0)
            #expect(try row.decode(Int64.self, 1) == 4)
            #expect(try row.decode(String.self, 2).contains("health 0.00"))
            #expect(try row.decode(String.self, 3) == "csm1@example.test")
            #expect(try row.decode(String.self, 4) == "red")
            #expect(try row.decode(String.self, 5) == "intervention:\(interventionID)")
            #expect(try row.decodeIfPresent(String.self, 6) == nil) // Slack: no recipient
            let body = try row.decode(String.self, 7)
            #expect(body.contains("Failing Florals") && body.contains("(#4)") && body.contains("0.00") && !body.contains("{{"))
            #expect(try row.decode(String.self, 8) == "cs-team-slack")
            #expect(try row.decode(String.self, 9) == "deliver")
            #expect(try row.decode(Int64.self, 10) == row.decode(Int64.self, 11))
            let email = try await d.query("SELECT d.recipient, d.subject FROM cs.interventions i JOIN cs.deliveries d ON d.id = i.delivery_id WHERE i.rule = 'payment_failed'")
            #expect(try email[0].decode(String.self, 0) == "pat@example.test")
            #expect(try email[0].decode(String.self, 1) == "Payment failed for Late Payer Photography")

            // Inside the cool-down: nothing new, no new delivery or job.
            let second = try await engine.evaluate()
            #expect(second.total == 0 && second.deliveries == 0)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.interventions") == 2)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.deliveries") == 2)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.jobs WHERE kind = 'deliver'") == 2)

            // Past the 14-day cool-down the still-red account is raised again.
            try await d.execute("UPDATE cs.interventions SET created_at = created_at - interval '15 days' WHERE rule = 'red_band'")
            let third = try await engine.evaluate()
            #expect(third.created["red_band"] == 1 && third.created["payment_failed"] == 0)
        }
    }

    @Test func everyRuleKindFires() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.channels(d)
            try await d.execute("""
                INSERT INTO cs.accounts (id, name, signed_up_at, renewal_date, csm)
                VALUES (30, 'Everything Wrong Weddings', now() - interval '400 days', current_date + 20, 'kim@example.test')
                """)
            try await d.execute("""
                INSERT INTO cs.health_scores (account_id, run_id, scored_at, score, band, components) VALUES
                  (30, gen_random_uuid(), now() - interval '10 days', 80, 'green', '{}'),
                  (30, gen_random_uuid(), now() - interval '1 hour', 30, 'red', '{}')
                """)
            try await d.execute("INSERT INTO cs.churn_predictions (account_id, probability) VALUES (30, 0.9)")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (30, 'nps', 2, now() - interval '3 days')")
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, failed_at, status) VALUES (30, now() - interval '2 days', 59, now() - interval '1 day', 'failed')")
            let s = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            #expect(s.created == ["red_band": 1, "score_drop": 1, "churn_risk": 1, "payment_failed": 1,
                                  "onboarding_stalled": 1, "nps_detractor": 1, "renewal_at_risk": 1])
            #expect(s.deliveries == 7)
            let reasons = try await d.query("SELECT rule, reason FROM cs.interventions ORDER BY rule")
            for r in reasons { print(try r.decode(String.self, 0), "→", try r.decode(String.self, 1)) }
            let fell = try await d.query("SELECT reason FROM cs.interventions WHERE rule = 'score_drop'")
            #expect(try fell[0].decode(String.self, 0) == "score fell 50.0 points in 30 days (from 80.00 to 30.00)")
        }
    }

    @Test func missingChannelKeepsInterventionWithoutDelivery() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Fixtures.installHandScorecard(d)
            try await d.execute("UPDATE cs.intervention_rules SET enabled = key = 'red_band'")
            try await Fixtures.redAccount(d, id: 4)
            try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(asOf: Fixtures.asOf))
            let s = try await InterventionEngine(database: d, logger: TestEnvironment.logger).evaluate()
            #expect(s.total == 1 && s.deliveries == 0)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.interventions WHERE delivery_id IS NULL") == 1)
        }
    }

    @Test func outcomesRecordRecoveryChurnAndNoChange() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            for id in Int64(10)...12 { try await Fixtures.account(d, id: id, tenureDays: 300) }
            try await d.execute("""
                INSERT INTO cs.interventions (account_id, rule, reason, channel, band, created_at) VALUES
                  (10, 'red_band', 'r', 'cs-team-slack', 'red', now() - interval '5 days'),
                  (11, 'red_band', 'r', 'cs-team-slack', 'red', now() - interval '5 days'),
                  (12, 'red_band', 'r', 'cs-team-slack', 'red', now() - interval '40 days'),
                  (12, 'red_band', 'r', 'cs-team-slack', 'red', now() - interval '1 day')
                """)
            try await d.execute("""
                INSERT INTO cs.health_scores (account_id, run_id, scored_at, score, band, components)
                VALUES (10, gen_random_uuid(), now() - interval '1 day', 55, 'yellow', '{}')
                """)
            try await d.execute("UPDATE cs.accounts SET status = 'churned', churned_at = now() - interval '2 days' WHERE id = 11")
            let s = try await InterventionEngine(database: d, logger: TestEnvironment.logger).recordOutcomes(followUpDays: 30)
            #expect(s.recovered == 1 && s.churned == 1 && s.noChange == 1)
            let r = try await d.query("SELECT account_id, outcome FROM cs.interventions ORDER BY id")
            #expect(try r.map { try $0.decodeIfPresent(String.self, 1) } == ["recovered", "churned", "no_change", nil])
        }
    }

    @Test func scoringJobChainsIntoInterventions() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.channels(d)
            try await d.execute("UPDATE cs.intervention_rules SET enabled = key = 'red_band'")
            // Scored now with the default scorecard: nothing used, tickets piling up, invoices unpaid.
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at, csm) VALUES (21, 'Quiet Venue', now() - interval '400 days', 'sam@example.test')")
            try await d.execute("""
                INSERT INTO cs.tickets (account_id, opened_at, priority) SELECT 21, now() - interval '50 days', 'urgent' FROM generate_series(1, 3);
                """)
            try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, status) SELECT 21, now() - g * interval '30 days', 59, 'open' FROM generate_series(1, 3) g")
            try await d.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES (21, 'nps', 1, now() - interval '20 days')")
            let registry = JobRegistry()
            SuccessJobs.register(in: registry)
            #expect(Set(registry.kinds).isSuperset(of: ["score_accounts", "evaluate_interventions", "record_intervention_outcomes"]))
            let store = ScheduleStore(database: d)
            try await SuccessJobs.installDefaultSchedules(store)
            try await SuccessJobs.installDefaultSchedules(store)
            #expect(try await store.list().map(\.kind).sorted() == ["record_intervention_outcomes", "score_accounts"])
            try await Enqueuer(database: d).enqueue(SuccessJobs.ScoreArgs(accountIds: [21]))
            var config = WorkerConfiguration()
            config.pollInterval = .milliseconds(100)
            let worker = Worker(url: db.url, registry: registry, configuration: config, logger: TestEnvironment.logger)
            let running = Task { try await worker.run() }
            let deadline = Date().addingTimeInterval(30)
            var done = 0
            while Date() < deadline {
                done = try await Self.count(d, "SELECT count(*) FROM cs.jobs WHERE kind IN ('score_accounts', 'evaluate_interventions') AND state = 'completed'")
                if done == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            worker.shutdown()
            _ = try? await running.value
            #expect(done == 2)
            let band = try await d.query("SELECT band FROM cs.health_scores WHERE account_id = 21")
            #expect(try band[0].decode(String.self, 0) == "red")
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.interventions i JOIN cs.deliveries x ON x.id = i.delivery_id WHERE i.account_id = 21") == 1)
            #expect(try await Self.count(d, "SELECT count(*) FROM cs.jobs WHERE kind = 'deliver' AND queue = 'delivery'") == 1)
        }
    }
}

@Suite struct JobArgumentRangeTests {
    @Test func aNegativeFollowUpWindowIsRefusedWithTheFieldAndNothingIsClosed() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            SuccessJobs.register(in: registry)
            let id = try await db.database.query("""
                INSERT INTO cs.jobs (kind, args) VALUES ('record_intervention_outcomes', '{"follow_up_days": -30}') RETURNING id
                """)[0].decode(Int64.self, 0)
            var config = WorkerConfiguration()
            config.pollInterval = .milliseconds(100)
            let worker = Worker(url: db.url, registry: registry, configuration: config, logger: TestEnvironment.logger)
            let running = Task { try await worker.run() }
            try await eventually("discarded", timeout: .seconds(20)) {
                try await db.database.query("SELECT state::text FROM cs.jobs WHERE id = $1", [id])[0].decode(String.self, 0) == "discarded"
            }
            worker.shutdown()
            _ = try? await running.value
            let row = try await db.database.query("SELECT attempt, errors->0->>'error' FROM cs.jobs WHERE id = $1", [id])[0]
            #expect(try row.decode(Int.self, 0) == 1, "not retried")
            let reason = try row.decode(String.self, 1)
            #expect(reason.contains("follow_up_days") && reason.contains("1…365"), "\(reason)")
        }
    }
}
