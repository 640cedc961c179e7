// Reports on a small hand-built world: eight accounts whose sign-ups, upgrades, downgrades,
// churns and reactivations are known, so every figure can be worked out by hand below.
import Basics
import Foundation
import PG
import Reports
import Testing
import TestSupport

/// The world (all amounts GBP MRR; A8 bills in EUR at 0.5 GBP per EUR):
///   A1 new 2025-06-10 at 100, expansion 2026-02-15 to 150
///   A2 new 2025-07-01 at 200, contraction 2026-01-20 to 150
///   A3 new 2025-08-05 at 100, churn 2026-02-10
///   A4 new 2025-09-01 at 50, churn 2026-03-05, back 2026-03-25 at 80 (churn and return in one month)
///   A5 new 2026-01-15 at 60
///   A6 new 2026-02-03 at 40, churn 2026-02-20 (joined and left within a month)
///   A7 new 2025-05-01 at 120, churn 2025-12-15, reactivation 2026-03-10 at 100
///   A8 new 2025-10-01 at 100 EUR (= 50 GBP), churn 2026-04-12
enum World {
    static func build(_ db: Database) async throws {
        try await db.withConnection { conn in
            try await conn.executeScript("""
                BEGIN;
                SET LOCAL cs.mrr_history = 'manual';
                INSERT INTO cs.currency_rates (currency, to_reporting) VALUES ('EUR', 0.5);
                INSERT INTO cs.accounts (id, name, plan, mrr, currency, signed_up_at, segment, region, status, churned_at, renewal_date) VALUES
                 (1, 'A1', 'pro', 150, 'GBP', '2025-06-10', 'venue', 'UK', 'active', NULL, NULL),
                 (2, 'A2', 'pro', 150, 'GBP', '2025-07-01', 'venue', 'UK', 'active', NULL, NULL),
                 (3, 'A3', 'starter', 100, 'GBP', '2025-08-05', 'florist', 'UK', 'churned', '2026-02-10', NULL),
                 (4, 'A4', 'starter', 80, 'GBP', '2025-09-01', 'florist', 'US', 'active', NULL, NULL),
                 (5, 'A5', 'starter', 60, 'GBP', '2026-01-15', 'florist', 'US', 'active', NULL, NULL),
                 (6, 'A6', 'starter', 40, 'GBP', '2026-02-03', 'venue', 'US', 'churned', '2026-02-20', NULL),
                 (7, 'A7', 'pro', 100, 'GBP', '2025-05-01', 'venue', 'UK', 'active', NULL, NULL),
                 (8, 'A8', 'pro', 100, 'EUR', '2025-10-01', 'planner', 'EU', 'churned', '2026-04-12', NULL);
                INSERT INTO cs.mrr_changes (account_id, effective_at, mrr_before, mrr_after, currency, kind) VALUES
                 (1, '2025-06-10', 0, 100, 'GBP', 'new'), (1, '2026-02-15', 100, 150, 'GBP', 'expansion'),
                 (2, '2025-07-01', 0, 200, 'GBP', 'new'), (2, '2026-01-20', 200, 150, 'GBP', 'contraction'),
                 (3, '2025-08-05', 0, 100, 'GBP', 'new'), (3, '2026-02-10', 100, 0, 'GBP', 'churn'),
                 (4, '2025-09-01', 0, 50, 'GBP', 'new'), (4, '2026-03-05', 50, 0, 'GBP', 'churn'), (4, '2026-03-25', 0, 80, 'GBP', 'reactivation'),
                 (5, '2026-01-15', 0, 60, 'GBP', 'new'),
                 (6, '2026-02-03', 0, 40, 'GBP', 'new'), (6, '2026-02-20', 40, 0, 'GBP', 'churn'),
                 (7, '2025-05-01', 0, 120, 'GBP', 'new'), (7, '2025-12-15', 120, 0, 'GBP', 'churn'), (7, '2026-03-10', 0, 100, 'GBP', 'reactivation'),
                 (8, '2025-10-01', 0, 100, 'EUR', 'new'), (8, '2026-04-12', 100, 0, 'EUR', 'churn');
                COMMIT;
                """)
        }
    }

