// LearningBenchmark: times training and scoring on synthetic data; called by `cs-worker bench model`.
import Basics
import Learning

/// Wall-clock figures and test AUCs of one benchmark run.
public struct LearningBenchmarkResult: Sendable, Codable, Equatable {
    public let rows: Int
    public let features: Int
    public let lrSeconds: Double
    public let gbdtSeconds: Double
    /// Time to score all `rows` with the boosted model.
    public let predictSeconds: Double
    public let lrAUC: Double
    public let gbdtAUC: Double
}

/// Benchmark entry point: logistic regression and 100 boosted trees of depth 6 (no early stopping) on an 80/20 split.
public enum LearningBenchmark {
    public static func run(rows: Int = 100_000, features: Int = 30, seed: UInt64 = 7) throws(LearningError) -> LearningBenchmarkResult {
        let data = try SyntheticChurnData.make(rows: rows, features: features, seed: seed)
        let split = try StratifiedSplit.make(labels: data.labels, testFraction: 0.2, seed: seed)
        let train = try data.rows(split.train), test = try data.rows(split.test)
        let clock = ContinuousClock()

        var lrModel: LogisticRegressionModel? = nil
        var standardizer: Standardizer? = nil
        var lrError: LearningError? = nil
        let lrTime = clock.measure {
            do {
                let s = Standardizer.fit(train)
                standardizer = s
                lrModel = try LogisticRegression().fit(try s.transform(train))
            } catch let error as LearningError {
                lrError = error
            } catch {
                lrError = .numerical(context: "\(error)")
            }
        }
        if let lrError { throw lrError }

        var gbModel: GradientBoostingModel? = nil
        var gbError: LearningError? = nil
        let booster = GradientBoosting(maxIterations: 100, maxLeafNodes: nil, maxDepth: 6, earlyStopping: .off)
        let gbTime = clock.measure {
            do { gbModel = try booster.fit(train) } catch let error as LearningError { gbError = error } catch {
                gbError = .numerical(context: "\(error)")
            }
        }
        if let gbError { throw gbError }
        guard let lrModel, let standardizer, let gbModel else { throw .numerical(context: "benchmark produced no model") }

        var predictError: LearningError? = nil
        let predictTime = clock.measure {
            do { _ = try gbModel.predictProbability(data) } catch let error as LearningError { predictError = error } catch {
                predictError = .numerical(context: "\(error)")
            }
        }
        if let predictError { throw predictError }

        let lrAUC = try Metrics.rocAUC(labels: test.labels, scores: try lrModel.predictProbability(try standardizer.transform(test)))
        let gbAUC = try Metrics.rocAUC(labels: test.labels, scores: try gbModel.predictProbability(test))
        return LearningBenchmarkResult(rows: rows, features: features, lrSeconds: seconds(lrTime), gbdtSeconds: seconds(gbTime),
                                       predictSeconds: seconds(predictTime), lrAUC: lrAUC, gbdtAUC: gbAUC)
    }

    private static func seconds(_ d: Duration) -> Double {
        let c = d.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
