// InterventionEngine: applies the rules of cs.intervention_rules and records outcomes later.
import Foundation
import Logging
import PG

/// The kinds of rule (cs.intervention_rules.kind).
/// How an intervention ended (`cs.interventions.outcome`).
public enum InterventionOutcome: String, Sendable, CaseIterable {
    case recovered
    case churned
    case noChange = "no_change"
}

public enum InterventionKind: String, Sendable, CaseIterable {
    case bandDroppedToRed = "band_dropped_to_red"
    case scoreFell = "score_fell"
    case churnRiskAbove = "churn_risk_above"
    case paymentFailed = "payment_failed"
    case milestoneStalled = "milestone_stalled"
    case npsDetractor = "nps_detractor"
    case renewalSoonUnhealthy = "renewal_soon_unhealthy"
}

/// What one evaluation did.
public struct InterventionSummary: Sendable {
    /// New interventions per rule key, both arms.
    public var created: [String: Int]
    /// Of those, held out as the control group (recorded, never sent).
    public var control: Int
    /// Messages queued (treated interventions whose channel exists and is enabled).
    public var deliveries: Int
    public var total: Int { created.values.reduce(0, +) }
}

/// Outcomes recorded by one pass.
public struct OutcomeSummary: Sendable {
    public var recovered = 0, churned = 0, noChange = 0
}

/// Evaluates every enabled rule for all accounts: one statement per rule, then one
/// statement that queues the messages, all in one transaction (an intervention exists
/// exactly when its message is queued).
public struct InterventionEngine: Sendable {
    public let database: Database
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Evaluates every enabled rule, for all accounts or (a rescore's evaluation) for
    /// `accounts` only; cool-downs apply either way, and a scoped evaluation never runs beside
    /// a full one, so no intervention is raised twice.
    @discardableResult
    public func evaluate(accounts: [Int64]? = nil) async throws -> InterventionSummary {
        let logger = self.logger
        let summary = try await database.transaction { conn -> InterventionSummary in
            if let accounts {
                try await conn.execute(InterventionStatements.AccountEvaluationLock(accountIDs: accounts))
            } else {
                try await conn.execute(InterventionStatements.EvaluationLock())
            }
            var created: [String: Int] = [:]
            var ids: [Int64] = []
            var control = 0
            for (key, kindText) in try await conn.rows(InterventionStatements.EnabledRules()) {
                guard let kind = InterventionKind(rawValue: kindText) else {
                    logger.warning("skipping rule of unknown kind", metadata: ["rule": "\(key)", "kind": "\(kindText)"])
                    continue
                }
                let new = try await conn.rows(InterventionStatements.RaiseInterventions(kind: kind, ruleKey: key, accountIDs: accounts))
                created[key] = new.count
                ids += new.filter { !$0.control }.map(\.id)
                control += new.filter(\.control).count
            }
            let queued = ids.isEmpty ? 0 : try await conn.rows(InterventionStatements.QueueDeliveries(interventionIDs: ids)).count
            if queued < ids.count {
                logger.warning("interventions without a configured channel", metadata: ["count": "\(ids.count - queued)"])
            }
            return InterventionSummary(created: created, control: control, deliveries: queued)
        }
        logger.log(level: accounts == nil || summary.total > 0 ? .notice : .debug, "interventions evaluated", metadata: [
            "created": "\(summary.total)", "control": "\(summary.control)", "deliveries": "\(summary.deliveries)",
            "by_rule": .dictionary(summary.created.mapValues { .stringConvertible($0) }),
        ])
        return summary
    }

    /// Closes open interventions whose outcome is known (see `InterventionStatements.RecordOutcomes`).
    @discardableResult
    public func recordOutcomes(followUpDays: Int = 30, now: Date = Date()) async throws -> OutcomeSummary {
        var s = OutcomeSummary()
        for outcome in try await database.rows(InterventionStatements.RecordOutcomes(followUpDays: followUpDays, now: now)) {
            switch outcome {
            case .recovered?: s.recovered += 1
            case .churned?: s.churned += 1
            case .noChange?, nil: s.noChange += 1
            }
        }
        logger.notice("intervention outcomes recorded", metadata: [
            "recovered": "\(s.recovered)", "churned": "\(s.churned)", "no_change": "\(s.noChange)",
        ])
        return s
    }
}
