// SuccessService: the domain's entry points for the CLI and benchmarks.
import Foundation
import Health
import Interventions
import Logging
import PG

/// One front door to the customer-success domain, so the executable stays thin:
/// `cs-worker explain` and `cs-worker bench scoring` call these.
public struct SuccessService: Sendable {
    public let database: Database
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Scores `accountIDs` (nil: every live account) now, or as of `asOf`.
    @discardableResult
    public func score(accountIDs: [Int64]? = nil, asOf: Date = Date(), scorecard: String? = nil) async throws -> ScoringSummary {
        try await HealthScorer(database: database, logger: logger)
            .score(ScoringOptions(accountIDs: accountIDs, asOf: asOf, scorecard: scorecard))
    }

    /// The latest score of an account against the previous one; nil when never scored.
    public func explain(accountID: Int64) async throws -> HealthExplanation? {
        try await HealthExplanation.load(accountID: accountID, database: database)
    }

    @discardableResult
    public func evaluateInterventions() async throws -> InterventionSummary {
        try await InterventionEngine(database: database, logger: logger).evaluate()
    }

    @discardableResult
    public func recordInterventionOutcomes(followUpDays: Int = 30) async throws -> OutcomeSummary {
        try await InterventionEngine(database: database, logger: logger).recordOutcomes(followUpDays: followUpDays)
    }
}