    static func report(_ db: Database, _ kind: ReportKind, from: String, to: String, _ parameters: [String: JSONValue] = [:]) async throws -> ReportDocument {
        let request = try ReportRequest(kind: kind, period: try ReportPeriod(from: from, to: to), parameters: parameters)
        return try await ReportGenerator(database: db, logger: TestEnvironment.logger).compute(request).document
    }

    /// Row of `table` whose column `key` equals `value`, as a dictionary by column key.
    static func row(_ t: ReportDocument.Table?, _ key: String, _ value: String) throws -> [String: JSONValue] {
        let t = try #require(t)
        let c = try #require(t.column(key))
        let r = try #require(t.rows.first { $0[c].stringValue == value }, "no row \(key)=\(value) in \(t.name)")
        return Dictionary(uniqueKeysWithValues: zip(t.columns.map(\.key), r))
    }

    static func number(_ v: JSONValue?) -> Double? { v?.doubleValue }
}

/// Close enough for figures rounded to four places by SQL.
func near(_ a: Double?, _ b: Double, _ tolerance: Double = 0.00011) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance
}

@Suite struct RetentionReportTests {
    @Test func monthlyBridgeMatchesTheHandWorkedFigures() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let doc = try await World.report(db, .retention, from: "2026-01-01", to: "2026-07-01")
            let monthly = doc.table("monthly")

            // January. Start: A1 100, A2 200, A3 100, A4 50, A8 50 (100 EUR × 0.5) = 5 customers, 500.
            // A2 contracts by 50; A5 joins at 60. End: 6 customers, 510. Nobody left: logo churn 0.
            // GRR = NRR = (500 − 50) ÷ 500 = 0.9.
            let jan = try World.row(monthly, "month", "2026-01-01")
            #expect(World.number(jan["customers_start"]) == 5 && World.number(jan["new"]) == 1 && World.number(jan["churned"]) == 0)
            #expect(near(World.number(jan["mrr_start"]), 500) && near(World.number(jan["mrr_contraction"]), 50) && near(World.number(jan["mrr_new"]), 60))
            #expect(World.number(jan["logo_churn"]) == 0 && near(World.number(jan["grr"]), 0.9) && near(World.number(jan["nrr"]), 0.9))

            // February. Start 6, 510. A1 +50; A3 churns (100); A6 joins and leaves inside the month: in no flow.
            // Logo churn 1 ÷ 6 = 0.1667. Gross revenue churn 100 ÷ 510 = 0.1961; net (100 − 50) ÷ 510 = 0.0980.
            // GRR (510 − 100) ÷ 510 = 0.8039; NRR (510 + 50 − 100) ÷ 510 = 0.9020. End 5 customers, 460.
            let feb = try World.row(monthly, "month", "2026-02-01")
            #expect(World.number(feb["customers_start"]) == 6 && World.number(feb["new"]) == 0 && World.number(feb["churned"]) == 1)
            #expect(near(World.number(feb["logo_churn"]), 0.1667) && near(World.number(feb["gross_revenue_churn"]), 0.1961))
            #expect(near(World.number(feb["net_revenue_churn"]), 0.0980) && near(World.number(feb["grr"]), 0.8039) && near(World.number(feb["nrr"]), 0.9020))
            #expect(World.number(feb["customers_end"]) == 5 && near(World.number(feb["mrr_end"]), 460))

            // March. Start 5, 460. A4 churns and returns in the month, 50 → 80: expansion 30, not churn.
            // A7 reactivates at 100. Logo churn 0; NRR (460 + 30) ÷ 460 = 1.0652; GRR 1. End 6, 590.
            let mar = try World.row(monthly, "month", "2026-03-01")
            #expect(World.number(mar["churned"]) == 0 && World.number(mar["reactivated"]) == 1)
            #expect(near(World.number(mar["mrr_expansion"]), 30) && near(World.number(mar["mrr_reactivation"]), 100))
            #expect(near(World.number(mar["nrr"]), 1.0652) && near(World.number(mar["grr"]), 1))
            #expect(World.number(mar["customers_end"]) == 6 && near(World.number(mar["mrr_end"]), 590))

