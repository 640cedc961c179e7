// ModelRegistryTests: training from an imported public dataset and the champion/challenger rule, on a real server.
import Foundation
import Learning
import PG
import Queue
import Churn
import Demo
import Health
import Interventions
import Success
import Testing
import TestSupport

/// Shared set-up for the churn-model suites.
enum ModelFixtures {
    static let fixtures = TestEnvironment.repoRoot.appendingPathComponent("Tests/LearningTests/Fixtures")

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(relative)))
    }

    /// A synthetic labelled table: churn depends on `a` and `b`; `noise` carries no signal. `shift` moves `a`
    /// (for drift); the label is always computed from the unshifted value.
    static func synthetic(_ db: Database, table: String, rows: Int, shift: Double = 0, seed: Double = 0.3) async throws {
        try await db.withConnection { c in
            try await c.execute("SELECT setseed($1)", [seed])
            try await c.executeScript("""
                CREATE TABLE \(table) AS
                SELECT g::bigint AS account_id, a + \(shift) AS a, b, noise, plan, (a + 0.8 * b + 0.6 * e > 1.3) AS churned
                FROM (SELECT g, random() AS a, random() AS b, random() AS noise, random() AS e,
                             (ARRAY['starter', 'pro', 'studio'])[1 + floor(random() * 3)::int] AS plan
                      FROM generate_series(1, \(rows)) g) s
                """)
        }
    }
}

@Suite struct ModelRegistryTests {
    @Test func trainsFromImportedPublicDatasetAndRegistersMetrics() async throws {
        try await TestDatabase.with { db in
            let imported = try await ChurnCSVImport.importCSV(bytes: try ModelFixtures.bytes("mlc_churn.csv"), table: "mlc_churn",
                                                              database: db.database, logger: TestEnvironment.logger)
            #expect(imported.rows == 5000)
            #expect(imported.columns.first { $0.name == "churn" }?.type == "text")
            #expect(imported.columns.first { $0.name == "total_day_minutes" }?.type == "double precision")

            let trainer = ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
            // A CSV import cannot score the production feature view: registered, not promoted.
            let outcome = try await trainer.train(ChurnTrainingRequest(source: "mlc_churn", label: "churn"))
            #expect(!outcome.decision.promoted)
            #expect(outcome.decision.reason.contains("cannot score production"), "\(outcome.decision.reason)")
            #expect(outcome.decision.reason.contains("is not in cs.account_features_current"))
            print("mlc_churn via SQL: gbdt hold-out AUC \(outcome.metrics.rocAuc ?? .nan)")
            #expect(outcome.trainRows == 4000 && outcome.testRows == 1000 && outcome.positives == 707)
            #expect((outcome.metrics.rocAuc ?? 0) > 0.88)
            // An operator who means it promotes it by hand.
            try await ModelRegistry(database: db.database).promote(outcome.modelID)
            let row = try await db.database.query("""
                SELECT status, (metrics->>'roc_auc')::float8, (metrics->>'pr_auc')::float8, jsonb_array_length(metrics->'calibration'),
                       (metrics->>'top_decile_lift')::float8, jsonb_array_length(feature_importance), source, label,
                       promotion->>'reason', (model ? 'gradientBoosting')
                FROM cs.models WHERE id = $1
                """, [outcome.modelID])[0]
            #expect(try row.decode(String.self, 0) == "champion")
            #expect(abs(try row.decode(Double.self, 1) - (outcome.metrics.rocAuc ?? 0)) < 1e-9)
            #expect(try row.decode(Double.self, 2) > 0.5)
            #expect(try row.decode(Int.self, 3) == 10)
            #expect(try row.decode(Double.self, 4) > 3)
            #expect(try row.decode(Int.self, 5) == 19)
            #expect(try row.decode(String.self, 6) == "public.mlc_churn")
            #expect(try row.decode(String.self, 8).contains("promoted by an operator"))
            #expect(try row.decode(Bool.self, 9))
            // The stored model decodes and scores like the trained one.
            let model = try await ModelRegistry(database: db.database).model(outcome.modelID)
            #expect(model.inputColumns.count == 19)
        }
    }

