// MetricsTests: metric values checked against small hand-computed examples.
import Basics
import Foundation
import Learning
import Testing

@Suite struct MetricsTests {
    @Test func rocAUCWithoutAndWithTies() throws {
        #expect(try Metrics.rocAUC(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        // Pairs (pos, neg): (0.5, 0.5) tie = 0.5, the other three pairs are ordered correctly: 3.5 / 4.
        #expect(try Metrics.rocAUC(labels: [0, 1, 0, 1], scores: [0.5, 0.5, 0.2, 0.9]) == 0.875)
        // All scores tied: exactly 0.5.
        #expect(try Metrics.rocAUC(labels: [0, 1, 1, 0, 1], scores: [0.3, 0.3, 0.3, 0.3, 0.3]) == 0.5)
        #expect(try Metrics.rocAUC(labels: [1, 1], scores: [0.2, 0.3]).isNaN)
        #expect(throws: LearningError.self) { try Metrics.rocAUC(labels: [1, 0], scores: [0.2]) }
    }

    @Test func averagePrecisionMatchesScikitLearnDefinition() throws {
        // scikit-learn's documented example gives 0.8333...
        let ap = try Metrics.averagePrecision(labels: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        #expect(abs(ap - 5.0 / 6.0) < 1e-12)
        // Tied top scores form one threshold: P = 1/2 at R = 1/2, then P = 2/3 at R = 1.
        let tied = try Metrics.averagePrecision(labels: [1, 0, 1], scores: [0.5, 0.5, 0.2])
        #expect(abs(tied - (0.5 * 0.5 + 0.5 * 2.0 / 3.0)) < 1e-12)
    }

    @Test func brierAndLogLoss() throws {
        #expect(abs(try Metrics.brier(labels: [1, 0], scores: [0.8, 0.4]) - 0.1) < 1e-12)
        let expected = -(log(0.8) + log(0.6)) / 2
        #expect(abs(try Metrics.logLoss(labels: [1, 0], scores: [0.8, 0.4]) - expected) < 1e-12)
        #expect(try Metrics.logLoss(labels: [1], scores: [0]).isFinite)
    }

    @Test func thresholdMetrics() throws {
        let m = try Metrics.thresholdMetrics(labels: [1, 1, 0, 0, 1], scores: [0.9, 0.4, 0.6, 0.1, 0.5], threshold: 0.5)
        #expect(m.truePositives == 2 && m.falsePositives == 1 && m.trueNegatives == 1 && m.falseNegatives == 1)
        #expect(abs(m.accuracy - 0.6) < 1e-12)
        #expect(abs(m.precision - 2.0 / 3.0) < 1e-12)
        #expect(abs(m.recall - 2.0 / 3.0) < 1e-12)
        #expect(abs(m.f1 - 2.0 / 3.0) < 1e-12)
        let none = try Metrics.thresholdMetrics(labels: [1, 0], scores: [0.1, 0.2])
        #expect(none.precision == 0 && none.f1 == 0)
    }

    @Test func calibrationTable() throws {
        let table = try Metrics.calibration(labels: [0, 1, 0, 1, 1], scores: [0.05, 0.15, 0.12, 0.95, 1.0])
        #expect(table.count == 10)
        #expect(table[0].count == 1 && table[0].meanPredicted == 0.05 && table[0].observedRate == 0)
        #expect(table[1].count == 2 && abs((table[1].meanPredicted ?? 0) - 0.135) < 1e-12 && table[1].observedRate == 0.5)
        #expect(table[9].count == 2 && abs((table[9].meanPredicted ?? 0) - 0.975) < 1e-12 && table[9].observedRate == 1)
        #expect(table[5].count == 0 && table[5].meanPredicted == nil && table[5].observedRate == nil)
        #expect(table.reduce(0) { $0 + $1.count } == 5)
    }

    @Test func liftAndCaptureInTopDecile() throws {
        // 20 rows, scores decreasing with index; positives at 0, 1, 10, 15.
        let scores = (0..<20).map { 1 - Double($0) / 20 }
        var labels = [Double](repeating: 0, count: 20)
        for i in [0, 1, 10, 15] { labels[i] = 1 }
        let lift = try Metrics.lift(labels: labels, scores: scores)
        #expect(lift.rows == 2)
        #expect(lift.positiveRate == 1)
        #expect(abs(lift.lift - 5) < 1e-12)
        #expect(lift.captureRate == 0.5)
    }

    @Test func populationStabilityIndex() throws {
        let expected = (1...10).map(Double.init)
        #expect(try Metrics.psi(expected: expected, actual: expected, bins: 2) == 0)
        // Median edge 5.5: expected shares 0.5/0.5, actual shares 0.2/0.8.
        let actual: [Double] = [1, 2, 6, 7, 8, 9, 10, 10, 10, 10]
        let hand = (0.2 - 0.5) * log(0.2 / 0.5) + (0.8 - 0.5) * log(0.8 / 0.5)
        #expect(abs(try Metrics.psi(expected: expected, actual: actual, bins: 2) - hand) < 1e-12)
        // An empty bin uses epsilon instead of zero.
        let allLow = [Double](repeating: 1, count: 10)
        let eps = 1e-4
        let handEmpty = (1 - 0.5) * log(1 / 0.5) + (eps - 0.5) * log(eps / 0.5)
        #expect(abs(try Metrics.psi(expected: expected, actual: allLow, bins: 2, epsilon: eps) - handEmpty) < 1e-12)
        // Ten quantile bins of a shifted sample show drift; the same distribution does not.
        var rng = SplitMix64(seed: 3)
        let base = (0..<5000).map { _ in rng.nextGaussian() }
        let same = (0..<5000).map { _ in rng.nextGaussian() }
        let shifted = (0..<5000).map { _ in rng.nextGaussian() + 0.5 }
        #expect(try Metrics.psi(expected: base, actual: same) < 0.02)
        #expect(try Metrics.psi(expected: base, actual: shifted) > 0.2)
    }
}