            // April. Start 6, 590. A8 churns (50 GBP). Logo churn 1 ÷ 6; GRR = NRR = 540 ÷ 590 = 0.9153.
            let apr = try World.row(monthly, "month", "2026-04-01")
            #expect(near(World.number(apr["logo_churn"]), 0.1667) && near(World.number(apr["nrr"]), 0.9153) && near(World.number(apr["mrr_churned"]), 50))

            // Trailing 12 months to 2026-07-01: the cohort at 2025-07-01 is A1 (100) and A7 (120)
            // (A2 signs up on 2025-07-01 itself, so it is not yet a customer before that instant).
            // At the end A1 is at 150 and A7, churned and back, at 100: NRR = 250 ÷ 220 = 1.1364;
            // GRR = (min(150, 100) + min(100, 120)) ÷ 220 = 200 ÷ 220 = 0.9091; logo churn 0.
            let headline = Dictionary(uniqueKeysWithValues: doc.headline.map { ($0.label, $0.value) })
            #expect(near(World.number(headline["NRR, trailing 12 months"]), 1.1364))
            #expect(near(World.number(headline["GRR, trailing 12 months"]), 0.9091))
            #expect(World.number(headline["Logo churn, trailing 12 months"]) == 0)
            #expect(near(World.number(headline["MRR at period end"]), 540, 0.001))
            #expect(doc.currency == "GBP")

            // By segment: venue's cohort at 2025-07-01 is A1 and A7, the same as the whole book.
            let venue = try World.row(doc.table("by_group")?.filtered("dimension", "segment"), "group", "venue")
            #expect(near(World.number(venue["nrr_12m"]), 1.1364))
        }
    }

    @Test func aMonthWithoutCustomersHasAbsentRatesNotAnError() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            // April 2025: nobody is a customer yet, so churn, GRR and NRR have nothing to divide by.
            let doc = try await World.report(db, .retention, from: "2025-04-01", to: "2025-05-01")
            let apr = try World.row(doc.table("monthly"), "month", "2025-04-01")
            #expect(World.number(apr["customers_start"]) == 0)
            #expect(apr["logo_churn"] == .null && apr["grr"] == .null && apr["nrr"] == .null)
            let html = try await ReportGenerator(database: db, logger: TestEnvironment.logger)
                .compute(try ReportRequest(kind: .retention, period: try ReportPeriod(period: "2025-04"))).html
            #expect(html.contains("absent"), "the page says why a figure is missing")
        }
    }

    @Test func mixedCurrenciesWithoutARateAreRefusedByName() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            try await db.execute("INSERT INTO cs.accounts (id, name, mrr, currency, signed_up_at) VALUES (9, 'A9', 5000, 'JPY', '2026-01-02')")
            do {
                _ = try await World.report(db, .retention, from: "2026-01-01", to: "2026-05-01")
                Issue.record("a report mixed JPY into GBP without a rate")
            } catch let e as PGError {
                #expect(e.sqlState == "22023" && e.message.contains("JPY") && e.isPermanent)
            }
        }
    }
}

