// Rescoring: rollup-fed measures equal a scan of raw activity, a signal's rescore equals the
// batch run, a failed invoice reaches Slack through a real worker once per cool-down, explain
// names the signal, and the usage trend compares with the same weeks last year.
import Basics
import Delivery
import Demo
import Foundation
@testable import Health
import Interventions
import Loopback
import PG
import Queue
import Success
import TestSupport
import Testing
import Transport

@Suite struct RescoreTests {
    /// The pre-rollup activity measures, straight from cs.activity (the statement the scorer
    /// ran before sql/0019), and last year's trend windows likewise.
    static let rawActivity = """
        WITH d AS (
            SELECT account_id, date_trunc('day', occurred_at) AS day,
                   bool_or(occurred_at > $3::timestamptz) AS in_freq,
                   sum(quantity) FILTER (WHERE occurred_at > $4::timestamptz) AS recent,
                   sum(quantity) FILTER (WHERE occurred_at <= $4::timestamptz AND occurred_at > $5::timestamptz) AS base,
                   bit_or(1 << (array_position($8::text[], event) - 1)) FILTER (WHERE occurred_at > $6::timestamptz AND event = ANY($8::text[])) AS mask
            FROM cs.activity WHERE account_id = ANY($1::bigint[]) AND occurred_at > $7::timestamptz AND occurred_at <= $2::timestamptz
            GROUP BY 1, 2
        ), ly AS (
            SELECT account_id,
                   sum(quantity) FILTER (WHERE occurred_at > $10::timestamptz AND occurred_at <= $9::timestamptz) AS ly_recent,
                   sum(quantity) FILTER (WHERE occurred_at <= $10::timestamptz AND occurred_at > $11::timestamptz) AS ly_base
            FROM cs.activity WHERE account_id = ANY($1::bigint[]) GROUP BY 1
        )
        SELECT a.id, coalesce(x.active_days, 0), coalesce(x.recent, 0)::float8, coalesce(x.base, 0)::float8, coalesce(x.mask, 0),
               coalesce(ly.ly_recent, 0)::float8, coalesce(ly.ly_base, 0)::float8
        FROM unnest($1::bigint[]) AS a (id)
        LEFT JOIN (SELECT account_id, count(*) FILTER (WHERE in_freq) AS active_days, sum(recent) AS recent, sum(base) AS base,
                          bit_or(mask) AS mask FROM d GROUP BY 1) x ON x.account_id = a.id
        LEFT JOIN ly ON ly.account_id = a.id
        ORDER BY a.id
        """

    @Test func measuresFromRollupsEqualAScanOfRawActivity() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            let asOf = Fixtures.asOf // noon: the demo's midnight rows never straddle a boundary, the extra ones do
            let seeded = try await DemoSeeder(database: d, logger: TestEnvironment.logger)
                .seed(accounts: 300, seed: 7, endDate: asOf)
            let ids = (0..<Int64(seeded.accounts)).map { seeded.firstAccountID + $0 }
            let card = try await ScorecardStore(database: d).load(name: nil)
            let w = ScoringWindows(card: card, asOf: asOf)
            // Event-level rows at any time of day, some exactly on a boundary or a microsecond
            // either side, some in last year's windows, for the first 60 accounts.
            var rng = SplitMix64(seed: 11)
            let boundaries = [w.asOf, w.freqFrom, w.recentFrom, w.baselineFrom, w.adoptionFrom, w.scanFrom,
                              w.lastYearTo, w.lastYearRecentFrom, w.lastYearBaselineFrom]
            var lines = ""
            for id in ids.prefix(60) {
                for _ in 0..<40 {
                    let at: Date
                    switch rng.nextInt(below: 3) {
                    case 0: at = boundaries[rng.nextInt(below: boundaries.count)].addingTimeInterval(Double(rng.nextInt(below: 3) - 1) * 1e-6)
                    default: at = asOf.addingTimeInterval(-Double(rng.nextInt(below: 470 * 86_400)))
                    }
                    let event = (HealthStatements.keyFeatures + ["login"])[rng.nextInt(below: HealthStatements.keyFeatures.count + 1)]
                    lines += "\(id)\t\(PGTime.format(at))\t\(event)\t\(1 + rng.nextInt(below: 3))\n"
                }
            }
            _ = try await d.withConnection { try await $0.copyIn("COPY cs.activity (account_id, occurred_at, event, quantity) FROM STDIN",
                                                                 data: Array(lines.utf8)) }
            // And a delete that leaves some rollups' bounds wider than their rows.
            try await d.execute("DELETE FROM cs.activity WHERE account_id = ANY($1::bigint[]) AND quantity = 3", [Array(ids.prefix(20))])

