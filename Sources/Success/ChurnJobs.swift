// ChurnJobs: the churn-model job kinds (retrain_model, predict_churn, check_model_drift) and their default schedules.
import Foundation
import Churn
import Learning
import Logging
import PG
import Queue

/// Wiring of the churn model into the queue.
public enum ChurnJobs {
    /// Registers `retrain_model` (args: `ChurnTrainingRequest`), `predict_churn` (args: `ChurnPredictionArgs`)
    /// and `check_model_drift` (no args). Bad arguments (unknown view, column, algorithm) discard the job
    /// at once; database trouble is retried.
    public static func register(in registry: JobRegistry, logger: Logger) {
        registry.register(ChurnTrainingRequest.self, timeout: .seconds(3600)) { request, ctx in
            do {
                _ = try await ChurnTrainer(database: ctx.database, logger: ctx.logger).train(request)
            } catch let error as ModelError {
                throw PermanentJobError(error.description)
            }
        }
        registry.register(ChurnPredictionArgs.self, timeout: .seconds(1800)) { args, ctx in
            do {
                var predictor = ChurnPredictor(database: ctx.database, logger: ctx.logger)
                if let source = args.source { predictor.source = source }
                _ = try await predictor.predict(accountIDs: args.accountIds)
            } catch let error as ModelError {
                throw PermanentJobError(error.description)
            }
        }
        registry.register(CheckModelDrift.self, timeout: .seconds(1800)) { _, ctx in
            do {
                _ = try await ChurnDriftCheck(database: ctx.database, logger: ctx.logger).run()
            } catch let error as ModelError {
                throw PermanentJobError(error.description)
            }
        }
        logger.debug("registered churn-model jobs", metadata: ["kinds": "retrain_model,predict_churn,check_model_drift"])
    }

    /// Weekly retraining (Sunday 03:00 UTC) and a daily drift check (04:00 UTC), unless schedules
    /// with those names exist already (an operator's edits win).
    public static func installDefaultSchedules(database: Database) async throws {
        let store = ScheduleStore(database: database)
        try await store.addIfMissing(Schedule(name: "retrain_model_weekly", cron: "0 3 * * 0", kind: ChurnTrainingRequest.kind, argsJSON: "{}", maxAttempts: 3))
        try await store.addIfMissing(Schedule(name: "check_model_drift_daily", cron: "0 4 * * *", kind: CheckModelDrift.kind, argsJSON: "{}", maxAttempts: 3))
    }

    /// Enqueues a prediction run (for scoring to call after each run). A run over all accounts has a
    /// unique key, so back-to-back scoring runs share one pending prediction.
    @discardableResult
    public static func enqueuePrediction(enqueuer: Enqueuer, accountIDs: [Int64]? = nil) async throws -> Int64 {
        try await enqueuer.enqueue(ChurnPredictionArgs(accountIds: accountIDs), options: predictionOptions(accountIDs))
    }

    /// The same inside the caller's transaction (the job exists only if it commits).
    @discardableResult
    public static func enqueuePrediction(on connection: Connection, accountIDs: [Int64]? = nil) async throws -> Int64 {
        try await Enqueuer.enqueue(on: connection, ChurnPredictionArgs(accountIds: accountIDs), options: predictionOptions(accountIDs))
    }

    static func predictionOptions(_ ids: [Int64]?) -> JobOptions {
        JobOptions(maxAttempts: 5, uniqueKey: ids == nil ? "\(ChurnPredictionArgs.kind):all" : nil)
    }
}
