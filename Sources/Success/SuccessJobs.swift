// SuccessJobs: the job kinds of the customer-success domain and their handlers.
import Churn
import CoreMetrics
import Foundation
import Health
import Interventions
import Logging
import PG
import Queue

/// Registers `score_accounts`, `score_account`, `evaluate_interventions` and `record_intervention_outcomes`.
public enum SuccessJobs {
    /// `{"account_ids": [..], "run_id": "uuid", "scorecard": "name"}`, every key optional.
    public struct ScoreArgs: JobArgs {
        public static let kind = "score_accounts"
        public var accountIds: [Int64]?
        public var runId: String?
        public var scorecard: String?
        public init(accountIds: [Int64]? = nil, runId: String? = nil, scorecard: String? = nil) {
            self.accountIds = accountIds; self.runId = runId; self.scorecard = scorecard
        }
    }

    /// `{"account_id": 42, "scorecard": "name"}`: one account rescored now, usually queued by a
    /// signal (sql/0019_signals.sql: `cs.enqueue_rescore`, key `score_account:<id>`).
    public struct ScoreAccountArgs: JobArgs {
        public static let kind = "score_account"
        public var accountId: Int64
        public var scorecard: String?
        public init(accountId: Int64, scorecard: String? = nil) { self.accountId = accountId; self.scorecard = scorecard }
    }

    /// `{"follow_up_days": 30}`.
    public struct OutcomeArgs: JobArgs {
        public static let kind = "record_intervention_outcomes"
        public var followUpDays: Int?
        public init(followUpDays: Int? = nil) { self.followUpDays = followUpDays }
        /// A follow-up window must lie ahead of the intervention: 1…365 days.
        public func validate() throws {
            if let d = followUpDays, !(1...365).contains(d) {
                throw JobArgumentError(field: "follow_up_days", "must be 1…365 days, not \(d)")
            }
        }
    }

    /// No arguments: evaluate every rule against the latest scores.
    public struct EvaluateInterventions: JobArgs {
        public static let kind = "evaluate_interventions"
        public init() {}
    }

    public static func register(in registry: JobRegistry) {
        registry.register(ScoreArgs.self, timeout: .seconds(900)) { args, ctx in
            let runID: UUID
            if let text = args.runId {
                guard let id = UUID(uuidString: text) else { throw PermanentJobError("run_id '\(text)' is not a UUID") }
                runID = id
            } else {
                runID = derivedRunID(jobID: ctx.job.id)
            }
            do {
                let summary = try await HealthScorer(database: ctx.database, logger: ctx.logger)
                    .score(ScoringOptions(accountIDs: args.accountIds, runID: runID, scorecard: args.scorecard))
                CoreMetrics.Timer(label: "cs_scoring_run_seconds").recordNanoseconds(Int64(summary.seconds * 1e9))
                Counter(label: "cs_accounts_scored_total").increment(by: summary.written)
                try await ctx.recordResult(ScoringResult(runId: summary.runID.uuidString, accounts: summary.accounts, written: summary.written,
                                                         red: summary.red, yellow: summary.yellow, green: summary.green,
                                                         seconds: summary.seconds))
            } catch let e as ScorecardError {
                // Retrying cannot fix configuration; an operator fixes it and retries the job.
                throw PermanentJobError(e.description)
            }
            try await ctx.enqueuer.enqueue(EvaluateInterventions(), options: JobOptions(uniqueKey: EvaluateInterventions.kind))
            // Fresh predictions after each scoring run, for the next one to fold in.
            if try await ModelRegistry(database: ctx.database).hasChampion() {
                try await ChurnJobs.enqueuePrediction(enqueuer: ctx.enqueuer, accountIDs: args.accountIds)
            }
        }
        registry.register(ScoreAccountArgs.self, timeout: .seconds(120)) { args, ctx in
            // Signals from here on queue another run; the ones before are visible to this one.
            try await ctx.releaseUniqueKey()
            let rescore: AccountRescore
            do {
                rescore = try await HealthScorer(database: ctx.database, logger: ctx.logger)
                    .scoreAccount(args.accountId, runID: UUID(), scorecard: args.scorecard)
            } catch let e as ScorecardError {
                throw PermanentJobError(e.description)
            }
            guard let score = rescore.score else {
                try await ctx.recordResult(AccountScoringResult(accountId: args.accountId, score: nil, band: nil,
                                                                signals: rescore.signals.map(\.rule), interventions: 0))
                return
            }
            Counter(label: "cs_accounts_scored_total").increment()
            let raised = try await InterventionEngine(database: ctx.database, logger: ctx.logger).evaluate(accounts: [args.accountId])
            ctx.logger.info("account rescored", metadata: [
                "account_id": "\(args.accountId)", "score": "\(score.score)", "band": "\(score.band.rawValue)",
                "signals": "\(rescore.signals.map(\.rule).joined(separator: ","))", "interventions": "\(raised.total)",
            ])
            try await ctx.recordResult(AccountScoringResult(accountId: args.accountId, score: score.score, band: score.band.rawValue,
                                                            signals: rescore.signals.map(\.rule), interventions: raised.total))
        }
        registry.register(EvaluateInterventions.self, timeout: .seconds(600)) { _, ctx in
            try await InterventionEngine(database: ctx.database, logger: ctx.logger).evaluate()
        }
        registry.register(OutcomeArgs.self, timeout: .seconds(600)) { args, ctx in
            try await InterventionEngine(database: ctx.database, logger: ctx.logger)
                .recordOutcomes(followUpDays: args.followUpDays ?? 30)
        }
    }

    /// What a `score_account` job's row says it did.
    struct AccountScoringResult: Encodable {
        let accountId: Int64
        let score: Double?
        let band: String?
        let signals: [String]
        let interventions: Int
    }

    /// What a scoring job's row says it did.
    struct ScoringResult: Encodable {
        let runId: String
        let accounts, written, red, yellow, green: Int
        let seconds: Double
    }

    /// The schedules a fresh installation wants: score every night (interventions follow
    /// from the scoring job), record intervention outcomes every morning.
    public static let defaultSchedules: [Schedule] = [
        Schedule(name: "nightly-scoring", cron: "15 2 * * *", kind: ScoreArgs.kind),
        Schedule(name: "intervention-outcomes", cron: "30 6 * * *", kind: OutcomeArgs.kind),
    ]

    /// Adds `defaultSchedules` that are not there yet; never overwrites an operator's edits.
    public static func installDefaultSchedules(_ store: ScheduleStore) async throws {
        for s in defaultSchedules { try await store.addIfMissing(s) }
    }

    /// A run id stable across retries of one job, so a retry skips accounts already scored.
    static func derivedRunID(jobID: Int64) -> UUID {
        var hex = String(UInt64(bitPattern: jobID), radix: 16)
        hex = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return UUID(uuidString: "00000000-0000-4000-8000-" + hex.suffix(12)) ?? UUID()
    }
}
