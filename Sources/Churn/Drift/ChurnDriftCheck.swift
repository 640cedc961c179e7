// ChurnDriftCheck: compares live features and realised churn with the champion's training data; enqueues retraining past a threshold.
import Foundation
import Learning
import Logging
import PG
import Queue

/// The `check_model_drift` job's logic.
///
/// Two signals: (1) the PSI of each numeric input feature between the champion's training
/// profile (decile bins stored at training time) and the current features view; (2) for
/// predictions made at least one horizon ago (within `judgeWindowDays` before that), the mean
/// predicted probability against the share of those accounts that actually churned within the
/// horizon (from an outcomes view with `account_id`, `churned_at`). Past either threshold,
/// `retrain_model` is enqueued with a unique key, so repeated checks do not pile up retrains.
public struct ChurnDriftCheck: Sendable {
    public let database: Database
    public let logger: Logger
    public var source: String = "cs.account_features_current"
    public var outcomes: String = "cs.account_churn_outcomes"
    public var psiThreshold: Double = 0.25
    public var calibrationThreshold: Double = 0.1
    /// Fewer judged predictions than this are too few to compare rates.
    public var minimumJudged: Int = 50
    public var judgeWindowDays: Int = 30

    /// The unique key of retrains enqueued by drift.
    public static let retrainUniqueKey = "retrain_model:drift"

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func run() async throws -> ChurnDriftResult {
        let registry = ModelRegistry(database: database)
        guard let champion = try await registry.champion() else {
            logger.notice("drift check: no champion model")
            return ChurnDriftResult(modelID: nil, liveRows: 0, psi: [:], maxPSI: nil, maxPSIFeature: nil, judgedPredictions: 0,
                                    predictedChurn: nil, realisedChurn: nil, drifted: false, reasons: [], action: "no_champion", retrainJobID: nil)
        }
        let id = champion.record.id
        let profile = try await registry.driftProfile(id)
        let src = try await ChurnSource.resolve(source, on: database)
        let numeric = profile.features.keys.sorted().compactMap { src.column($0) }.filter { $0.use != .categorical }
        let live = try await ChurnTableReader(source: src, features: numeric, key: nil, label: nil).read(on: database)
        var psi: [String: Double] = [:]
        for (name, column) in zip(live.table.names, live.table.columns) {
            guard let feature = profile.features[name], case .numeric(let values) = column, !values.isEmpty else { continue }
            psi[name] = ModelDriftProfile.psi(feature, live: values)
        }
        let worst = psi.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }
        let horizon = try await horizonDays(id)
        let calibration = try await realisedVersusPredicted(horizonDays: horizon)

        var reasons: [String] = []
        if let worst, worst.value > psiThreshold {
            reasons.append(String(format: "PSI of %@ is %.3f > %.2f", worst.key, worst.value, psiThreshold))
        }
        if let c = calibration, c.judged >= minimumJudged, abs(c.realised - c.predicted) > calibrationThreshold {
            reasons.append(String(format: "realised churn %.3f vs predicted %.3f over %d accounts", c.realised, c.predicted, c.judged))
        }
        var jobID: Int64?
        if !reasons.isEmpty {
            let request = ChurnTrainingRequest(source: champion.record.source, label: champion.record.label, algorithm: champion.record.algorithm)
            jobID = try await Enqueuer(database: database).enqueue(request,
                                                                   options: JobOptions(maxAttempts: 3, uniqueKey: Self.retrainUniqueKey))
        }
        let result = ChurnDriftResult(modelID: id, liveRows: live.table.rowCount, psi: psi, maxPSI: worst?.value, maxPSIFeature: worst?.key,
                                      judgedPredictions: calibration?.judged ?? 0, predictedChurn: calibration?.predicted,
                                      realisedChurn: calibration?.realised, drifted: !reasons.isEmpty, reasons: reasons,
                                      action: reasons.isEmpty ? "none" : "retrain_enqueued", retrainJobID: jobID)
        try await record(result)
        logger.notice("drift check", metadata: [
            "model_id": "\(id)", "max_psi": "\(worst.map { String(format: "%.3f", $0.value) } ?? "-")",
            "drifted": "\(result.drifted)", "retrain_job_id": "\(jobID.map(String.init) ?? "-")",
        ])
        return result
    }

    func horizonDays(_ id: Int64) async throws -> Int {
        let row = try await database.query("SELECT (training_window->>'horizon_days')::int FROM cs.models WHERE id = $1", [id]).first
        return try row?.decodeIfPresent(Int.self, 0) ?? 90
    }

    /// Latest prediction per account made between one horizon (+ window) and one horizon ago,
    /// against whether the account churned within the horizon after it. nil without an outcomes view.
    func realisedVersusPredicted(horizonDays: Int) async throws -> (judged: Int, predicted: Double, realised: Double)? {
        let out: ChurnSource
        do { out = try await ChurnSource.resolve(outcomes, on: database) } catch let e as ModelError where e.code == .invalidIdentifier {
            logger.info("drift check: no outcomes view; realised churn not compared", metadata: ["outcomes": "\(outcomes)"])
            return nil
        }
        let account = DatabaseURL.quoteIdentifier(try out.require("account_id").name)
        let churnedAt = DatabaseURL.quoteIdentifier(try out.require("churned_at").name)
        let row = try await database.query("""
            WITH p AS (
                SELECT DISTINCT ON (account_id) account_id, probability, predicted_at
                FROM cs.churn_predictions
                WHERE predicted_at <= now() - make_interval(days => $1)
                  AND predicted_at > now() - make_interval(days => $1 + $2)
                ORDER BY account_id, predicted_at DESC)
            SELECT count(*)::int, avg(p.probability),
                   avg(CASE WHEN o.\(churnedAt) > p.predicted_at AND o.\(churnedAt) <= p.predicted_at + make_interval(days => $1)
                            THEN 1.0 ELSE 0.0 END)::float8
            FROM p LEFT JOIN \(out.quotedName) o ON o.\(account) = p.account_id
            """, [horizonDays, judgeWindowDays])[0]
        let judged = try row.decode(Int.self, 0)
        guard judged > 0 else { return (0, 0, 0) }
        return (judged, try row.decode(Double.self, 1), try row.decode(Double.self, 2))
    }

    func record(_ r: ChurnDriftResult) async throws {
        try await database.execute("""
            INSERT INTO cs.model_drift_checks (model_id, live_rows, psi, max_psi, max_psi_feature, judged_predictions,
                                               predicted_churn, realised_churn, drifted, reasons, action, retrain_job_id)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12)
            """, [r.modelID, r.liveRows, try JSONText(encoding: r.psi), r.maxPSI, r.maxPSIFeature, r.judgedPredictions,
                  r.predictedChurn, r.realisedChurn, r.drifted, r.reasons, r.action, r.retrainJobID])
    }
}
