// ModelRegistry: cs.models — register candidates, find the champion, promote (automatically or by hand), list.
import Foundation
import Learning
import Logging
import PG

/// The registry over `cs.models`. At most one champion exists (a partial unique index says so);
/// promotion happens in one transaction under an advisory lock, and only if the champion the
/// candidate was compared with is still the champion.
public struct ModelRegistry: Sendable {
    public let database: Database
    static let promotionLock: Int64 = 7_310_420_117_004

    public init(database: Database) { self.database = database }

    /// The current champion and its decoded model, if any.
    public func champion() async throws -> (record: ModelRecord, model: ChurnModel)? {
        guard let id = try await database.query("SELECT id FROM cs.models WHERE status = 'champion'").first?.decode(Int64.self, 0) else {
            return nil
        }
        return (try await record(id), try await model(id))
    }

    /// The stored model of `id`.
    public func model(_ id: Int64) async throws -> ChurnModel {
        guard let row = try await database.query("SELECT model::text FROM cs.models WHERE id = $1", [id]).first else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return try ModelJSON.decode(ChurnModel.self, try row.decode(String.self, 0), what: "model \(id)")
    }

    /// The training-time profile of `id` (for drift checks).
    public func driftProfile(_ id: Int64) async throws -> ModelDriftProfile {
        guard let row = try await database.query("SELECT drift_profile::text FROM cs.models WHERE id = $1", [id]).first else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return try ModelJSON.decode(ModelDriftProfile.self, try row.decode(String.self, 0), what: "drift profile of model \(id)")
    }

    /// Inserts the candidate with its decision and, when the decision promotes it, makes it the
    /// champion (retiring the old one) in the same transaction. If the champion changed since the
    /// comparison, the candidate stays a candidate and the recorded decision says so.
    public func register(_ r: ModelRegistration, decision: ModelPromotionDecision) async throws -> (id: Int64, decision: ModelPromotionDecision) {
        let modelJSON = try ModelJSON.exact(r.model)
        let metrics = try ModelJSON.figures(r.metrics)
        let importance = try ModelJSON.figures(r.featureImportance)
        let profile = try ModelJSON.exact(r.driftProfile)
        return try await database.transaction { conn in
            try await conn.execute("SELECT pg_advisory_xact_lock($1)", [Self.promotionLock])
            var final = decision
            if decision.promoted {
                let current = try await conn.query("SELECT id FROM cs.models WHERE status = 'champion'").first?.decode(Int64.self, 0)
                if current != decision.championID {
                    final = ModelPromotionDecision(promoted: false,
                                                   reason: "champion changed during training (compared with \(decision.championID.map(String.init) ?? "none"), now \(current.map(String.init) ?? "none")); not promoted",
                                                   championID: decision.championID, candidateAuc: decision.candidateAuc,
                                                   championAuc: decision.championAuc, margin: decision.margin, holdOutRows: decision.holdOutRows)
                }
            }
            let id = try await conn.query("""
                INSERT INTO cs.models (algorithm, params, features, label, source, training_window, train_rows, test_rows, positives,
                                       metrics, feature_importance, drift_profile, model, status, promotion)
                VALUES ($1, $2::jsonb, $3::text[], $4, $5, $6::jsonb, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13::jsonb, 'candidate', $14::jsonb)
                RETURNING id
                """, [r.algorithm.registryName, r.paramsJSON, r.features, r.label, r.source, r.trainingWindowJSON, r.trainRows,
                      r.testRows, r.positives, metrics, importance, profile, modelJSON, try ModelJSON.figures(final)])[0].decode(Int64.self, 0)
            if final.promoted { try await Self.makeChampion(id, on: conn) }
            return (id, final)
        }
    }

    /// Promotes `id` by hand (an operator's decision, recorded as such). Returns the retired champion's id.
    @discardableResult
    public func promote(_ id: Int64, reason: String = "promoted by an operator") async throws -> Int64? {
        try await database.transaction { conn in
            try await conn.execute("SELECT pg_advisory_xact_lock($1)", [Self.promotionLock])
            guard let status = try await conn.query("SELECT status FROM cs.models WHERE id = $1", [id]).first?.decode(String.self, 0) else {
                throw ModelError(.notFound, "no model \(id)")
            }
            let current = try await conn.query("SELECT id FROM cs.models WHERE status = 'champion'").first?.decode(Int64.self, 0)
            if status == "champion" { return current }
            let decision = ModelPromotionDecision(promoted: true, reason: reason, championID: current, candidateAuc: nil,
                                                  championAuc: nil, margin: 0, holdOutRows: 0, manual: true)
            try await conn.execute("UPDATE cs.models SET promotion = $2::jsonb WHERE id = $1", [id, try ModelJSON.figures(decision)])
            try await Self.makeChampion(id, on: conn)
            return current
        }
    }

    static func makeChampion(_ id: Int64, on conn: Connection) async throws {
        try await conn.execute("UPDATE cs.models SET status = 'retired' WHERE status = 'champion' AND id <> $1", [id])
        try await conn.execute("UPDATE cs.models SET status = 'champion', promoted_at = now() WHERE id = $1", [id])
    }

    /// Newest first.
    public func list(limit: Int = 50) async throws -> [ModelRecord] {
        try await database.query("\(Self.selectRecord) ORDER BY id DESC LIMIT $1", [limit]).map(Self.decode)
    }

    /// One model, or `.notFound`.
    public func record(_ id: Int64) async throws -> ModelRecord {
        guard let row = try await database.query("\(Self.selectRecord) WHERE id = $1", [id]).first else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return try Self.decode(row)
    }

    static let selectRecord = """
        SELECT id, algorithm, status, source, label, features, train_rows, test_rows, positives, (metrics->>'roc_auc')::float8,
               trained_at, promoted_at, params::text, training_window::text, metrics::text, feature_importance::text, promotion::text
        FROM cs.models
        """

    static func decode(_ row: Row) throws -> ModelRecord {
        ModelRecord(id: try row.decode(Int64.self, 0), algorithm: try row.decode(String.self, 1), status: try row.decode(String.self, 2),
                    source: try row.decode(String.self, 3), label: try row.decode(String.self, 4), features: try row.decode([String].self, 5),
                    trainRows: try row.decode(Int.self, 6), testRows: try row.decode(Int.self, 7), positives: try row.decode(Int.self, 8),
                    rocAUC: try row.decodeIfPresent(Double.self, 9), trainedAt: try row.decode(Date.self, 10),
                    promotedAt: try row.decodeIfPresent(Date.self, 11), paramsJSON: try row.decode(String.self, 12),
                    trainingWindowJSON: try row.decode(String.self, 13), metricsJSON: try row.decode(String.self, 14),
                    featureImportanceJSON: try row.decode(String.self, 15), promotionJSON: try row.decodeIfPresent(String.self, 16))
    }
}
