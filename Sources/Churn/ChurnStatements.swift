// ChurnStatements: every statement of the churn model's life, one type each. Tables are
// defined in sql/0004_models.sql; the features view in sql/0005_features.sql. Statements
// over a user-named relation take a `ChurnSource`, whose names come from pg_catalog and
// are quoted here: no identifier from input reaches SQL any other way.
import Foundation
import Learning
import PG

enum ChurnStatements {
    // MARK: - Registry

    /// Serialises promotions (automatic and manual), so "one champion" holds across workers.
    struct PromotionLock: Statement {
        static let key: Int64 = 7_310_420_117_004
        var sql: String { "SELECT pg_advisory_xact_lock($1)" }
        var bindings: [any SQLParameter] { [Self.key] }
    }

    struct ChampionID: Statement {
        var sql: String { "SELECT id FROM cs.models WHERE status = 'champion'" }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    struct HasChampion: Statement {
        var sql: String { "SELECT EXISTS (SELECT 1 FROM cs.models WHERE status = 'champion')" }
        func decode(_ row: Row) throws -> Bool { try row.decode(Bool.self, 0) }
    }

    /// The stored model (`model`) or training profile (`drift_profile`) of one model, as JSON text.
    struct StoredJSON: Statement {
        enum Column: Sendable { case model, driftProfile }
        var column: Column
        var modelID: Int64
        var sql: String {
            switch column {
            case .model: return "SELECT model::text FROM cs.models WHERE id = $1"
            case .driftProfile: return "SELECT drift_profile::text FROM cs.models WHERE id = $1"
            }
        }
        var bindings: [any SQLParameter] { [modelID] }
        func decode(_ row: Row) throws -> String { try row.decode(String.self, 0) }
    }

    struct ModelStatusOf: Statement {
        var modelID: Int64
        var sql: String { "SELECT status FROM cs.models WHERE id = $1" }
        var bindings: [any SQLParameter] { [modelID] }
        func decode(_ row: Row) throws -> ModelStatus {
            let text = try row.decode(String.self, 0)
            guard let status = ModelStatus(rawValue: text) else { throw PGError(.decoding, "unknown model status '\(text)'", query: sql) }
            return status
        }
    }

    /// A candidate, with its figures and the decision taken on it; returns its id.
    struct InsertCandidate: Statement {
        var registration: ModelRegistration
        var metricsJSON: JSONText, importanceJSON: JSONText, profileJSON: JSONText, modelJSON: JSONText, decisionJSON: JSONText
        var sql: String {
            """
            INSERT INTO cs.models (algorithm, params, features, label, source, training_window, train_rows, test_rows, positives,
                                   metrics, feature_importance, drift_profile, model, status, promotion)
            VALUES ($1, $2::jsonb, $3::text[], $4, $5, $6::jsonb, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, 'candidate', $14::jsonb)
            RETURNING id
            """
        }
        var bindings: [any SQLParameter] {
            let r = registration
            return [r.algorithm.registryName, r.paramsJSON, r.features, r.label, r.source, r.trainingWindowJSON, r.trainRows,
                    r.testRows, r.positives, metricsJSON, importanceJSON, profileJSON, modelJSON, decisionJSON]
        }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    struct RecordPromotion: Statement {
        var modelID: Int64
        var decisionJSON: JSONText
        var sql: String { "UPDATE cs.models SET promotion = $2::jsonb WHERE id = $1" }
        var bindings: [any SQLParameter] { [modelID, decisionJSON] }
    }

    /// Retires the champion unless it is `modelID` (step one of a promotion).
    struct RetireChampion: Statement {
        var except: Int64
        var sql: String { "UPDATE cs.models SET status = 'retired' WHERE status = 'champion' AND id <> $1" }
        var bindings: [any SQLParameter] { [except] }
    }

    /// Takes a champion that cannot score production out of service, with the reason.
    struct DemoteChampion: Statement {
        var modelID: Int64
        var reason: String
        var sql: String {
            """
            UPDATE cs.models SET status = 'retired',
                promotion = coalesce(promotion, '{}') || jsonb_build_object('demoted_at', now(), 'demoted_because', $2::text)
            WHERE id = $1 AND status = 'champion'
            """
        }
        var bindings: [any SQLParameter] { [modelID, reason] }
    }

    struct MakeChampion: Statement {
        var modelID: Int64
        var sql: String { "UPDATE cs.models SET status = 'champion', promoted_at = now() WHERE id = $1" }
        var bindings: [any SQLParameter] { [modelID] }
    }

