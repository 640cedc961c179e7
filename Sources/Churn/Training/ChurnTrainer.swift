// ChurnTrainer: build the set, split, train off the pool, evaluate on the hold-out, register, promote if better.
import Basics
import Foundation
import Learning
import Logging
import PG

/// One training run end to end; used by the `retrain_model` job and `cs-worker model train`.
///
/// The database is only touched before (reading the set, the champion) and after (one short
/// registration transaction) the fit; the fit itself runs on a dedicated thread (`ModelCompute`)
/// with no connection or transaction held.
public struct ChurnTrainer: Sendable {
    public let database: Database
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public func train(_ request: ChurnTrainingRequest) async throws -> ChurnTrainingOutcome {
        let algorithm = try request.validated()
        let registry = ModelRegistry(database: database)
        let champion = try await registry.champion()
        let set = try await ChurnTrainingSet.load(from: database, source: request.source, label: request.label,
                                                  features: request.features, drop: request.drop ?? [],
                                                  extraColumns: champion?.model.inputColumns ?? [], positiveValue: request.positiveValue,
                                                  allowPersonalData: request.allowPersonalData)
        let n = set.labels.count, positives = set.positives
        guard positives > 0, positives < n else {
            throw ModelError(.insufficientData, "\(set.source.displayName).\(set.label) has one class (\(positives) positive of \(n))")
        }
        var log = logger
        log[metadataKey: "model.source"] = "\(set.source.displayName)"
        log[metadataKey: "model.algorithm"] = "\(algorithm.registryName)"
        log.info("training churn model", metadata: ["rows": "\(n)", "positives": "\(positives)", "features": "\(set.features.count)",
                                                    "unlabelled_rows": "\(set.unlabelledRows)"])
        let window = try await trainingWindow(set.source, horizonDays: request.horizonDays)
        let fit = try await ModelCompute.run("churn-train") {
            try Self.fit(set, algorithm: algorithm, request: request, champion: champion.map { ($0.record.id, $0.model) })
        }
        let decision = ModelPromotionDecision.decide(candidateAUC: fit.evaluation.rocAUC, championID: champion?.record.id,
                                                     championAUC: fit.championAUC, margin: request.margin,
                                                     holdOutRows: fit.testRows, holdOutPositives: Int(fit.testLabels.reduce(0, +)),
                                                     championUnscorable: fit.championUnscorable,
                                                     productionProblem: try await productionProblem(set, scoringSource: request.scoringSource))
        let metrics = ModelMetrics(fit.evaluation, testLabels: fit.testLabels, probabilities: fit.testProbabilities)
        let params = Params(algorithm: algorithm.registryName, testFraction: request.testFraction, seed: request.seed, margin: request.margin,
                            positiveValue: request.positiveValue, logistic: algorithm == .logisticRegression ? LogisticRegression() : nil,
                            boosting: algorithm == .gradientBoosting ? GradientBoosting(seed: request.seed) : nil)
        let registration = ModelRegistration(
            algorithm: algorithm, paramsJSON: try ModelJSON.figures(params), features: set.features, label: set.label,
            source: set.source.displayName, trainingWindowJSON: try ModelJSON.figures(window), trainRows: fit.trainRows,
            testRows: fit.testRows, positives: positives, metrics: metrics, featureImportance: fit.model.featureImportance,
            driftProfile: fit.profile, model: fit.model)
        let (id, final) = try await registry.register(registration, decision: decision)
        log.notice("churn model registered", metadata: [
            "model_id": "\(id)", "roc_auc": "\(metrics.rocAuc.map { String(format: "%.4f", $0) } ?? "nan")",
            "promoted": "\(final.promoted)", "reason": "\(final.reason)", "fit_s": "\(String(format: "%.2f", fit.seconds))",
        ])
        return ChurnTrainingOutcome(modelID: id, algorithm: algorithm, source: set.source.displayName, features: set.features,
                                    trainRows: fit.trainRows, testRows: fit.testRows, positives: positives, metrics: metrics,
                                    decision: final, trainingSeconds: fit.seconds)
    }

