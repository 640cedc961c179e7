// ChurnModelTests: the stored model wrapper: JSON round-trip, explanations, importance and CSV evaluation.
import Basics
import Foundation
import Learning
import Testing

@Suite struct ChurnModelTests {
    func sample() throws -> (RawTable, [Double]) {
        var rng = SplitMix64(seed: 21)
        var plan: [String?] = [], seats: [Double] = [], logins: [Double] = [], labels: [Double] = []
        for _ in 0..<1500 {
            let p = ["basic", "pro", "team", "enterprise"][rng.nextInt(below: 4)]
            let s = Double(1 + rng.nextInt(below: 50))
            let l = rng.nextUnit() < 0.05 ? Double.nan : rng.nextGaussian() * 10 + 20
            let logit = (p == "basic" ? 1.0 : -0.5) - 0.1 * ((l.isNaN ? 20 : l) - 20) - 0.02 * s
            plan.append(rng.nextUnit() < 0.02 ? nil : p)
            seats.append(s)
            logins.append(l)
            labels.append(rng.nextUnit() < 1 / (1 + exp(-logit)) ? 1 : 0)
        }
        let table = try RawTable(names: ["plan", "seats", "logins"],
                                 columns: [.categorical(plan), .numeric(seats), .numeric(logins)])
        return (table, labels)
    }

    @Test(arguments: ChurnAlgorithm.allCases)
    func jsonRoundTripGivesIdenticalPredictions(_ algorithm: ChurnAlgorithm) throws {
        let (table, labels) = try sample()
        let model = try ChurnModel.train(algorithm, table: table, labels: labels)
        let json = try JSONEncoder().encode(model)
        let decoded = try JSONDecoder().decode(ChurnModel.self, from: json)
        #expect(decoded.algorithm == algorithm)
        #expect(try decoded.predictProbability(table) == model.predictProbability(table))
        #expect(decoded == model)
    }

    @Test func logisticFactorsAreCoefficientTimesStandardisedValue() throws {
        let (table, labels) = try sample()
        let model = try ChurnModel.train(.logisticRegression, table: table, labels: labels)
        guard case .logisticRegression(let encoder, let standardizer, let lr) = model else {
            Issue.record("expected logistic model"); return
        }
        let factors = try model.topFactors(table, k: 100)
        let data = try standardizer.transform(try encoder.transform(table))
        let p = try model.predictProbability(table)
        for row in [0, 1, 2] {
            let logit = log(p[row] / (1 - p[row]))
            #expect(abs(lr.intercept + factors[row].reduce(0) { $0 + $1.value } - logit) < 1e-9)
            let seats = try #require(encoder.featureNames.firstIndex(of: "seats"))
            let expected = lr.coefficients[seats] * data[row: row, feature: seats]
            #expect(factors[row].first { $0.name == "seats" }?.value == expected)
        }
        let top = try model.topFactors(table, k: 2)
        #expect(top.allSatisfy { $0.count <= 2 })
        #expect(top[0].count < 2 || abs(top[0][0].value) >= abs(top[0][1].value))
    }

    @Test func boostingFactorsAndImportance() throws {
        let (table, labels) = try sample()
        let model = try ChurnModel.train(.gradientBoosting, table: table, labels: labels)
        let importance = model.featureImportance
        #expect(importance.count == 3)
        #expect(importance.first?.name == "logins" || importance.first?.name == "plan")
        #expect(zip(importance, importance.dropFirst()).allSatisfy { $0.value >= $1.value })
        let factors = try model.topFactors(table, k: 2)
        #expect(factors.count == table.rowCount)
        #expect(factors.allSatisfy { $0.count <= 2 })
    }

    @Test func csvEvaluationWithDefaultSplitAndPositiveDetection() throws {
        var lines = ["id,plan,usage,churn"]
        var rng = SplitMix64(seed: 8)
        for i in 0..<600 {
            let plan = ["a", "b", "c"][rng.nextInt(below: 3)]
            let usage = rng.nextGaussian()
            let churn = rng.nextUnit() < (plan == "a" ? 0.6 : 0.15) + (usage > 1 ? 0.2 : 0) ? "Yes" : "No"
            lines.append("\(i),\(plan),\(usage),\(churn)")
        }
        let table = try CSVTable(text: lines.joined(separator: "\n"))
        let labels = try CSVEvaluation.labels(table, labelColumn: "churn")
        #expect(labels.contains(1) && labels.contains(0))
        let result = try CSVEvaluation.run(table, labelColumn: "churn", dropColumns: ["id"])
        #expect(result.report.trainRows + result.report.testRows == 600)
        #expect(abs(Double(result.report.testRows) - 120) <= 1)
        #expect(result.report.logisticRegression.rocAUC > 0.65)
        #expect(result.report.gradientBoosting.rocAUC > 0.6)
        #expect(!result.logisticRegression.inputColumns.contains("id"))
        #expect(throws: LearningError.missingColumn("nope")) { try CSVEvaluation.run(table, labelColumn: "nope") }
        #expect(throws: LearningError.self) { try CSVEvaluation.run(table, labelColumn: "churn", testRows: [600]) }
    }

    @Test func stratifiedSplitKeepsClassShares() throws {
        let labels = (0..<1000).map { $0 % 10 == 0 ? 1.0 : 0.0 }
        let split = try StratifiedSplit.make(labels: labels, testFraction: 0.2, seed: 42)
        #expect(split.test.count == 200 && split.train.count == 800)
        #expect(split.test.filter { labels[$0] == 1 }.count == 20)
        #expect(Set(split.train).isDisjoint(with: split.test))
        #expect(Set(split.train + split.test).count == 1000)
        #expect(try StratifiedSplit.make(labels: labels, testFraction: 0.2, seed: 43) != split)
    }
}