    /// Registered models, newest first (`modelID` nil), or one.
    struct ModelRecords: Statement {
        var modelID: Int64?
        var limit: Int = 50
        var sql: String {
            """
            SELECT id, algorithm, status, source, label, features, train_rows, test_rows, positives, (metrics->>'roc_auc')::float8,
                   trained_at, promoted_at, params::text, training_window::text, metrics::text, feature_importance::text, promotion::text
            FROM cs.models WHERE $1::bigint IS NULL OR id = $1 ORDER BY id DESC LIMIT $2
            """
        }
        var bindings: [any SQLParameter] { [modelID, limit] }
        func decode(_ row: Row) throws -> ModelRecord {
            let algorithmName = try row.decode(String.self, 1), statusName = try row.decode(String.self, 2)
            guard let algorithm = ChurnAlgorithm(registryName: algorithmName), let status = ModelStatus(rawValue: statusName) else {
                throw PGError(.decoding, "model \(try row.decode(Int64.self, 0)): unknown algorithm '\(algorithmName)' or status '\(statusName)'", query: sql)
            }
            return ModelRecord(id: try row.decode(Int64.self, 0), algorithm: algorithm, status: status,
                               source: try row.decode(String.self, 3), label: try row.decode(String.self, 4), features: try row.decode([String].self, 5),
                               trainRows: try row.decode(Int.self, 6), testRows: try row.decode(Int.self, 7), positives: try row.decode(Int.self, 8),
                               rocAUC: try row.decodeIfPresent(Double.self, 9), trainedAt: try row.decode(Date.self, 10),
                               promotedAt: try row.decodeIfPresent(Date.self, 11), paramsJSON: try row.decode(String.self, 12),
                               trainingWindowJSON: try row.decode(String.self, 13), metricsJSON: try row.decode(String.self, 14),
                               featureImportanceJSON: try row.decode(String.self, 15), promotionJSON: try row.decodeIfPresent(String.self, 16))
        }
    }

    // MARK: - Catalog

    /// The relation a user named: `name` in `schema`, or in the session's schemas then `cs`.
    struct FindRelation: Statement {
        var schema: String?
        var name: String
        var sql: String {
            """
            SELECT n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relname = $1 AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
              AND (n.nspname = $2 OR ($2 IS NULL AND (n.nspname = ANY (current_schemas(false)) OR n.nspname = 'cs')))
            ORDER BY coalesce(array_position(current_schemas(false), n.nspname), 1000)
            LIMIT 1
            """
        }
        var bindings: [any SQLParameter] { [name, schema] }
        func decode(_ row: Row) throws -> (schema: String, name: String) { (try row.decode(String.self, 0), try row.decode(String.self, 1)) }
    }

    /// A relation's columns with their types and type categories, in order.
    struct RelationColumns: Statement {
        var schema: String
        var name: String
        var sql: String {
            """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory::text
            FROM pg_catalog.pg_attribute a
            JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """
        }
        var bindings: [any SQLParameter] { [schema, name] }
        func decode(_ r: Row) throws -> ChurnSource.Column {
            ChurnSource.Column(name: try r.decode(String.self, 0), type: try r.decode(String.self, 1),
                               use: ChurnSource.use(category: try r.decode(String.self, 2)))
        }
    }

    struct SchemaExists: Statement {
        var schema: String
        var sql: String { "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)" }
        var bindings: [any SQLParameter] { [schema] }
        func decode(_ row: Row) throws -> Bool { try row.decode(Bool.self, 0) }
    }

    struct RelationExists: Statement {
        var schema: String
        var name: String
        var sql: String {
            """
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = $1 AND c.relname = $2)
            """
        }
        var bindings: [any SQLParameter] { [schema, name] }
        func decode(_ row: Row) throws -> Bool { try row.decode(Bool.self, 0) }
    }

    // MARK: - Reading a source

    /// The smallest and largest cut-off of a source, as text.
    struct CutoffRange: Statement {
        var source: ChurnSource
        var column: String
        var sql: String {
            let q = DatabaseURL.quoteIdentifier(column)
            return "SELECT min(\(q))::text, max(\(q))::text FROM \(source.quotedName)"
        }
        func decode(_ row: Row) throws -> (min: String?, max: String?) {
            (try row.decodeIfPresent(String.self, 0), try row.decodeIfPresent(String.self, 1))
        }
    }

    /// The select list a model reads from a source (features, then key, then label), for
    /// some keys or, through a cursor, all of it.
    struct ReadSource: Statement {
        var select: String
        var keyColumn: String?
        var keys: [Int64]?
        var sql: String {
            guard let keyColumn, keys != nil else { return select }
            return select + " WHERE \(DatabaseURL.quoteIdentifier(keyColumn)) = ANY ($1::bigint[])"
        }
        var bindings: [any SQLParameter] { keys.map { [$0] } ?? [] }
        /// Rows are read column by column by the reader, which knows the select list.
        func decode(_ row: Row) throws -> Row { row }
        /// A read-only cursor over the whole source (a script: no parameters).
        var openCursor: String { "SET TRANSACTION READ ONLY; DECLARE churn_reader NO SCROLL CURSOR FOR \(select)" }
        static let closeCursor = "CLOSE churn_reader"
    }

