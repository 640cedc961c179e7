// ChurnPredictor: batch inference with the champion over a current-features view; one INSERT per batch.
import Basics
import Foundation
import Learning
import Logging
import PG

/// Scores accounts with the champion and writes `cs.churn_predictions` (probability, model id,
/// top-3 factors). Features are read once through a cursor; scoring runs on the compute thread;
/// rows are written with one multi-row `INSERT … SELECT FROM unnest(…)` per batch.
public struct ChurnPredictor: Sendable {
    public let database: Database
    public let logger: Logger
    /// The view (or table) holding current features, one row per active account.
    public var source: String
    /// Its account key column.
    public var keyColumn: String
    public var batchSize: Int

    /// The view production predictions read by default.
    public static let productionSource = "cs.account_features_current"

    public init(database: Database, logger: Logger, source: String = ChurnPredictor.productionSource,
                keyColumn: String = "account_id", batchSize: Int = 5_000) {
        self.database = database; self.logger = logger; self.source = source; self.keyColumn = keyColumn
        self.batchSize = max(1, batchSize)
    }

    /// Scores every row of the source, or only `accountIDs`.
    public func predict(accountIDs: [Int64]? = nil, at now: Date = Date()) async throws -> ChurnPredictionRun {
        guard let champion = try await ModelRegistry(database: database).champion() else {
            logger.notice("no champion churn model; nothing predicted")
            return ChurnPredictionRun(modelID: nil, accounts: 0, inferenceSeconds: 0)
        }
        let src = try await ChurnSource.resolve(source, on: database)
        let key = try src.require(keyColumn)
        let missing = champion.model.inputColumns.filter { src.column($0) == nil }
        if !missing.isEmpty {
            let reason = "cannot score \(src.displayName): missing \(missing.prefix(5).joined(separator: ", "))"
                + (missing.count > 5 ? " and \(missing.count - 5) more" : "")
            if source == Self.productionSource {
                // A champion that cannot score production would fail every run and block its own
                // replacement: take it out of service, loudly; the next retrain can take over.
                try await database.execute(ChurnStatements.DemoteChampion(modelID: champion.record.id, reason: reason))
                logger.error("churn champion demoted: it cannot score the production feature view",
                             metadata: ["model_id": "\(champion.record.id)", "reason": "\(reason)"])
            }
            throw ModelError(.unusableColumn, "model \(champion.record.id) \(reason)")
        }
        let columns = try champion.model.inputColumns.map { try src.require($0) }
        let reader = ChurnTableReader(source: src, features: columns, key: key, label: nil)
        let data = try await reader.read(on: database, onlyKeys: accountIDs)
        guard !data.keys.isEmpty else { return ChurnPredictionRun(modelID: champion.record.id, accounts: 0, inferenceSeconds: 0) }
        let model = champion.model
        let scored = try await ModelCompute.run("churn-predict") { () throws -> Scored in
            let clock = ContinuousClock(), start = clock.now
            do {
                let scores = try ChurnBatchScorer.score(model, data.table, topK: 3)
                let p = scores.probabilities
                let texts = scores.factors.map { JSONText(ChurnBatchScorer.factorsJSON($0)) }
                let d = clock.now - start
                return Scored(probabilities: p, factors: texts, seconds: d.seconds)
            } catch let error as LearningError {
                throw ModelError(.learning, "scoring \(src.displayName) with model \(champion.record.id): \(error)")
            }
        }
        var offset = 0
        while offset < data.keys.count {
            let end = min(offset + batchSize, data.keys.count)
            try await database.execute(ChurnStatements.InsertPredictions(
                accountIDs: Array(data.keys[offset..<end]), modelID: champion.record.id,
                probabilities: Array(scored.probabilities[offset..<end]), factors: Array(scored.factors[offset..<end]), predictedAt: now))
            offset = end
        }
        logger.notice("churn predictions written", metadata: [
            "model_id": "\(champion.record.id)", "accounts": "\(data.keys.count)",
            "inference_s": "\(String(format: "%.3f", scored.seconds))",
        ])
        return ChurnPredictionRun(modelID: champion.record.id, accounts: data.keys.count, inferenceSeconds: scored.seconds)
    }

    struct Scored: Sendable {
        let probabilities: [Double]
        let factors: [JSONText]
        let seconds: Double
    }
}