@Suite struct CohortAndLTVReportTests {
    @Test func cohortCellsMatchTheWorld() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let doc = try await World.report(db, .cohorts, from: "2025-06-01", to: "2026-05-01")
            let matrix = try #require(doc.table("matrix"))
            func cell(_ cohort: String, _ k: Int) throws -> [String: JSONValue] {
                let c = try #require(matrix.column("cohort")), m = try #require(matrix.column("month"))
                let r = try #require(matrix.rows.first { $0[c].stringValue == cohort && World.number($0[m]) == Double(k) })
                return Dictionary(uniqueKeysWithValues: zip(matrix.columns.map(\.key), r))
            }
            // 2025-09 is A4 alone, 50 at sign-up: a customer at each month end through Feb 2026
            // (k = 0…5), gone on 5 March and back on 25 March at 80, so at the end of March
            // (k = 6) and April (k = 7): logo retention 1, revenue retention 80 ÷ 50 = 1.6.
            #expect(World.number(try cell("2025-09-01", 5)["revenue_retention"]) == 1)
            #expect(near(World.number(try cell("2025-09-01", 7)["revenue_retention"]), 1.6))
            #expect(World.number(try cell("2025-09-01", 7)["logo_retention"]) == 1)
            // 2026-02 is A6, gone within its sign-up month: 0 at k = 0.
            #expect(World.number(try cell("2026-02-01", 0)["logo_retention"]) == 0)
            // 2025-08 is A3, churned 10 Feb 2026: a customer at the end of Jan (k = 5: Aug is k = 0),
            // not at the end of Feb (k = 6).
            let jan = try cell("2025-08-01", 5), feb = try cell("2025-08-01", 6)
            #expect(World.number(jan["customers"]) == 1 && World.number(feb["customers"]) == 0)
            let sizes = try World.row(doc.table("cohorts"), "cohort", "2025-10-01")
            #expect(World.number(sizes["accounts"]) == 1 && near(World.number(sizes["mrr"]), 50), "A8's 100 EUR is 50 GBP")
        }
    }

    @Test func ltvUsesSixMonthChurnAndMargin() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let doc = try await World.report(db, .ltv, from: "2026-04-01", to: "2026-05-01", ["cac": .number(300)])
            // Six months Nov 2025 … Apr 2026, customers at each start: 6, 6, 5, 6, 5, 6 = 34
            // customer-months; churned: A7 (Dec), A3 (Feb), A8 (Apr) = 3 (A4 nets out in March).
            // Monthly churn 3 ÷ 34 = 0.088235. At the end: 5 customers, 540 MRR, ARPA 108.
            // LTV = 108 × 0.8 ÷ (3 ÷ 34) = 979.20; LTV:CAC = 979.20 ÷ 300 = 3.26.
            let all = try World.row(doc.table("ltv"), "dimension", "all")
            #expect(near(World.number(all["arpa"]), 108, 0.001) && near(World.number(all["monthly_churn"]), 0.088235, 0.000001))
            #expect(near(World.number(all["ltv"]), 979.20, 0.001) && near(World.number(all["ltv_cac"]), 3.26, 0.001))
        }
    }
}

@Suite struct InterventionReportTests {
    /// Rule red_band: 10 treated interventions resolved (2 churned, 5 recovered), 5 control
    /// resolved (3 churned, 1 recovered), 2 treated still open.
    static func seed(_ db: Database) async throws {
        try await World.build(db)
        try await db.execute("""
            INSERT INTO cs.interventions (account_id, rule, reason, channel, arm, created_at, outcome, outcome_at)
            SELECT 1 + (g % 7), 'red_band', 'test', 'cs-team-slack', arm, '2026-03-02'::timestamptz + g * interval '1 hour', outcome,
                   CASE WHEN outcome IS NOT NULL THEN '2026-03-02'::timestamptz + g * interval '1 hour' + interval '10 days' END
            FROM (VALUES (1, 'treated', 'churned'), (2, 'treated', 'churned'), (3, 'treated', 'recovered'), (4, 'treated', 'recovered'),
                         (5, 'treated', 'recovered'), (6, 'treated', 'recovered'), (7, 'treated', 'recovered'), (8, 'treated', 'no_change'),
                         (9, 'treated', 'no_change'), (10, 'treated', 'no_change'), (11, 'treated', NULL), (12, 'treated', NULL),
                         (13, 'control', 'churned'), (14, 'control', 'churned'), (15, 'control', 'churned'), (16, 'control', 'recovered'),
                         (17, 'control', 'no_change')) AS v (g, arm, outcome)
            """)
    }

