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

    public init(database: Database) { self.database = database }

    /// True when a champion exists (scoring asks before queueing predictions).
    public func hasChampion() async throws -> Bool {
        try await database.one(ChurnStatements.HasChampion())
    }

    /// The current champion and its decoded model, if any.
    public func champion() async throws -> (record: ModelRecord, model: ChurnModel)? {
        guard let id = try await database.first(ChurnStatements.ChampionID()) else { return nil }
        return (try await record(id), try await model(id))
    }

    /// The stored model of `id`.
    public func model(_ id: Int64) async throws -> ChurnModel {
        guard let text = try await database.first(ChurnStatements.StoredJSON(column: .model, modelID: id)) else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return try ModelJSON.decode(ChurnModel.self, text, what: "model \(id)")
    }

    /// The training-time profile of `id` (for drift checks).
    public func driftProfile(_ id: Int64) async throws -> ModelDriftProfile {
        guard let text = try await database.first(ChurnStatements.StoredJSON(column: .driftProfile, modelID: id)) else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return try ModelJSON.decode(ModelDriftProfile.self, text, what: "drift profile of model \(id)")
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
            try await conn.execute(ChurnStatements.PromotionLock())
            var final = decision
            if decision.promoted {
                let current = try await conn.first(ChurnStatements.ChampionID())
                if current != decision.championID {
                    final = ModelPromotionDecision(promoted: false,
                                                   reason: "champion changed during training (compared with \(decision.championID.map(String.init) ?? "none"), now \(current.map(String.init) ?? "none")); not promoted",
                                                   championID: decision.championID, candidateAuc: decision.candidateAuc,
                                                   championAuc: decision.championAuc, margin: decision.margin, holdOutRows: decision.holdOutRows)
                }
            }
            let id = try await conn.one(ChurnStatements.InsertCandidate(
                registration: r, metricsJSON: metrics, importanceJSON: importance, profileJSON: profile, modelJSON: modelJSON,
                decisionJSON: try ModelJSON.figures(final)))
            if final.promoted { try await Self.makeChampion(id, on: conn) }
            return (id, final)
        }
    }

    /// Promotes `id` by hand (an operator's decision, recorded as such). Returns the retired champion's id.
    @discardableResult
    public func promote(_ id: Int64, reason: String = "promoted by an operator") async throws -> Int64? {
        try await database.transaction { conn in
            try await conn.execute(ChurnStatements.PromotionLock())
            guard let status = try await conn.first(ChurnStatements.ModelStatusOf(modelID: id)) else {
                throw ModelError(.notFound, "no model \(id)")
            }
            let current = try await conn.first(ChurnStatements.ChampionID())
            if status == .champion { return current }
            let decision = ModelPromotionDecision(promoted: true, reason: reason, championID: current, candidateAuc: nil,
                                                  championAuc: nil, margin: 0, holdOutRows: 0, manual: true)
            try await conn.execute(ChurnStatements.RecordPromotion(modelID: id, decisionJSON: try ModelJSON.figures(decision)))
            try await Self.makeChampion(id, on: conn)
            return current
        }
    }

    static func makeChampion(_ id: Int64, on conn: Connection) async throws {
        try await conn.execute(ChurnStatements.RetireChampion(except: id))
        try await conn.execute(ChurnStatements.MakeChampion(modelID: id))
    }

    /// Newest first.
    public func list(limit: Int = 50) async throws -> [ModelRecord] {
        try await database.rows(ChurnStatements.ModelRecords(modelID: nil, limit: limit))
    }

    /// One model, or `.notFound`.
    public func record(_ id: Int64) async throws -> ModelRecord {
        guard let record = try await database.first(ChurnStatements.ModelRecords(modelID: id, limit: 1)) else {
            throw ModelError(.notFound, "no model \(id)")
        }
        return record
    }
}