    @Test func worseCandidateIsNotPromotedMarginIsRespectedAndOneChampionExists() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "syn", rows: 3000)
            let trainer = ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
            let registry = ModelRegistry(database: db.database)

            // First model (noise only) becomes champion: there is nothing to beat.
            let weak = try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", features: ["noise"], algorithm: "logistic", scoringSource: "syn"))
            #expect(weak.decision.promoted && weak.decision.championID == nil)

            // A real model beats it on the same hold-out and replaces it.
            let strong = try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", features: ["a", "b", "plan"], scoringSource: "syn"))
            #expect(strong.decision.promoted)
            #expect(strong.decision.championID == weak.modelID)
            #expect(strong.decision.holdOutRows == strong.testRows)
            let championAUC = try #require(strong.decision.championAuc)
            #expect(championAUC < 0.6 && (strong.decision.candidateAuc ?? 0) > 0.8)

            // A worse candidate is registered but not promoted; the decision and both figures are recorded.
            let worse = try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", features: ["noise", "plan"], scoringSource: "syn"))
            #expect(!worse.decision.promoted)
            #expect(worse.decision.championID == strong.modelID)
            #expect(worse.decision.championAuc.map { abs($0 - (strong.metrics.rocAuc ?? 0)) < 1e-9 } == true)
            let stored = try await db.database.query(
                "SELECT status, (promotion->>'promoted')::bool, (promotion->>'champion_auc')::float8, promotion->>'reason' FROM cs.models WHERE id = $1",
                [worse.modelID])[0]
            #expect(try stored.decode(String.self, 0) == "candidate")
            #expect(try stored.decode(Bool.self, 1) == false)
            #expect(try stored.decodeIfPresent(Double.self, 2) != nil)

            // Better but not by the margin: not promoted.
            let lr = try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", features: ["a", "b", "plan"],
                                                                  algorithm: "logistic", margin: 0.2, scoringSource: "syn"))
            #expect(!lr.decision.promoted)
            #expect(lr.decision.reason.contains("margin"))

            #expect(try await db.database.query("SELECT count(*)::int FROM cs.models WHERE status = 'champion'")[0].decode(Int.self, 0) == 1)
            #expect(try await db.database.query("SELECT status FROM cs.models WHERE id = $1", [weak.modelID])[0].decode(String.self, 0) == "retired")
            #expect(try await registry.champion()?.record.id == strong.modelID)

            // Manual promotion is recorded as such and still leaves one champion.
            try await registry.promote(lr.modelID)
            #expect(try await registry.champion()?.record.id == lr.modelID)
            #expect(try await db.database.query("SELECT count(*)::int FROM cs.models WHERE status = 'champion'")[0].decode(Int.self, 0) == 1)
            #expect(try await db.database.query("SELECT (promotion->>'manual')::bool FROM cs.models WHERE id = $1", [lr.modelID])[0].decode(Bool.self, 0))
            // The server itself refuses a second champion.
            await #expect(throws: PGError.self) {
                try await db.database.execute("UPDATE cs.models SET status = 'champion' WHERE id = $1", [worse.modelID])
            }
        }
    }

    @Test func promotionRuleNeedsAGainAboveTheMargin() {
        let below = ModelPromotionDecision.decide(candidateAUC: 0.804, championID: 1, championAUC: 0.800, margin: 0.005, holdOutRows: 100)
        let above = ModelPromotionDecision.decide(candidateAUC: 0.806, championID: 1, championAUC: 0.800, margin: 0.005, holdOutRows: 100)
        let first = ModelPromotionDecision.decide(candidateAUC: 0.6, championID: nil, championAUC: nil, margin: 0.005, holdOutRows: 100)
        let unscorable = ModelPromotionDecision.decide(candidateAUC: 0.9, championID: 1, championAUC: nil, margin: 0.005, holdOutRows: 100,
                                                       championUnscorable: "missing column x")
        #expect(!below.promoted && above.promoted && first.promoted && !unscorable.promoted)
    }

    @Test func defaultSchedulesAreInstalledOnce() async throws {
        try await TestDatabase.with { db in
            try await ChurnJobs.installDefaultSchedules(database: db.database)
            try await ChurnJobs.installDefaultSchedules(database: db.database)
            let list = try await ScheduleStore(database: db.database).list()
            #expect(list.first { $0.name == "retrain_model_weekly" }?.cron == "0 3 * * 0")
            #expect(list.first { $0.name == "check_model_drift_daily" }?.cron == "0 4 * * *")
            #expect(list.count == 2)
        }
    }
}