    /// Why a model trained on `set` could not score `scoringSource` (the view production
    /// predictions read): a feature missing there, or of another kind. Nil when it can.
    func productionProblem(_ set: ChurnTrainingSet, scoringSource: String) async throws -> String? {
        let production: ChurnSource
        do { production = try await ChurnSource.resolve(scoringSource, on: database) } catch let e as ModelError {
            return "\(e.description)"
        }
        var problems: [String] = []
        for name in set.features {
            guard let want = set.source.column(name) else { continue }
            guard let have = production.column(name) else { problems.append("\(name) is not in \(production.displayName)"); continue }
            if (want.use == .numeric) != (have.use == .numeric) { problems.append("\(name) is \(have.type) there, \(want.type) here") }
        }
        guard !problems.isEmpty else { return nil }
        let shown = problems.prefix(4).joined(separator: "; ")
        return problems.count > 4 ? "\(shown); and \(problems.count - 4) more" : shown
    }

    /// The CPU part: runs on the compute thread.
    static func fit(_ set: ChurnTrainingSet, algorithm: ChurnAlgorithm, request: ChurnTrainingRequest,
                    champion: (id: Int64, model: ChurnModel)?) throws -> Fit {
        do {
            let clock = ContinuousClock(), start = clock.now
            let split = try StratifiedSplit.make(labels: set.labels, testFraction: request.testFraction, seed: request.seed)
            guard !split.train.isEmpty, !split.test.isEmpty else { throw ModelError(.insufficientData, "too few rows to split") }
            let extra = Set(set.table.names).subtracting(set.features)
            let features = extra.isEmpty ? set.table : try set.table.dropping(extra)
            let train = try features.rows(split.train), test = try features.rows(split.test)
            let trainY = split.train.map { set.labels[$0] }, testY = split.test.map { set.labels[$0] }
            let model = try ChurnModel.train(algorithm, table: train, labels: trainY,
                                             boosting: GradientBoosting(seed: request.seed))
            let probabilities = try model.predictProbability(test)
            let evaluation = try ModelEvaluation.evaluate(labels: testY, probabilities: probabilities)
            var championAUC: Double?, unscorable: String?
            if let champion {
                let missing = champion.model.inputColumns.filter { set.table.index(of: $0) == nil }
                if !missing.isEmpty {
                    unscorable = "source lacks its columns \(missing.joined(separator: ", "))"
                } else {
                    do {
                        let scores = try champion.model.predictProbability(try set.table.rows(split.test))
                        championAUC = try Metrics.rocAUC(labels: testY, scores: scores)
                    } catch {
                        unscorable = "\(error)"
                    }
                }
            }
            let seconds = (clock.now - start).seconds
            return Fit(model: model, evaluation: evaluation, testLabels: testY, testProbabilities: probabilities,
                       trainRows: split.train.count, testRows: split.test.count, championAUC: championAUC, championUnscorable: unscorable,
                       profile: ModelDriftProfile.make(train, labels: trainY), seconds: seconds)
        } catch let error as LearningError {
            throw ModelError(.learning, "training on \(set.source.displayName): \(error)")
        }
    }

    /// The cut-off range when the source has a `cutoff` / `cutoff_date` column, and the horizon.
    func trainingWindow(_ source: ChurnSource, horizonDays: Int) async throws -> Window {
        guard let cutoff = source.columns.first(where: { ["cutoff", "cutoff_date", "cutoff_at"].contains($0.name) && $0.use == .temporal }) else {
            return Window(horizonDays: horizonDays, cutoffColumn: nil, cutoffMin: nil, cutoffMax: nil)
        }
        let range = try await database.one(ChurnStatements.CutoffRange(source: source, column: cutoff.name))
        return Window(horizonDays: horizonDays, cutoffColumn: cutoff.name, cutoffMin: range.min, cutoffMax: range.max)
    }

    struct Fit: Sendable {
        let model: ChurnModel
        let evaluation: ModelEvaluation
        let testLabels: [Double]
        let testProbabilities: [Double]
        let trainRows: Int
        let testRows: Int
        let championAUC: Double?
        let championUnscorable: String?
        let profile: ModelDriftProfile
        let seconds: Double
    }

    struct Window: Encodable {
        let horizonDays: Int
        let cutoffColumn: String?
        let cutoffMin: String?
        let cutoffMax: String?
    }

    struct Params: Encodable {
        let algorithm: String
        let testFraction: Double
        let seed: UInt64
        let margin: Double
        let positiveValue: String?
        let logistic: LogisticRegression?
        let boosting: GradientBoosting?
    }
}
