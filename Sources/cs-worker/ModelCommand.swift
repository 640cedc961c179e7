// `cs-worker model …`: train, list, show, promote, import-csv, eval-csv, predict — thin wrappers over Churn.
import ArgumentParser
import Churn
import Foundation
import Learning
import PG
import Success

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Churn models: train, inspect, promote, import and evaluate data.",
                                                    subcommands: [Train.self, List.self, Show.self, Promote.self, ImportCSV.self,
                                                                  EvalCSV.self, Predict.self])

    static func withDatabase<T: Sendable>(_ global: GlobalOptions, _ body: (Database) async throws -> T) async throws -> T {
        do {
            return try await global.withDatabase(maxConnections: 2, body)
        } catch {
            throw CommandFailure(description: "\(error)")
        }
    }

    static func list(_ text: String?) -> [String]? {
        guard let text, !text.isEmpty else { return nil }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Train on a view or table, register the model, promote it if it beats the champion.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "View or table to train from (schema.name).") var from: String = "cs.account_features"
        @Option(help: "Label column (boolean, 0/1 or yes/no).") var label: String = "churned_within_horizon"
        @Option(help: "gbdt or logistic.") var algorithm: String = "gbdt"
        @Option(help: "Comma-separated feature columns (default: all usable non-id columns).") var features: String?
        @Option(help: "Comma-separated columns to leave out of the default features.") var drop: String?
        @Option(help: "Label value meaning churn, when not yes/true/1.") var positive: String?
        @Option(help: "AUC gain over the champion needed to promote.") var margin: Double = 0.005
        @Option(help: "Hold-out share.") var testFraction: Double = 0.2
        @Option(help: "Split and boosting seed.") var seed: UInt64 = 42
        @Flag(help: "Allow a source holding personal data (cs.contacts); its identifying columns are still never features.")
        var allowPersonalData = false

        func validate() throws {
            guard ChurnAlgorithm(registryName: algorithm) != nil else { throw ValidationError("--algorithm must be gbdt or logistic") }
        }

        func run() async throws {
            var request = ChurnTrainingRequest(source: from, label: label, features: ModelCommand.list(features), drop: ModelCommand.list(drop),
                                               algorithm: algorithm, margin: margin, testFraction: testFraction, seed: seed, positiveValue: positive)
            request.allowPersonalData = allowPersonalData
            let o = try await ModelCommand.withDatabase(global) { try await ChurnTrainer(database: $0, logger: global.logger()).train(request) }
            let m = o.metrics
            print("model \(o.modelID): \(o.algorithm.registryName) on \(o.source), \(o.features.count) features, train \(o.trainRows) test \(o.testRows), \(o.positives) positives")
            print(String(format: "hold-out: roc_auc %.4f  pr_auc %.4f  brier %.4f  top-decile lift %.2f  (fit %.2fs)",
                         m.rocAuc ?? .nan, m.prAuc ?? .nan, m.brier ?? .nan, m.topDecileLift ?? .nan, o.trainingSeconds))
            print("\(o.decision.promoted ? "promoted" : "not promoted"): \(o.decision.reason)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered models, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many.") var limit: Int = 20
        func run() async throws {
            let models = try await ModelCommand.withDatabase(global) { try await ModelRegistry(database: $0).list(limit: limit) }
            let f = ISO8601DateFormatter()
            print(TextTable(header: ["id", "status", "algorithm", "source", "label", "train", "test", "roc_auc", "trained_at"], rows: models.map { m in
                ["\(m.id)", m.status.rawValue, m.algorithm.registryName, m.source, m.label, "\(m.trainRows)", "\(m.testRows)",
                 m.rocAUC.map { String(format: "%.4f", $0) } ?? "-", f.string(from: m.trainedAt)]
            }).render())
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one model: metrics, importance, promotion decision.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws {
            let m = try await ModelCommand.withDatabase(global) { try await ModelRegistry(database: $0).record(id) }
            print("model \(m.id) (\(m.status.rawValue)): \(m.algorithm.registryName) on \(m.source), label \(m.label)")
            print("features: \(m.features.joined(separator: ", "))")
            print("rows: train \(m.trainRows) test \(m.testRows) positives \(m.positives)")
            print("window: \(m.trainingWindowJSON)")
            print("params: \(m.paramsJSON)")
            print("metrics: \(m.metricsJSON)")
            print("importance: \(m.featureImportanceJSON)")
            print("promotion: \(m.promotionJSON ?? "-")")
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a model the champion by hand (recorded as manual).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws {
            let old = try await ModelCommand.withDatabase(global) { try await ModelRegistry(database: $0).promote(id) }
            print("model \(id) is champion" + (old.map { $0 == id ? "" : " (retired \($0))" } ?? ""))
        }
    }

    struct ImportCSV: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import-csv", abstract: "Load a CSV into a NEW table (numeric → double precision, else text).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "CSV file with a header row.") var file: String
        @Option(help: "Table to create (schema.name or name).") var table: String
        func run() async throws {
            let bytes = try ModelCommand.read(file)
            let r = try await ModelCommand.withDatabase(global) {
                try await ChurnCSVImport.importCSV(bytes: bytes, table: table, database: $0, logger: global.logger())
            }
            print("imported \(r.rows) rows into \(r.table): " + r.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", "))
            if !r.renamed.isEmpty {
                print("column names were made SQL-safe (lower case, [a-z0-9_]; --label matches either case): "
                      + r.renamed.map { "\($0.header) → \($0.column)" }.joined(separator: ", "))
            }
        }
    }

    struct EvalCSV: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "eval-csv", abstract: "Train both algorithms on a CSV and report hold-out metrics (no database).")
        @Argument(help: "CSV file with a header row.") var file: String
        @Option(help: "Label column.") var label: String
        @Option(help: "Label value meaning churn (default: yes/true/1).") var positive: String?
        @Option(help: "Comma-separated columns that are not features.") var drop: String?
        @Option(help: "File of 0-based data-row indices to test on (default: stratified 80/20, seed 42).") var testRows: String?
        func run() async throws {
            let bytes = try ModelCommand.read(file)
            let rows = try testRows.map { try ChurnCSVEvaluation.parseRowIndices(String(decoding: try ModelCommand.read($0), as: UTF8.self)) }
            do {
                let (table, result) = try ChurnCSVEvaluation.run(csv: bytes, label: label, positiveValue: positive,
                                                                 drop: ModelCommand.list(drop) ?? [], testRows: rows)
                print(ChurnCSVEvaluation.report(table, result))
            } catch {
                throw CommandFailure(description: "\(error)")
            }
        }
    }

    struct Predict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Score accounts with the champion now (what the predict_churn job does).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "View with current features, one row per account.") var from: String = "cs.account_features_current"
        @Option(help: "Comma-separated account ids (default: all).") var accounts: String?
        func validate() throws {
            if let bad = ModelCommand.list(accounts)?.first(where: { Int64($0) == nil }) {
                throw ValidationError("--accounts takes account ids (whole numbers), not '\(bad)'")
            }
        }
        func run() async throws {
            let ids = ModelCommand.list(accounts)?.compactMap { Int64($0) }
            let r = try await ModelCommand.withDatabase(global) {
                try await ChurnPredictor(database: $0, logger: global.logger(), source: from).predict(accountIDs: ids)
            }
            print(r.modelID.map { "model \($0): \(r.accounts) accounts scored in \(String(format: "%.3f", r.inferenceSeconds))s" } ?? "no champion model")
        }
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(description: "cannot read \(path)") }
        return [UInt8](data)
    }
}