@Suite struct ChurnModelSafetyTests {
    @Test func aTinyHoldOutIsNeverPromoted() {
        let two = ModelPromotionDecision.decide(candidateAUC: 1.0, championID: nil, championAUC: nil, margin: 0.005, holdOutRows: 2,
                                                holdOutPositives: 1)
        #expect(!two.promoted)
        #expect(two.reason.contains("hold-out too small"))
        let fewPositives = ModelPromotionDecision.decide(candidateAUC: 0.99, championID: nil, championAUC: nil, margin: 0.005,
                                                         holdOutRows: 400, holdOutPositives: 3)
        #expect(!fewPositives.promoted)
        let enough = ModelPromotionDecision.decide(candidateAUC: 0.8, championID: nil, championAUC: nil, margin: 0.005,
                                                   holdOutRows: 400, holdOutPositives: 40)
        #expect(enough.promoted)
    }

    @Test func identifiersAndPersonalDataAreNeverFeaturesAndContactsAreRefused() async throws {
        try await TestDatabase.with { db in
            try await db.database.withConnection { try await $0.executeScript("""
                CREATE TABLE public.telco AS
                SELECT 'C' || lpad(g::text, 5, '0') AS customerid,
                       'person' || g || '@example.com' AS email,
                       'Person ' || g AS full_name,
                       (ARRAY['basic', 'pro', 'studio'])[1 + g % 3] AS plan,
                       (g * 37 % 50)::double precision AS logins,
                       (g * 37 % 50) < 15 OR g % 11 = 0 AS churned
                FROM generate_series(1, 600) g
                """) }
            let trainer = ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
            let outcome = try await trainer.train(ChurnTrainingRequest(source: "telco", label: "churned", algorithm: "logistic"))
            #expect(Set(outcome.features) == ["plan", "logins"], "no customerID, email or name: \(outcome.features)")
            let stored = try await db.database.query("SELECT model::text FROM cs.models WHERE id = $1", [outcome.modelID])[0].decode(String.self, 0)
            #expect(!stored.contains("@example.com") && !stored.contains("Person 1"), "no personal values inside the model")
            let asked = await #expect(throws: ModelError.self) {
                try await trainer.train(ChurnTrainingRequest(source: "telco", label: "churned", features: ["logins", "email"]))
            }
            #expect(asked?.description.contains("personal data") == true)
            await #expect(throws: ModelError.self) {
                try await trainer.train(ChurnTrainingRequest(source: "telco", label: "churned", features: ["customerid"]))
            }
            let contacts = await #expect(throws: ModelError.self) {
                try await trainer.train(ChurnTrainingRequest(source: "cs.contacts", label: "churned"))
            }
            #expect(contacts?.description.contains("personal data") == true)

            // Promoted by a source that production cannot serve (say, told wrongly), the champion
            // is demoted by the first production prediction instead of failing every run.
            let hijack = try await trainer.train(ChurnTrainingRequest(source: "telco", label: "churned", algorithm: "logistic",
                                                                      scoringSource: "telco"))
            #expect(hijack.decision.promoted)
            await #expect(throws: ModelError.self) {
                _ = try await ChurnPredictor(database: db.database, logger: TestEnvironment.logger).predict()
            }
            let row = try await db.database.query("SELECT status, promotion->>'demoted_because' FROM cs.models WHERE id = $1",
                                                  [hijack.modelID])[0]
            #expect(try row.decode(String.self, 0) == "retired")
            #expect(try row.decode(String.self, 1).contains("cannot score cs.account_features_current"))
            #expect(try await ModelRegistry(database: db.database).champion() == nil, "no champion left to break scoring")
        }
    }
}
