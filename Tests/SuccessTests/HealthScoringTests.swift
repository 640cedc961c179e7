// Health scoring against hand-computed cases: components, re-weighting, bands, trends, explain, bad configuration.
import Basics
import Delivery
import Foundation
import PG
import Churn
import Demo
import Health
import Interventions
import Success
import TestSupport
import Testing

@Suite struct HealthScoringTests {
    /// Accounts 1–4 with measures worked out by hand (see each comment).
    static func handAccounts(_ db: Database) async throws {
        // 1: 5 active days in 30 (one day has two rows; one row 40 days ago is outside) → 50.
        //    Open high ticket, 10 days: 4 × (1 + 10/30) = 5.3333 → (5.3333 − 10)/(0 − 10) = 46.667.
        //    One failed payment 5 days ago (not yet overdue: 7-day grace) → raw 1 → 75. No NPS: re-weighted.
        //    Score = (2·50 + 46.667 + 75) / 4 = 55.42, yellow.
        try await Fixtures.account(db, id: 1, tenureDays: 400)
        for d in [1.0, 3, 5, 8, 20] { try await Fixtures.activity(db, 1, daysAgo: d) }
        try await Fixtures.activity(db, 1, daysAgo: 3.2, event: "form_sent", quantity: 3)
        try await Fixtures.activity(db, 1, daysAgo: 40)
        try await Fixtures.ticket(db, 1, openedDaysAgo: 10, priority: "high")
        try await Fixtures.ticket(db, 1, openedDaysAgo: 50, closedDaysAgo: 45, priority: "urgent")
        try await Fixtures.invoice(db, 1, dueDaysAgo: 20, paidDaysAgo: 19)
        try await Fixtures.invoice(db, 1, dueDaysAgo: 5, failedDaysAgo: 5)
        // 2: no usage → 0; no tickets → 100; no invoices → payment missing; latest NPS 9 → 90.
        //    Score = (2·0 + 100 + 90) / 4 = 47.5, yellow.
        try await Fixtures.account(db, id: 2, tenureDays: 400)
        try await Fixtures.nps(db, 2, score: 2, daysAgo: 100)
        try await Fixtures.nps(db, 2, score: 9, daysAgo: 30)
        // 3: 15 days old with 6 active days → prorated 12 → 100; one invoice overdue (10 days) → raw 2 → 50.
        //    Score = (2·100 + 100 + 50) / 4 = 87.5, green.
        try await Fixtures.account(db, id: 3, tenureDays: 15)
        for d in [1.0, 2, 4, 6, 9, 12] { try await Fixtures.activity(db, 3, daysAgo: d) }
        try await Fixtures.invoice(db, 3, dueDaysAgo: 10)
        // 4: usage 0, urgent ticket 90 days open → 8 × 3 = 24 → 0, two overdue → raw 4 → 0. Score 0, red.
        try await Fixtures.redAccount(db)
    }

    static func scores(_ db: Database, run: UUID) async throws -> [Int64: (score: Double, band: String, components: String)] {
        let r = try await db.query("SELECT account_id, score::float8, band, components::text FROM cs.health_scores WHERE run_id = $1::uuid",
                                   [run.uuidString])
        var out: [Int64: (Double, String, String)] = [:]
        for row in r { out[try row.decode(Int64.self, 0)] = (try row.decode(Double.self, 1), try row.decode(String.self, 2), try row.decode(String.self, 3)) }
        return out
    }