    /// The next page of the reader's cursor.
    struct FetchPage: Statement {
        var rows: Int
        var sql: String { "FETCH \(max(1, rows)) FROM churn_reader" }
        func decode(_ row: Row) throws -> Row { row }
    }

    // MARK: - CSV import

    /// A new table for an imported CSV (plain identifiers checked by the importer, quoted here).
    struct CreateImportTable: Statement {
        var schema: String
        var name: String
        var columns: [(name: String, type: String)]
        var quotedName: String { DatabaseURL.quoteIdentifier(schema) + "." + DatabaseURL.quoteIdentifier(name) }
        var sql: String {
            "CREATE TABLE \(quotedName) (\(columns.map { "\(DatabaseURL.quoteIdentifier($0.name)) \($0.type)" }.joined(separator: ", ")))"
        }
        /// The COPY that fills it from CSV data.
        var copy: String { "COPY \(quotedName) FROM STDIN WITH (FORMAT csv)" }
    }

    // MARK: - Prediction

    /// One batch of predictions, all made by `modelID` at `predictedAt`.
    struct InsertPredictions: Statement {
        var accountIDs: [Int64]
        var modelID: Int64
        var probabilities: [Double]
        var factors: [JSONText]
        var predictedAt: Date
        var sql: String {
            """
            INSERT INTO cs.churn_predictions (account_id, model_id, probability, top_factors, predicted_at)
            SELECT a, $2, p, f, $5 FROM unnest($1::bigint[], $3::float8[], $4::jsonb[]) AS t(a, p, f)
            """
        }
        var bindings: [any SQLParameter] { [accountIDs, modelID, probabilities, factors, predictedAt] }
    }

    // MARK: - Drift

    /// The horizon a model was trained for (90 days when it did not say).
    struct HorizonDays: Statement {
        var modelID: Int64
        var sql: String { "SELECT (training_window->>'horizon_days')::int FROM cs.models WHERE id = $1" }
        var bindings: [any SQLParameter] { [modelID] }
        func decode(_ row: Row) throws -> Int? { try row.decodeIfPresent(Int.self, 0) }
    }

    /// Latest prediction per account made between one horizon (+ window) and one horizon
    /// ago, against whether the account churned within the horizon after it, by `outcomes`.
    struct RealisedVersusPredicted: Statement {
        var outcomes: ChurnSource
        var accountColumn: String
        var churnedAtColumn: String
        var horizonDays: Int
        var windowDays: Int
        var sql: String {
            let account = DatabaseURL.quoteIdentifier(accountColumn), churnedAt = DatabaseURL.quoteIdentifier(churnedAtColumn)
            return """
                WITH p AS (
                    SELECT DISTINCT ON (account_id) account_id, probability, predicted_at
                    FROM cs.churn_predictions
                    WHERE predicted_at <= now() - make_interval(days => $1)
                      AND predicted_at > now() - make_interval(days => $1 + $2)
                    ORDER BY account_id, predicted_at DESC)
                SELECT count(*)::int, avg(p.probability),
                       avg(CASE WHEN o.\(churnedAt) > p.predicted_at AND o.\(churnedAt) <= p.predicted_at + make_interval(days => $1)
                                THEN 1.0 ELSE 0.0 END)::float8
                FROM p LEFT JOIN \(outcomes.quotedName) o ON o.\(account) = p.account_id
                """
        }
        var bindings: [any SQLParameter] { [horizonDays, windowDays] }
        func decode(_ row: Row) throws -> (judged: Int, predicted: Double?, realised: Double?) {
            (try row.decode(Int.self, 0), try row.decodeIfPresent(Double.self, 1), try row.decodeIfPresent(Double.self, 2))
        }
    }

    struct RecordDriftCheck: Statement {
        var result: ChurnDriftResult
        var psiJSON: JSONText
        var sql: String {
            """
            INSERT INTO cs.model_drift_checks (model_id, live_rows, psi, max_psi, max_psi_feature, judged_predictions,
                                               predicted_churn, realised_churn, drifted, reasons, action, retrain_job_id)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10::text[], $11, $12)
            """
        }
        var bindings: [any SQLParameter] {
            let r = result
            return [r.modelID, r.liveRows, psiJSON, r.maxPSI, r.maxPSIFeature, r.judgedPredictions,
                    r.predictedChurn, r.realisedChurn, r.drifted, r.reasons, r.action.rawValue, r.retrainJobID]
        }
    }
}
