// ChurnPredictionTests: batch prediction writes one row per account with top factors, with the champion's id.
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

@Suite struct ChurnPredictionTests {
    @Test func predictWritesOnePredictionPerAccountWithTopFactors() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "history", rows: 2000)
            try await ModelFixtures.synthetic(db.database, table: "now_rows", rows: 700, seed: 0.7)
            try await db.database.execute("CREATE VIEW features_now AS SELECT account_id, a, b, noise, plan FROM now_rows")
            let predictor = ChurnPredictor(database: db.database, logger: TestEnvironment.logger, source: "features_now", batchSize: 250)

            // No champion: nothing is written, and that is not an error.
            #expect(try await predictor.predict().modelID == nil)

            let model = try await ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
                .train(ChurnTrainingRequest(source: "history", label: "churned", scoringSource: "features_now"))
            let run = try await predictor.predict()
            #expect(run.modelID == model.modelID && run.accounts == 700)
            let summary = try await db.database.query("""
                SELECT count(*)::int, count(DISTINCT account_id)::int, min(jsonb_array_length(top_factors)), max(jsonb_array_length(top_factors)),
                       bool_and(model_id = $1), min(probability) >= 0 AND max(probability) <= 1, count(DISTINCT predicted_at)::int
                FROM cs.churn_predictions
                """, [model.modelID])[0]
            #expect(try summary.decode(Int.self, 0) == 700)
            #expect(try summary.decode(Int.self, 1) == 700)
            #expect(try summary.decode(Int.self, 2) >= 1)
            #expect(try summary.decode(Int.self, 3) == 3)
            #expect(try summary.decode(Bool.self, 4))
            #expect(try summary.decode(Bool.self, 5))
            #expect(try summary.decode(Int.self, 6) == 1)
            // Factors name real features; the riskiest accounts have high `a`, which the model should blame.
            let top = try await db.database.query("""
                SELECT top_factors->0->>'name' FROM cs.churn_predictions ORDER BY probability DESC LIMIT 20
                """).map { try $0.decode(String.self, 0) }
            #expect(top.allSatisfy { ["a", "b", "noise", "plan"].contains($0) })
            #expect(top.filter { $0 == "a" || $0 == "b" }.count >= 15)

            // A subset run through the job kind.
            let registry = JobRegistry()
            ChurnJobs.register(in: registry, logger: TestEnvironment.logger)
            #expect(Set(registry.kinds).isSuperset(of: ["retrain_model", "predict_churn", "check_model_drift"]))
            let subset = try await predictor.predict(accountIDs: [1, 2, 3, 99_999])
            #expect(subset.accounts == 3)
            #expect(try await db.database.query("SELECT count(*)::int FROM cs.churn_predictions WHERE account_id = 1")[0].decode(Int.self, 0) == 2)

            // Scoring enqueues prediction runs; runs over all accounts share one pending job.
            let enqueuer = Enqueuer(database: db.database)
            let j1 = try await ChurnJobs.enqueuePrediction(enqueuer: enqueuer)
            let j2 = try await ChurnJobs.enqueuePrediction(enqueuer: enqueuer)
            #expect(j1 == j2)
        }
    }

    @Test func factorsJSONIsValidJSONForAwkwardNames() throws {
        let text = ChurnBatchScorer.factorsJSON([FeatureContribution(name: "plan=\"pro\"\\x\n", value: -0.25),
                                                 FeatureContribution(name: "a", value: 1e-7)])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(parsed.count == 2)
        #expect(parsed[0]["name"] as? String == "plan=\"pro\"\\x\n")
        #expect(parsed[0]["value"] as? Double == -0.25)
        #expect(parsed[1]["value"] as? Double == 1e-7)
    }
}
