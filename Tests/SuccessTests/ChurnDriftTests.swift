// ChurnDriftTests: PSI finds a shifted feature, miscalibration is noticed, and retraining is enqueued once.
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

@Suite struct ChurnDriftTests {
    @Test func psiMatchesTheLearningMetricAndGrowsWithShift() throws {
        let train = (0..<5000).map { Double(($0 * 7919) % 5000) / 5000 }
        let table = try RawTable(names: ["x"], columns: [.numeric(train)])
        let profile = ModelDriftProfile.make(table, labels: [])
        let feature = try #require(profile.features["x"])
        let same = (0..<3000).map { Double(($0 * 104_729) % 3000) / 3000 }
        let shifted = same.map { $0 + 0.3 }
        #expect(abs(ModelDriftProfile.psi(feature, live: same) - (try Metrics.psi(expected: train, actual: same))) < 1e-9)
        #expect(abs(ModelDriftProfile.psi(feature, live: shifted) - (try Metrics.psi(expected: train, actual: shifted))) < 1e-9)
        #expect(ModelDriftProfile.psi(feature, live: same) < 0.01)
        #expect(ModelDriftProfile.psi(feature, live: shifted) > 0.25)
    }

    @Test func shiftedFeatureIsDetectedAndRetrainIsEnqueuedOnce() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "history", rows: 2000)
            try await ModelFixtures.synthetic(db.database, table: "live_same", rows: 1000, seed: 0.6)
            try await ModelFixtures.synthetic(db.database, table: "live_shifted", rows: 1000, shift: 0.4, seed: 0.6)
            let model = try await ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
                .train(ChurnTrainingRequest(source: "history", label: "churned", scoringSource: "history"))

            var check = ChurnDriftCheck(database: db.database, logger: TestEnvironment.logger)
            check.source = "live_same"
            let calm = try await check.run()
            #expect(calm.modelID == model.modelID && calm.liveRows == 1000)
            #expect(!calm.drifted && calm.action == .none && (calm.maxPSI ?? 1) < 0.1)

            check.source = "live_shifted"
            let first = try await check.run()
            let second = try await check.run()
            #expect(first.drifted && first.maxPSIFeature == "a" && (first.psi["a"] ?? 0) > 0.25 && (first.psi["b"] ?? 1) < 0.1)
            #expect(first.action == .retrainEnqueued)
            #expect(first.retrainJobID != nil && first.retrainJobID == second.retrainJobID)
            let jobs = try await db.database.query(
                "SELECT count(*)::int, min(args->>'source'), min(args->>'label') FROM cs.jobs WHERE kind = 'retrain_model'")[0]
            #expect(try jobs.decode(Int.self, 0) == 1)
            #expect(try jobs.decode(String.self, 1) == "public.history")
            #expect(try jobs.decode(String.self, 2) == "churned")
            let checks = try await db.database.query(
                "SELECT count(*)::int, count(*) FILTER (WHERE drifted)::int, max(max_psi) FROM cs.model_drift_checks")[0]
            #expect(try checks.decode(Int.self, 0) == 3 && checks.decode(Int.self, 1) == 2)
        }
    }

    @Test func realisedChurnFarFromPredictedTriggersRetraining() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "history", rows: 1500)
            try await ModelFixtures.synthetic(db.database, table: "live_same", rows: 500, seed: 0.6)
            let model = try await ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
                .train(ChurnTrainingRequest(source: "history", label: "churned", scoringSource: "history"))
            // 200 accounts predicted at 10 % a hundred days ago; half of them churned 30 days later.
            try await db.database.execute("""
                INSERT INTO cs.churn_predictions (account_id, model_id, probability, predicted_at)
                SELECT g, $1, 0.1, now() - interval '100 days' FROM generate_series(1, 200) g
                """, [model.modelID])
            try await db.database.executeScript_("""
                CREATE TABLE outcomes AS
                SELECT g::bigint AS account_id, CASE WHEN g % 2 = 0 THEN now() - interval '70 days' END AS churned_at
                FROM generate_series(1, 200) g
                """)
            var check = ChurnDriftCheck(database: db.database, logger: TestEnvironment.logger)
            check.source = "live_same"
            check.outcomes = "outcomes"
            let result = try await check.run()
            #expect(result.judgedPredictions == 200)
            #expect(abs((result.predictedChurn ?? 0) - 0.1) < 1e-9 && abs((result.realisedChurn ?? 0) - 0.5) < 1e-9)
            #expect(result.drifted && result.action == .retrainEnqueued)
            #expect(result.reasons.contains { $0.contains("realised churn") })
        }
    }
}

extension Database {
    /// A DDL script on a pooled connection (test helper).
    func executeScript_(_ sql: String) async throws {
        try await withConnection { try await $0.executeScript(sql) }
    }
}