    @Test func upliftIsControlMinusTreatedWithAWaldInterval() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await Self.seed(db)
            let doc = try await World.report(db, .interventions, from: "2026-03-01", to: "2026-04-01")
            let r = try World.row(doc.table("uplift"), "rule", "red_band")
            // Churn: treated 2 ÷ 10 = 0.2, control 3 ÷ 5 = 0.6, uplift 0.4.
            // SE = √(0.2 × 0.8 ÷ 10 + 0.6 × 0.4 ÷ 5) = √0.064 = 0.25298; ±1.96 SE = ±0.49585.
            #expect(World.number(r["treated"]) == 12 && World.number(r["control"]) == 5 && World.number(r["treated_resolved"]) == 10)
            #expect(near(World.number(r["churn_treated"]), 0.2) && near(World.number(r["churn_control"]), 0.6) && near(World.number(r["uplift"]), 0.4))
            #expect(near(World.number(r["uplift_low"]), -0.0958) && near(World.number(r["uplift_high"]), 0.8958))
            // Recovery: 5 ÷ 10 − 1 ÷ 5 = 0.3; median days to recover 10.
            #expect(near(World.number(r["recovery_uplift"]), 0.3) && near(World.number(r["median_days_to_recover"]), 10, 0.01))
        }
    }

    @Test func roiCreditsOnlyTheUpliftOverTheHorizon() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await Self.seed(db)
            let doc = try await World.report(db, .roi, from: "2026-03-01", to: "2026-04-01",
                                             ["cost_per_intervention": .number(25), "horizon_months": .number(12)])
            // Treated rows g = 1…12 are on accounts 1 + (g mod 7): 2,3,4,5,6,7,1,2,3,4,5,6, current MRR
            // 150,100,80,60,40,100,150,150,100,80,60,40 (A3 and A6 churned keep their last MRR) = 1,110.
            // Value = 0.4 × 1,110 × 12 = 5,328. Cost = 12 × 25 = 300. ROI = (5,328 − 300) ÷ 300 = 16.76.
            let r = try World.row(doc.table("roi"), "rule", "red_band")
            #expect(near(World.number(r["treated_mrr"]), 1110, 0.001) && near(World.number(r["value"]), 5328, 0.01))
            #expect(near(World.number(r["cost"]), 300, 0.001) && near(World.number(r["roi"]), 16.76, 0.0001))
            #expect(doc.definitions.contains { $0.contains("uplift × MRR of its treated accounts × 12 months") })
        }
    }
}

@Suite struct MRRHistoryTests {
    @Test func accountUpdatesWriteTheirHistory() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            // The host application only touches cs.accounts.
            try await db.execute("INSERT INTO cs.accounts (id, name, mrr, signed_up_at) VALUES (1, 'Hall', 59, '2026-01-10')")
            try await db.execute("UPDATE cs.accounts SET mrr = 119 WHERE id = 1")
            try await db.execute("UPDATE cs.accounts SET mrr = 29, plan = 'starter' WHERE id = 1")
            try await db.execute("UPDATE cs.accounts SET name = 'Renamed Hall' WHERE id = 1")       // not a movement
            try await db.execute("UPDATE cs.accounts SET status = 'churned', churned_at = '2026-06-01' WHERE id = 1")
            try await db.execute("UPDATE cs.accounts SET mrr = 0 WHERE id = 1")                       // a churned account's MRR is not recurring
            try await db.execute("UPDATE cs.accounts SET status = 'active', churned_at = NULL, mrr = 59 WHERE id = 1")
            let rows = try await db.query("SELECT kind, mrr_before::float8, mrr_after::float8, source FROM cs.mrr_changes WHERE account_id = 1 ORDER BY id")
            let got = try rows.map { "\(try $0.decode(String.self, 0)) \(Int(try $0.decode(Double.self, 1)))→\(Int(try $0.decode(Double.self, 2)))" }
            #expect(got == ["new 0→59", "expansion 59→119", "contraction 119→29", "churn 29→0", "reactivation 0→59"])
            #expect(try rows.allSatisfy { try $0.decode(String.self, 3) == "trigger" })
            let churn = try await db.query("SELECT effective_at = '2026-06-01'::timestamptz FROM cs.mrr_changes WHERE account_id = 1 AND kind = 'churn'")
            #expect(try churn[0].decode(Bool.self, 0), "a churn takes effect at churned_at")
            // A back-fill names its own history: the trigger stands aside, and the rows are checked.
            do {
                try await db.execute("INSERT INTO cs.mrr_changes (account_id, effective_at, mrr_before, mrr_after, currency, kind) VALUES (1, now(), 59, 29, 'GBP', 'expansion')")
                Issue.record("an 'expansion' that lowers MRR was accepted")
            } catch let e as PGError {
                #expect(e.sqlState == "23514")
            }
        }
    }
}

