// GradientBoostingTests: boosted trees learn interactions and missing-value effects, deterministically.
import Basics
import Foundation
import Learning
import Testing

@Suite struct GradientBoostingTests {
    /// y = 1 when x0 and x1 have the same sign (XOR-like), plus two noise features.
    func xorData(rows: Int, seed: UInt64) throws -> Dataset {
        var rng = SplitMix64(seed: seed)
        var columns = [[Double]](repeating: [], count: 4)
        var labels: [Double] = []
        for _ in 0..<rows {
            let x = (0..<4).map { _ in rng.nextUnit() * 2 - 1 }
            for j in 0..<4 { columns[j].append(x[j]) }
            labels.append(x[0] * x[1] > 0 ? 1 : 0)
        }
        return try Dataset(featureNames: ["x0", "x1", "n0", "n1"], columns: columns, labels: labels)
    }

    @Test func learnsInteractionThatLogisticRegressionCannot() throws {
        let train = try xorData(rows: 3000, seed: 1), test = try xorData(rows: 1000, seed: 2)
        let gb = try GradientBoosting().fit(train)
        let gbAUC = try Metrics.rocAUC(labels: test.labels, scores: try gb.predictProbability(test))
        let scaler = Standardizer.fit(train)
        let lr = try LogisticRegression().fit(try scaler.transform(train))
        let lrAUC = try Metrics.rocAUC(labels: test.labels, scores: try lr.predictProbability(try scaler.transform(test)))
        #expect(gbAUC > 0.97)
        #expect(lrAUC < 0.6)
        // Gain importance puts the two informative features on top.
        let top = gb.featureGains.indices.sorted { gb.featureGains[$0] > gb.featureGains[$1] }.prefix(2)
        #expect(Set(top) == [0, 1])
    }

    @Test func learnsWhereMissingValuesGo() throws {
        // Missing x is a strong churn signal; present x carries a weak one.
        var rng = SplitMix64(seed: 5)
        var x: [Double] = [], labels: [Double] = []
        for _ in 0..<4000 {
            if rng.nextUnit() < 0.3 {
                x.append(.nan)
                labels.append(rng.nextUnit() < 0.9 ? 1 : 0)
            } else {
                let v = rng.nextGaussian()
                x.append(v)
                labels.append(rng.nextUnit() < (v > 0 ? 0.3 : 0.1) ? 1 : 0)
            }
        }
        let model = try GradientBoosting(maxIterations: 30).fit(try Dataset(featureNames: ["x"], columns: [x], labels: labels))
        let probe = try Dataset(featureNames: ["x"], columns: [[.nan, -1, 1]])
        let p = try model.predictProbability(probe)
        #expect(p[0] > 0.8)
        #expect(p[1] < 0.2 && p[2] > p[1])
    }

    @Test func categoricalSplitsGroupCategories() throws {
        // Codes 0 and 3 churn, 1 and 2 do not: one set split separates them, a threshold split cannot.
        var codes: [Double] = [], labels: [Double] = []
        var rng = SplitMix64(seed: 9)
        for i in 0..<2000 {
            let c = Double(i % 4)
            codes.append(c)
            labels.append(rng.nextUnit() < ((c == 0 || c == 3) ? 0.8 : 0.1) ? 1 : 0)
        }
        let data = try Dataset(featureNames: ["plan"], columns: [codes], labels: labels, categoricalMask: [true])
        let model = try GradientBoosting(maxIterations: 20, maxLeafNodes: 2).fit(data)
        let root = model.trees[0].nodes[0]
        #expect(root.isCategorical)
        #expect(Set(root.leftCategories) == [0, 3] || Set(root.leftCategories) == [1, 2])
        let p = try model.predictProbability(try Dataset(featureNames: ["plan"], columns: [[0, 1, 2, 3]], categoricalMask: [true]))
        #expect(p[0] > 0.6 && p[3] > 0.6 && p[1] < 0.3 && p[2] < 0.3)
    }

    @Test func sameSeedGivesSameModel() throws {
        let data = try SyntheticChurnData.make(rows: 12_000, features: 10, seed: 11)
        let settings = GradientBoosting(maxIterations: 40, earlyStopping: .on, seed: 3)
        let a = try settings.fit(data), b = try settings.fit(data)
        #expect(a == b)
        let serial = try GradientBoosting(maxIterations: 40, earlyStopping: .on, seed: 3, parallel: false).fit(data)
        #expect(serial == a)
        #expect(try StratifiedSplit.make(labels: data.labels, testFraction: 0.2, seed: 1)
            == StratifiedSplit.make(labels: data.labels, testFraction: 0.2, seed: 1))
    }

    @Test func earlyStoppingStopsBeforeTheLimit() throws {
        let data = try SyntheticChurnData.make(rows: 12_000, features: 10, seed: 4)
        let model = try GradientBoosting(learningRate: 0.5, maxIterations: 300, earlyStopping: .auto).fit(data)
        #expect(model.trees.count < 300)
        #expect(try GradientBoosting(maxIterations: 15, earlyStopping: .off).fit(data).trees.count == 15)
    }

    @Test func saabasContributionsAddUpToTheScore() throws {
        let data = try SyntheticChurnData.make(rows: 3000, features: 8, seed: 2)
        let model = try GradientBoosting(maxIterations: 25).fit(data)
        let raw = try model.rawPrediction(data)
        for row in [0, 17, 2999] {
            let (bias, parts) = try model.contributions(data, row: row)
            #expect(abs(bias + parts.reduce(0, +) - raw[row]) < 1e-9)
        }
    }

    @Test func rejectsBadInput() throws {
        let single = try Dataset(featureNames: ["x"], columns: [[1, 2, 3]], labels: [1, 1, 1])
        #expect(throws: LearningError.self) { try GradientBoosting().fit(single) }
        let data = try Dataset(featureNames: ["x"], columns: [[1, 2]], labels: [0, 1])
        #expect(throws: LearningError.self) { try GradientBoosting(maxBins: 300).fit(data) }
    }
}