            let fromRollups = try await d.rows(HealthStatements.Measures(accountIDs: ids, windows: w, runID: UUID()))
            let raw = try await d.query(Self.rawActivity, [ids, w.asOf, w.freqFrom, w.recentFrom, w.baselineFrom, w.adoptionFrom,
                                                           w.scanFrom, HealthStatements.keyFeatures, w.lastYearTo,
                                                           w.lastYearRecentFrom, w.lastYearBaselineFrom])
            #expect(fromRollups.count == ids.count && raw.count == ids.count)
            var differing: [Int64] = []
            for (m, r) in zip(fromRollups, raw) {
                let same = try m.accountID == r.decode(Int64.self, 0) && m.activeDays == r.decode(Int.self, 1)
                    && m.recentQuantity == r.decode(Double.self, 2) && m.baselineQuantity == r.decode(Double.self, 3)
                    && m.featureMask == r.decode(Int.self, 4) && m.lastYearRecentQuantity == r.decode(Double.self, 5)
                    && m.lastYearBaselineQuantity == r.decode(Double.self, 6)
                if !same { differing.append(m.accountID) }
            }
            #expect(differing.isEmpty, "accounts whose rollup measures differ from the raw scan: \(differing.prefix(10))")
            #expect(fromRollups.contains { $0.lastYearRecentQuantity > 0 }, "the extra rows reach last year's windows")
        }
    }

    @Test func aSignalsRescoreEqualsTheBatchRun() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            let asOf = Fixtures.asOf
            let seeded = try await DemoSeeder(database: d, logger: TestEnvironment.logger).seed(accounts: 200, seed: 3, endDate: asOf)
            let ids = (0..<Int64(seeded.accounts)).map { seeded.firstAccountID + $0 }
            let scorer = HealthScorer(database: d, logger: TestEnvironment.logger)
            let batch = UUID()
            try await scorer.score(ScoringOptions(accountIDs: ids, runID: batch, asOf: asOf))
            var checked = 0
            for id in stride(from: 0, to: ids.count, by: 10).map({ ids[$0] }) {
                let one = try await scorer.scoreAccount(id, runID: UUID(), asOf: asOf)
                let row = try await d.query("SELECT score::float8, band, components::text FROM cs.health_scores WHERE run_id = $1::uuid AND account_id = $2",
                                            [batch.uuidString, id])[0]
                #expect(one.score?.score == (try row.decode(Double.self, 0)), "account \(id)")
                #expect(one.score?.band.rawValue == (try row.decode(String.self, 1)))
                #expect(try ComponentsJSON.decode(row.decode(String.self, 2)).mapValues { [$0.raw, $0.score, $0.effectiveWeight] }
                        == Dictionary(uniqueKeysWithValues: (one.score?.components ?? []).map {
                            ($0.key.rawValue, [$0.raw.map(Self.round4), $0.score.map(Self.round2), Self.round4($0.effectiveWeight)])
                        }))
                checked += 1
            }
            #expect(checked == 20)
        }
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
    static func round4(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    @Test func aFailedInvoiceReachesSlackOncePerCoolDownAndExplainNamesTheSignal() async throws {
        let slack = try LoopbackHTTPServer()
        defer { slack.stop() }
        try await TestDatabase.with { db in
            let d = db.database
            try await ChannelStore.save(Channel(name: "cs-team-slack", type: .slack, endpoint: slack.url("/services/T/B/x")), database: d)
            try await d.execute("UPDATE cs.intervention_rules SET enabled = (key = 'payment_failed'), control_fraction = 0, channel = 'cs-team-slack'")
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at, csm) VALUES (5, 'Bloom & Vine', now() - interval '200 days', 'sam@example.test')")
            try await d.execute("INSERT INTO cs.activity (account_id, occurred_at, event) SELECT 5, now() - g * interval '1 day', 'login' FROM generate_series(1, 20) g")

            let client = try CurlClient(logger: TestEnvironment.logger)
            let registry = JobRegistry()
            SuccessJobs.register(in: registry)
            DeliveryJobs.register(in: registry, client: client, logger: TestEnvironment.logger)
            var cfg = WorkerConfiguration()
            cfg.queues = ["default", DeliveryJobs.queue]
            cfg.pollInterval = .milliseconds(100)
            let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
            let running = Task { _ = try? await worker.run() }
            await worker.waitUntilStarted()

            try await d.execute("INSERT INTO cs.invoices (id, account_id, due_at, amount, failed_at, status) VALUES (71, 5, now(), 59, now(), 'failed')")
            try await eventually("the message reached Slack") { slack.requestCount == 1 }
            #expect(slack.requests.first?.bodyText.contains("Bloom") == true)
            try await eventually("the rescore job finished") {
                try await d.query("SELECT count(*) FROM cs.jobs WHERE kind = 'score_account' AND state = 'completed'")[0].decode(Int.self, 0) == 1
            }
            let job = try await d.query("SELECT (result->'signals')::text FROM cs.jobs WHERE kind = 'score_account' AND state = 'completed'")
            #expect(try job.count == 1 && job[0].decode(String.self, 0) == "[\"invoice_failed\"]")
            #expect(try await d.query("SELECT count(*) FROM cs.signals WHERE health_score_id IS NULL")[0].decode(Int.self, 0) == 0)

            // A second failure inside the rule's cool-down: rescored, not told twice.
            try await d.execute("INSERT INTO cs.invoices (id, account_id, due_at, amount, failed_at, status) VALUES (72, 5, now(), 59, now(), 'failed')")
            try await eventually("the second rescore finished") {
                try await d.query("SELECT count(*) FROM cs.jobs WHERE kind = 'score_account' AND state = 'completed'")[0].decode(Int.self, 0) == 2
            }
            try await eventually("no deliver job is left") {
                try await d.query("SELECT count(*) FROM cs.jobs WHERE kind = 'deliver' AND state <> 'completed'")[0].decode(Int.self, 0) == 0
            }
            worker.shutdown()
            await running.value
            await client.shutdown()
            #expect(slack.requestCount == 1)
            #expect(try await d.query("SELECT count(*) FROM cs.interventions")[0].decode(Int.self, 0) == 1)

            let explained = try #require(try await HealthExplanation.load(accountID: 5, database: d))
            #expect(explained.signals.map(\.rule) == ["invoice_failed"] && explained.signals.first?.detail == "invoice 72 failed")
            #expect(explained.render().contains("Triggered by: invoice_failed — invoice 72 failed"))
            #expect(explained.previousScore != nil, "the first rescore is the one before")
        }
    }

    /// Usage halves from the baseline to the recent 30 days in both years: against the
    /// baseline alone that reads 0.5; against the same weeks last year it is the season (1.0).
    @Test func theUsageTrendComparesWithTheSameWeeksLastYearWhenThereIsHistory() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            let asOf = Fixtures.asOf
            try await Fixtures.account(d, id: 1, tenureDays: 800, name: "Two Seasons")
            try await Fixtures.account(d, id: 2, tenureDays: 800, name: "One Season")
            for (id, years) in [(Int64(1), [0, 364]), (Int64(2), [0])] {
                for shift in years {
                    try await d.execute("""
                        INSERT INTO cs.activity (account_id, occurred_at, event, quantity)
                        SELECT $1, $2::timestamptz - ($3 + g + 0.5) * interval '1 day', 'login', CASE WHEN g < 30 THEN 1 ELSE 2 END
                        FROM generate_series(0, 89) g
                        """, [id, asOf, shift])
                }
            }
            let run = UUID()
            try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(runID: run, asOf: asOf))
            var trend: [Int64: ComponentsJSON.Entry] = [:]
            for r in try await d.query("SELECT account_id, components::text FROM cs.health_scores WHERE run_id = $1::uuid", [run.uuidString]) {
                trend[try r.decode(Int64.self, 0)] = try ComponentsJSON.decode(r.decode(String.self, 1))["usage_trend"]
            }
            #expect(trend[1]?.raw == 1.0 && trend[1]?.basis == .sameWeeksLastYear)
            #expect(trend[2]?.raw == 0.5 && trend[2]?.basis == .baseline)
            let explained = try #require(try await HealthExplanation.load(accountID: 1, database: d))
            #expect(explained.render().contains("usage_trend compared with the same weeks last year"))
            #expect(explained.render().contains("Triggered by: a scheduled or manual scoring run"))

            // Turned off, the first account reads like the second.
            try await d.execute("UPDATE cs.scorecard_components SET params = params || '{\"season_shift_days\": 0}' WHERE component = 'usage_trend'")
            let off = UUID()
            try await HealthScorer(database: d, logger: TestEnvironment.logger).score(ScoringOptions(runID: off, asOf: asOf))
            let c = try await d.query("SELECT components::text FROM cs.health_scores WHERE run_id = $1::uuid AND account_id = 1", [off.uuidString])[0]
            let e = try ComponentsJSON.decode(c.decode(String.self, 0))["usage_trend"]
            #expect(e?.raw == 0.5 && e?.basis == .baseline)
        }
    }
}