@Suite struct ModelReportTests {
    @Test func judgedPredictionsGiveTheHandComputedAUCAndBrier() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let model = try await db.query("""
                INSERT INTO cs.models (algorithm, label, source, train_rows, test_rows, positives, model, status, metrics)
                VALUES ('logistic', 'churned', 'cs.account_features', 100, 50, 10, '{}', 'champion', '{"roc_auc": 0.81}') RETURNING id
                """)[0].decode(Int64.self, 0)
            // Made on 5 Jan 2026; churned within 90 days (by 5 Apr): A3 (10 Feb) and A4 (5 Mar). A8 churns on
            // 12 Apr, too late. Ranked: A3 0.70 (y1), A8 0.65 (y0), A4 0.60 (y1), A2 0.40, A1 0.20, A5 0.10.
            // ROC AUC: positives above negatives in 4 + 3 of 2 × 4 pairs = 7/8 = 0.875.
            // Average precision: (1/1 + 2/3) ÷ 2 = 0.8333. Brier: (0.09 + 0.4225 + 0.16 + 0.16 + 0.04 + 0.01) ÷ 6 = 0.1471.
            try await db.execute("""
                INSERT INTO cs.churn_predictions (account_id, model_id, probability, predicted_at)
                SELECT a, $1, p, '2026-01-05' FROM (VALUES (3, 0.70), (8, 0.65), (4, 0.60), (2, 0.40), (1, 0.20), (5, 0.10)) AS v (a, p)
                """, [model])
            let doc = try await World.report(db, .model, from: "2026-04-01", to: "2026-05-01")
            let row = try World.row(doc.table("models"), "status", "champion")
            #expect(World.number(row["judged"]) == 6 && World.number(row["positives"]) == 2)
            #expect(near(World.number(row["roc_auc"]), 0.875) && near(World.number(row["pr_auc"]), 0.8333) && near(World.number(row["brier"]), 0.1471))
            #expect(World.number(row["holdout_auc"]) == 0.81)
            #expect(doc.notes.isEmpty)
            // Nothing old enough to judge: the report says so instead of showing zeros.
            let early = try await World.report(db, .model, from: "2026-01-01", to: "2026-02-01")
            #expect(early.notes.first?.contains("No prediction is old enough") == true)
        }
    }
}

@Suite struct ReplicaTests {
    /// A read-only login stands in for a hot standby: the report functions only read.
    @Test func reportsComputeOnAReadOnlySessionAndStoreOnThePrimary() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let role = "ro_" + tdb.name
            try await db.execute("CREATE ROLE \(role) LOGIN")
            try await db.execute("ALTER ROLE \(role) SET default_transaction_read_only = on")
            try await db.execute("GRANT USAGE ON SCHEMA cs TO \(role)")
            try await db.execute("GRANT SELECT ON ALL TABLES IN SCHEMA cs TO \(role)")
            // Functions are revoked from PUBLIC (sql/0016_roles.sql): a reporting login gets them by grant.
            try await db.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA cs TO \(role)")
            guard var parts = URLComponents(string: tdb.url) else { return }
            parts.user = role
            parts.password = nil
            let replica = Database(url: parts.string ?? tdb.url, maxConnections: 1, logger: TestEnvironment.logger)
            let generator = ReportGenerator(reader: replica, writer: db, logger: TestEnvironment.logger)
            let r = try await generator.generate(try ReportRequest(kind: .retention, period: try ReportPeriod(period: "2026-03")))
            #expect(r.document.table("monthly")?.rows.isEmpty == false)
            await replica.close()
            #expect(try await db.query("SELECT count(*) FROM cs.reports")[0].decode(Int.self, 0) == 1)
            try await db.execute("DROP OWNED BY \(role)")
            try await db.execute("DROP ROLE \(role)")
        }
    }
}
