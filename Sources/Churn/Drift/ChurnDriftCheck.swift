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
                                    predictedChurn: nil, realisedChurn: nil, drifted: false, reasons: [], action: .noChampion, retrainJobID: nil)
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
            let request = ChurnTrainingRequest(source: champion.record.source, label: champion.record.label, algorithm: champion.record.algorithm.registryName)
            jobID = try await Enqueuer(database: database).enqueue(request,
                                                                   options: JobOptions(maxAttempts: 3, uniqueKey: Self.retrainUniqueKey))
        }
        let result = ChurnDriftResult(modelID: id, liveRows: live.table.rowCount, psi: psi, maxPSI: worst?.value, maxPSIFeature: worst?.key,
                                      judgedPredictions: calibration?.judged ?? 0, predictedChurn: calibration?.predicted,
                                      realisedChurn: calibration?.realised, drifted: !reasons.isEmpty, reasons: reasons,
                                      action: reasons.isEmpty ? .none : .retrainEnqueued, retrainJobID: jobID)
        try await record(result)
        logger.notice("drift check", metadata: [
            "model_id": "\(id)", "max_psi": "\(worst.map { String(format: "%.3f", $0.value) } ?? "-")",
            "drifted": "\(result.drifted)", "retrain_job_id": "\(jobID.map(String.init) ?? "-")",
        ])
        return result
    }

    func horizonDays(_ id: Int64) async throws -> Int {
        try await database.first(ChurnStatements.HorizonDays(modelID: id)).flatMap { $0 } ?? 90
    }

    /// Latest prediction per account made between one horizon (+ window) and one horizon ago,
    /// against whether the account churned within the horizon after it. nil without an outcomes view.
    func realisedVersusPredicted(horizonDays: Int) async throws -> (judged: Int, predicted: Double, realised: Double)? {
        let out: ChurnSource
        do { out = try await ChurnSource.resolve(outcomes, on: database) } catch let e as ModelError where e.code == .invalidIdentifier {
            logger.info("drift check: no outcomes view; realised churn not compared", metadata: ["outcomes": "\(outcomes)"])
            return nil
        }
        let r = try await database.one(ChurnStatements.RealisedVersusPredicted(
            outcomes: out, accountColumn: try out.require("account_id").name, churnedAtColumn: try out.require("churned_at").name,
            horizonDays: horizonDays, windowDays: judgeWindowDays))
        guard r.judged > 0 else { return (0, 0, 0) }
        return (r.judged, r.predicted ?? 0, r.realised ?? 0)
    }

    func record(_ r: ChurnDriftResult) async throws {
        try await database.execute(ChurnStatements.RecordDriftCheck(result: r, psiJSON: try JSONText(encoding: r.psi)))
    }
}
