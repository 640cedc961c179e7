// ChurnCSVTests: eval-csv against scikit-learn's reference figures, messy real-world CSVs, and identifier validation.
import Foundation
import Learning
import PG
import Churn
import Demo
import Health
import Interventions
import Success
import Testing
import TestSupport

@Suite struct ChurnCSVTests {
    @Test func evalCSVMatchesTheReferenceOnTheFixedSplit() throws {
        let rows = try ChurnCSVEvaluation.parseRowIndices(String(decoding: try ModelFixtures.bytes("splits/mlc_churn/test_idx.txt"), as: UTF8.self))
        #expect(rows.count == 1000)
        let (table, result) = try ChurnCSVEvaluation.run(csv: try ModelFixtures.bytes("mlc_churn.csv"), label: "churn", positiveValue: "yes", testRows: rows)
        let r = result.report
        #expect(abs(r.gradientBoosting.rocAUC - 0.9196) <= 0.01)
        #expect(abs(r.logisticRegression.rocAUC - 0.8171) <= 0.005)
        let last = try #require(ChurnCSVEvaluation.report(table, result).split(separator: "\n").last)
        print(last)
        #expect(last.wholeMatch(of: /eval: rows=5000 lr_auc=0\.\d{4} gbdt_auc=0\.\d{4} lr_brier=0\.\d{4} gbdt_brier=0\.\d{4}/) != nil)
    }

    /// 300 rows with quoted commas and quotes, CRLF endings, blank cells and awkward header names.
    static func messyCSV() -> [UInt8] {
        var s = "Customer ID,\"Plan, billing\",Monthly Charges ($),logins 30d,logins 30d,NPS,Churned?\r\n"
        for i in 0..<300 {
            let logins = (i * 37) % 50
            let plan = ["\"Pro, annual\"", "\"Starter \"\"legacy\"\"\"", "studio", ""][i % 4]
            let nps = i % 7 == 0 ? "" : "\((i * 13) % 11)"
            let churned = logins < 12 || (i % 9 == 0) ? "Yes" : "No"
            s += "C-\(i),\(plan),\(Double(20 + i % 40) + 0.5),\(logins),\(logins / 2),\(nps),\(churned)\r\n"
        }
        return Array(s.utf8)
    }

    @Test func messyCSVImportsAndEvaluates() async throws {
        let bytes = Self.messyCSV()
        let (_, local) = try ChurnCSVEvaluation.run(csv: bytes, label: "Churned?", drop: ["Customer ID"])
        #expect(local.report.gradientBoosting.rocAUC > 0.8)
        try await TestDatabase.with { db in
            let r = try await ChurnCSVImport.importCSV(bytes: bytes, table: "public.messy", database: db.database, logger: TestEnvironment.logger)
            #expect(r.rows == 300)
            #expect(r.columns.map(\.name) == ["customer_id", "plan_billing", "monthly_charges", "logins_30d", "logins_30d_2", "nps", "churned"])
            #expect(r.columns.map(\.type) == ["text", "text", "double precision", "double precision", "double precision", "double precision", "text"])
            #expect(r.renamed.map(\.header) == ["Customer ID", "Plan, billing", "Monthly Charges ($)", "logins 30d", "logins 30d", "NPS", "Churned?"])
            #expect(r.renamed.last?.column == "churned", "the import says what each header became")
            let check = try await db.database.query("""
                SELECT count(*) FILTER (WHERE plan_billing IS NULL)::int, count(*) FILTER (WHERE nps IS NULL)::int,
                       count(*) FILTER (WHERE plan_billing = 'Pro, annual')::int, count(*) FILTER (WHERE plan_billing = 'Starter "legacy"')::int
                FROM messy
                """)[0]
            #expect(try check.decode(Int.self, 0) == 75 && check.decode(Int.self, 1) == 43)
            #expect(try check.decode(Int.self, 2) == 75 && check.decode(Int.self, 3) == 75)
            // And it trains from SQL, with the id-like column left out by default.
            let outcome = try await ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
                .train(ChurnTrainingRequest(source: "messy", label: "Churned", algorithm: "logistic"))
            let label = try await db.database.query("SELECT label FROM cs.models WHERE id = $1", [outcome.modelID])[0].decode(String.self, 0)
            #expect(label == "churned", "--label Churned matches the lower-cased column")
            #expect(!outcome.features.contains("customer_id") && outcome.features.contains("logins_30d"))
            #expect((outcome.metrics.rocAuc ?? 0) > 0.8)
        }
    }

    @Test func identifiersAreValidatedNotInterpolated() async throws {
        try await TestDatabase.with { db in
            try await ModelFixtures.synthetic(db.database, table: "syn", rows: 200)
            let trainer = ChurnTrainer(database: db.database, logger: TestEnvironment.logger)
            for bad in ["no_such_view", "syn; DROP TABLE cs.jobs", "public.syn\"; DROP TABLE cs.jobs; --", "a.b.c", "", "cs."] {
                await #expect(throws: ModelError.self) { try await ChurnSource.resolve(bad, on: db.database) }
                await #expect(throws: ModelError.self) { try await trainer.train(ChurnTrainingRequest(source: bad, label: "churned")) }
            }
            await #expect(throws: ModelError.self) {
                try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", features: ["a\" FROM cs.jobs; --"]))
            }
            await #expect(throws: ModelError.self) { try await trainer.train(ChurnTrainingRequest(source: "syn", label: "no_label")) }
            await #expect(throws: ModelError.self) { try await trainer.train(ChurnTrainingRequest(source: "syn", label: "churned", algorithm: "svm")) }
            // Import creates only new tables with plain names.
            let csv = Array("x,y\n1,yes\n2,no\n".utf8)
            for bad in ["syn", "bad-name", "x\"; DROP TABLE cs.jobs; --", "no_schema.t", "1abc"] {
                await #expect(throws: ModelError.self) {
                    try await ChurnCSVImport.importCSV(bytes: csv, table: bad, database: db.database, logger: TestEnvironment.logger)
                }
            }
            // Nothing was harmed, and a schema-qualified, quoted-at-use name works.
            #expect(try await db.database.query("SELECT count(*)::int FROM cs.jobs")[0].decode(Int.self, 0) == 0)
            let source = try await ChurnSource.resolve("public.syn", on: db.database)
            #expect(source.quotedName == "\"public\".\"syn\"" && source.column("plan")?.use == .categorical)
        }
    }
}
