// ModelJobsTests: the job kinds run through a real worker — retrain registers a champion, predict scores,
// and a retrain naming a missing view is discarded at once instead of retried.
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

@Suite struct ModelJobsTests {
    @Test func retrainAndPredictRunAsJobsAndBadSourcesAreDiscarded() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "history", rows: 1500)
            try await db.database.execute("CREATE VIEW live AS SELECT account_id, a, b, noise, plan FROM history")
            let registry = JobRegistry()
            ChurnJobs.register(in: registry, logger: TestEnvironment.logger)
            var cfg = WorkerConfiguration()
            cfg.queues = ["default"]
            cfg.pollInterval = .milliseconds(100)
            cfg.poolSize = 4
            let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
            let task = Task { try await worker.run() }
            await worker.waitUntilStarted()

            let enqueuer = Enqueuer(database: db.database)
            func state(_ id: Int64) async throws -> String {
                try await db.database.query("SELECT state::text FROM cs.jobs WHERE id = $1", [id])[0].decode(String.self, 0)
            }
            let retrain = try await enqueuer.enqueue(kind: "retrain_model", argsJSON: #"{"source": "history", "label": "churned", "algorithm": "logistic", "test_fraction": 0.25, "scoring_source": "history"}"#)
            try await eventually("retrain completed", timeout: .seconds(60)) { try await state(retrain) == "completed" }
            let model = try await db.database.query("SELECT id, status, test_rows, params->>'test_fraction' FROM cs.models")[0]
            #expect(try model.decode(String.self, 1) == "champion")
            #expect(abs(try model.decode(Int.self, 2) - 375) <= 2)
            #expect(try model.decode(String.self, 3) == "0.25")

            let predict = try await enqueuer.enqueue(kind: "predict_churn", argsJSON: #"{"account_ids": [1, 2, 3], "source": "live"}"#)
            try await eventually("predict completed", timeout: .seconds(30)) { try await state(predict) == "completed" }
            #expect(try await db.database.query("SELECT count(*)::int FROM cs.churn_predictions")[0].decode(Int.self, 0) == 3)
            // The default view does not exist in this database: discarded at once, not retried 20 times.
            let missing = try await enqueuer.enqueue(kind: "predict_churn", argsJSON: "{}")
            try await eventually("predict without a view discarded", timeout: .seconds(30)) { try await state(missing) == "discarded" }

            let bad = try await enqueuer.enqueue(kind: "retrain_model", argsJSON: #"{"source": "nope; DROP TABLE cs.models", "label": "churned"}"#)
            try await eventually("bad retrain discarded", timeout: .seconds(30)) { try await state(bad) == "discarded" }
            let attempts = try await db.database.query("SELECT attempt, errors->0->>'error' FROM cs.jobs WHERE id = $1", [bad])[0]
            #expect(try attempts.decode(Int.self, 0) == 1)
            #expect(try attempts.decode(String.self, 1).contains("no table or view"))
            worker.shutdown()
            try await task.value
        }
    }
}