    @Test func handComputedScoresBandsAndReweighting() async throws {
        try await TestDatabase.with { db in
            try await Fixtures.installHandScorecard(db.database)
            try await Self.handAccounts(db.database)
            let run = UUID()
            let summary = try await HealthScorer(database: db.database, logger: TestEnvironment.logger)
                .score(ScoringOptions(runID: run, asOf: Fixtures.asOf))
            #expect(summary.accounts == 4 && summary.written == 4)
            #expect(summary.red == 1 && summary.yellow == 2 && summary.green == 1)
            let s = try await Self.scores(db.database, run: run)
            let expected: [Int64: (Double, String)] = [1: (55.42, "yellow"), 2: (47.5, "yellow"), 3: (87.5, "green"), 4: (0, "red")]
            for (id, (score, band)) in expected {
                let got = try #require(s[id])
                #expect(abs(got.score - score) < 0.01, "account \(id): \(got.score) vs \(score)")
                #expect(got.band == band, "account \(id)")
            }
            // Component detail of account 1: raw and normalised values, NPS missing with effective weight 0.
            let c = try #require(s[1]).components
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(c.utf8)) as? [String: [String: Any]])
            #expect(obj["usage_frequency"]?["raw"] as? Double == 5)
            #expect(obj["usage_frequency"]?["score"] as? Double == 50)
            #expect(obj["usage_frequency"]?["effective_weight"] as? Double == 0.5)
            #expect(abs((obj["support_load"]?["raw"] as? Double ?? 0) - 5.3333) < 0.001)
            #expect(abs((obj["support_load"]?["score"] as? Double ?? 0) - 46.67) < 0.01)
            #expect(obj["payment_health"]?["raw"] as? Double == 1)
            #expect(obj["payment_health"]?["score"] as? Double == 75)
            #expect(obj["nps"]?["raw"] is NSNull)
            #expect(obj["nps"]?["effective_weight"] as? Double == 0)
            #expect(obj["nps"]?["weight"] as? Double == 1)
            // Account 2: payment missing, NPS is the latest answer (9, not 2).
            let json2 = try #require(s[2]).components
            let c2 = try #require(try JSONSerialization.jsonObject(with: Data(json2.utf8)) as? [String: [String: Any]])
            #expect(c2["payment_health"]?["raw"] is NSNull)
            #expect(c2["nps"]?["raw"] as? Double == 9)
            #expect(c2["nps"]?["effective_weight"] as? Double == 0.25)
        }
    }

    @Test func secondRunRecordsPreviousScoreAndTrend() async throws {
        try await TestDatabase.with { db in
            try await Fixtures.installHandScorecard(db.database)
            try await Self.handAccounts(db.database)
            let scorer = HealthScorer(database: db.database, logger: TestEnvironment.logger)
            let first = UUID(), second = UUID()
            try await scorer.score(ScoringOptions(runID: first, asOf: Fixtures.asOf))
            // Three more active days for account 1: 8 days → 80; score (160 + 46.667 + 75)/4 = 70.42, green.
            for d in [10.0, 11, 12] { try await Fixtures.activity(db.database, 1, daysAgo: d) }
            try await scorer.score(ScoringOptions(runID: second, asOf: Fixtures.asOf))
            let r = try await db.database.query("""
                SELECT score::float8, band, previous_score::float8, trend::float8 FROM cs.health_scores
                WHERE account_id = 1 AND run_id = $1::uuid
                """, [second.uuidString])
            let row = try #require(r.first)
            #expect(abs(try row.decode(Double.self, 0) - 70.42) < 0.01)
            #expect(try row.decode(String.self, 1) == "green")
            #expect(abs(try row.decode(Double.self, 2) - 55.42) < 0.01)
            #expect(abs(try row.decode(Double.self, 3) - 15.0) < 0.01)
            // Unchanged account: trend 0. Rerunning the same run writes nothing twice.
            let two = try await db.database.query("SELECT trend::float8 FROM cs.health_scores WHERE account_id = 2 AND run_id = $1::uuid", [second.uuidString])
            #expect(try two[0].decode(Double.self, 0) == 0)
            let again = try await scorer.score(ScoringOptions(runID: second, asOf: Fixtures.asOf))
            #expect(again.written == 0)
            let count = try await db.database.query("SELECT count(*) FROM cs.health_scores")
            #expect(try count[0].decode(Int.self, 0) == 8)

            #expect(try await HealthExplanation.load(accountID: 999, database: db.database) == nil)
            // Explain shows components, weights, raw values and what moved.
            let e = try #require(try await HealthExplanation.load(accountID: 1, database: db.database))
            #expect(abs(e.score - 70.42) < 0.01 && e.band == .green)
            #expect(abs((e.trend ?? 0) - 15) < 0.01)
            let usage = try #require(e.components.first { $0.key == "usage_frequency" })
            #expect(usage.raw == 8 && usage.previousRaw == 5 && usage.scoreDelta == 30)
            #expect(abs((usage.contributionDelta ?? 0) - 15) < 0.01)
            let text = e.render()
            print(text)
            for needle in ["Account 1 — Account 1", "70.42 (green)", "previous 55.42, trend +15.00", "usage_frequency",
                           "support_load", "payment_health", "missing", "+30.00", "Moved since the previous score: usage_frequency +15.00 pts",
                           "Missing (weight re-distributed): nps", "0.500"] {
                #expect(text.contains(needle), "explain output lacks \(needle)")
            }
        }
    }

    @Test func scoresOnlyTheChosenAccounts() async throws {
        try await TestDatabase.with { db in
            try await Fixtures.installHandScorecard(db.database)
            try await Self.handAccounts(db.database)
            let run = UUID()
            let s = try await HealthScorer(database: db.database, logger: TestEnvironment.logger)
                .score(ScoringOptions(accountIDs: [3, 4, 4, 999], runID: run, asOf: Fixtures.asOf, batchSize: 1))
            #expect(s.accounts == 2)
            #expect(try await Self.scores(db.database, run: run).keys.sorted() == [3, 4])
        }
    }

    @Test(arguments: [
        ("UPDATE cs.scorecard_components SET component = 'vibes' WHERE component = 'nps'", ScorecardError.Code.unknownComponent, "vibes"),
        ("UPDATE cs.scorecard_components SET weight = -1 WHERE component = 'support_load'", .negativeWeight, "support_load"),
        ("UPDATE cs.scorecard_components SET weight = 0", .zeroTotalWeight, nil),
        ("UPDATE cs.scorecards SET red_below = 80, green_at = 60", .thresholdsOutOfOrder, nil),
        ("UPDATE cs.scorecard_components SET lookback_days = 0 WHERE component = 'usage_frequency'", .nonPositiveLookback, "usage_frequency"),
    ] as [(String, ScorecardError.Code, String?)])
    func badScorecardFailsBeforeWriting(breakIt: String, code: ScorecardError.Code, component: String?) async throws {
        try await TestDatabase.with { db in
            try await Fixtures.installHandScorecard(db.database)
            try await Self.handAccounts(db.database)
            try await db.database.execute(breakIt)
            let error = await #expect(throws: ScorecardError.self) {
                try await HealthScorer(database: db.database, logger: TestEnvironment.logger).score(ScoringOptions(asOf: Fixtures.asOf))
            }
            #expect(error?.code == code)
            #expect(error?.component == component)
            #expect(error?.description.contains("scorecard 'hand'") == true)
            let n = try await db.database.query("SELECT count(*) FROM cs.health_scores")
            #expect(try n[0].decode(Int.self, 0) == 0)
        }
    }

    @Test func onboardingScheduleMustMapMilestonesToDays() throws {
        func card(_ schedule: JSONValue?) -> Scorecard {
            Scorecard(name: "x", components: [ScorecardComponent(key: .onboarding, weight: 1, lookbackDays: 30, zeroAt: 0, fullAt: 1,
                                                                 params: schedule.map { ["schedule": $0] } ?? [:])],
                      redBelow: 40, greenAt: 70)
        }
        for bad in [nil, JSONValue.object([:]), .object(["first_booking": .string("soon")]), .object(["first_booking": .number(-1)])] {
            let e = #expect(throws: ScorecardError.self) { try card(bad).validate() }
            #expect(e?.code == .badParams && e?.component == "onboarding")
        }
        try card(.object(["first_booking": .number(60)])).validate()
    }

    @Test func defaultScorecardIsValidAndFoldsInChurnPrediction() async throws {
        try await TestDatabase.with { db in
            let card = try await ScorecardStore(database: db.database).load()
            #expect(card.name == "default" && card.components.count == ComponentKey.allCases.count)
            try card.validate()
            try await Fixtures.account(db.database, id: 7, tenureDays: 200)
            try await db.database.execute("INSERT INTO cs.churn_predictions (account_id, probability, predicted_at) VALUES (7, 0.8, $1::timestamptz - interval '2 days')",
                                          [Fixtures.asOf])
            let run = UUID()
            try await HealthScorer(database: db.database, logger: TestEnvironment.logger).score(ScoringOptions(runID: run, asOf: Fixtures.asOf))
            let r = try await db.database.query("""
                SELECT churn_probability, (components->'churn_risk'->>'score')::float8, (components->'churn_risk'->>'raw')::float8
                FROM cs.health_scores WHERE account_id = 7
                """)
            #expect(try r[0].decode(Double.self, 0) == 0.8)
            #expect(abs(try r[0].decode(Double.self, 1) - 20) < 0.01)
            #expect(try r[0].decode(Double.self, 2) == 0.8)
        }
    }
}
