// HealthScorer: one scoring run — validate the scorecard, measure set-based, score in Swift, write in batches.
import Basics
import Foundation
import Logging
import PG

/// What to score and how.
public struct ScoringOptions: Sendable {
    /// Accounts to score; nil scores every account that existed and had not churned at `asOf`.
    public var accountIDs: [Int64]?
    /// Identifies the run; a rerun with the same id skips accounts it already scored.
    public var runID: UUID
    /// The moment the scores describe (no data after it is read); now by default.
    public var asOf: Date
    /// The scorecard's name; nil uses the active one.
    public var scorecard: String?
    public var batchSize: Int
    /// Batches in flight at once, each on its own connection.
    public var concurrency: Int

    public init(accountIDs: [Int64]? = nil, runID: UUID = UUID(), asOf: Date = Date(), scorecard: String? = nil,
                batchSize: Int = 5_000, concurrency: Int = 2) {
        self.accountIDs = accountIDs; self.runID = runID; self.asOf = asOf; self.scorecard = scorecard
        self.batchSize = max(1, batchSize); self.concurrency = max(1, concurrency)
    }
}

/// The outcome of a run.
public struct ScoringSummary: Sendable {
    public var runID: UUID
    public var scorecard: String
    public var accounts: Int
    /// Rows inserted (less than `accounts` when a rerun finds some already scored).
    public var written: Int
    public var red: Int
    public var yellow: Int
    public var green: Int
    public var seconds: Double
    /// Time spent in the measures statement, in Swift, and in the inserts, summed over
    /// batches (so they can exceed `seconds` when batches run concurrently).
    public var measureSeconds: Double
    public var computeSeconds: Double
    public var writeSeconds: Double
}

/// Scores accounts. Two statements per batch of `batchSize` accounts, whatever the
/// number of accounts: one reads every measure, one inserts every score.
public struct HealthScorer: Sendable {
    public let database: Database
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Runs one scoring pass. Throws `ScorecardError` before anything is written when the
    /// scorecard is missing or invalid.
    @discardableResult
    public func score(_ options: ScoringOptions = ScoringOptions()) async throws -> ScoringSummary {
        let started = Date()
        let (card, calculator, params) = try await prepare(scorecard: options.scorecard, asOf: options.asOf)

        let ids: [Int64]
        if let given = options.accountIDs {
            ids = Array(Set(given)).sorted()
        } else {
            ids = try await database.rows(HealthStatements.EligibleAccounts(asOf: options.asOf))
        }
        let batches = stride(from: 0, to: ids.count, by: options.batchSize).map {
            Array(ids[$0..<min($0 + options.batchSize, ids.count)])
        }
        let lanes = min(options.concurrency, max(1, batches.count))
        let tally = try await withThrowingTaskGroup(of: Tally.self) { group in
            for lane in 0..<lanes {
                let mine = stride(from: lane, to: batches.count, by: lanes).map { batches[$0] }
                group.addTask {
                    try await database.withConnection { conn in
                        var t = Tally()
                        for batch in mine {
                            t.add(try await scoreBatch(batch, on: conn, calculator: calculator, params: params, options: options))
                        }
                        return t
                    }
                }
            }
            var total = Tally()
            for try await t in group { total.add(t) }
            return total
        }
        let summary = ScoringSummary(runID: options.runID, scorecard: card.name, accounts: tally.accounts, written: tally.written,
                                     red: tally.red, yellow: tally.yellow, green: tally.green,
                                     seconds: Date().timeIntervalSince(started), measureSeconds: tally.measureSeconds,
                                     computeSeconds: tally.computeSeconds, writeSeconds: tally.writeSeconds)
        logger.notice("scoring run finished", metadata: [
            "run_id": "\(summary.runID)", "scorecard": "\(card.name)", "accounts": "\(summary.accounts)",
            "written": "\(summary.written)", "red": "\(summary.red)", "yellow": "\(summary.yellow)",
            "green": "\(summary.green)", "seconds": "\(String(format: "%.3f", summary.seconds))",
            "measure_s": "\(String(format: "%.3f", summary.measureSeconds))",
            "compute_s": "\(String(format: "%.3f", summary.computeSeconds))",
            "write_s": "\(String(format: "%.3f", summary.writeSeconds))",
        ])
        return summary
    }

    /// Rescores one account now, with the same statement and scorecard as a batch run, and
    /// marks the signals its snapshot sees as handled by this score. One REPEATABLE READ
    /// transaction, retried when a concurrent rescore of the same account took those signals
    /// first (SQLSTATE 40001). Nil score when the account does not exist.
    public func scoreAccount(_ accountID: Int64, runID: UUID, asOf: Date = Date(), scorecard: String? = nil) async throws -> AccountRescore {
        let (card, calculator, params) = try await prepare(scorecard: scorecard, asOf: asOf)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await database.transaction(isolation: .repeatableRead) { tx in
                    try await tx.executeScript(HealthStatements.accountSettings)
                    guard let m = try await tx.rows(HealthStatements.Measures(accountIDs: [accountID], windows: params, runID: runID)).first
                    else { return AccountRescore(score: nil, signals: []) }
                    let computed = calculator.score(m)
                    var insert = HealthStatements.InsertScores(runID: runID, scorecardID: card.id, scoredAt: asOf)
                    insert.append(computed)
                    try await tx.execute(insert)
                    let signals = try await tx.rows(HealthStatements.LinkSignals(accountID: accountID, runID: runID))
                    return AccountRescore(score: computed, signals: signals)
                }
            } catch let e as PGError where e.sqlState == "40001" && attempt < 5 {
                logger.debug("account rescore raced another; again", metadata: ["account_id": "\(accountID)"])
            }
        }
    }

    /// The scorecard (validated: throws `ScorecardError` before anything is written), its
    /// calculator and its windows at `asOf`.
    private func prepare(scorecard: String?, asOf: Date) async throws -> (Scorecard, ScoreCalculator, ScoringWindows) {
        let card = try await ScorecardStore(database: database).load(name: scorecard)
        try card.validate()
        return (card, ScoreCalculator(scorecard: card), ScoringWindows(card: card, asOf: asOf))
    }

    private func scoreBatch(_ ids: [Int64], on conn: Connection, calculator: ScoreCalculator, params: ScoringWindows,
                            options: ScoringOptions) async throws -> Tally {
        try await conn.transaction { tx in
            try await tx.executeScript(HealthStatements.batchSettings)
            return try await scoreBatch(ids, in: tx, calculator: calculator, params: params, options: options)
        }
    }

    private func scoreBatch(_ ids: [Int64], in conn: Connection, calculator: ScoreCalculator, params: ScoringWindows,
                            options: ScoringOptions) async throws -> Tally {
        let t0 = ContinuousClock.now
        let measures = try await conn.rows(HealthStatements.Measures(accountIDs: ids, windows: params, runID: options.runID))
        let t1 = ContinuousClock.now
        var t = Tally()
        var insert = HealthStatements.InsertScores(runID: options.runID, scorecardID: calculator.scorecard.id, scoredAt: options.asOf)
        insert.accountIDs.reserveCapacity(measures.count)
        for m in measures {
            let s = calculator.score(m)
            insert.append(s)
            t.count(s.band)
        }
        guard !insert.accountIDs.isEmpty else { return t }
        let t2 = ContinuousClock.now
        t.written = try await conn.execute(insert)
        t.measureSeconds = (t1 - t0).seconds
        t.computeSeconds = (t2 - t1).seconds
        t.writeSeconds = (ContinuousClock.now - t2).seconds
        logger.debug("scored batch", metadata: ["accounts": "\(insert.accountIDs.count)", "written": "\(t.written)"])
        return t
    }
}

/// One account rescored: its new score and the signals it answered.
public struct AccountRescore: Sendable {
    public var score: ComputedScore?
    public var signals: [AccountSignal]
}

/// A change to an account's inputs that asked for a rescore (a row of `cs.signals`).
public struct AccountSignal: Sendable, Equatable {
    public var rule: String
    /// Ids and values only (never personal data), e.g. "invoice 17 failed".
    public var detail: String
    /// Rows of the writing statement folded into this signal.
    public var events: Int
    public var occurredAt: Date
}

/// Counts per run.
struct Tally: Sendable {
    var accounts = 0, written = 0, red = 0, yellow = 0, green = 0
    var measureSeconds = 0.0, computeSeconds = 0.0, writeSeconds = 0.0
    mutating func count(_ band: HealthBand) {
        accounts += 1
        switch band { case .red: red += 1; case .yellow: yellow += 1; case .green: green += 1 }
    }
    mutating func add(_ o: Tally) {
        accounts += o.accounts; written += o.written; red += o.red; yellow += o.yellow; green += o.green
        measureSeconds += o.measureSeconds; computeSeconds += o.computeSeconds; writeSeconds += o.writeSeconds
    }
}

/// The window starts of a scorecard at one moment, bound as timestamps.
struct ScoringWindows: Sendable {
    let asOf: Date
    let freqFrom, recentFrom, baselineFrom, adoptionFrom, scanFrom: Date
    let supportFrom, npsFrom, csatFrom, paymentFrom, overdueBefore, churnFrom: Date
    /// The trend windows a season back (equal to `asOf`… when seasonality is off: empty windows).
    let lastYearTo, lastYearRecentFrom, lastYearBaselineFrom: Date
    let milestones: [String]
    let milestoneDays: [Int]

    init(card: Scorecard, asOf: Date) {
        func days(_ key: ComponentKey, _ fallback: Int) -> Int { card.component(key)?.lookbackDays ?? fallback }
        func back(_ d: Int) -> Date { asOf.addingTimeInterval(-Double(d) * 86_400) }
        self.asOf = asOf
        let trendDays = days(.usageTrend, 30)
        let baseline = card.component(.usageTrend)?.intParam("baseline_days", default: 60) ?? 60
        freqFrom = back(days(.usageFrequency, 30))
        recentFrom = back(trendDays)
        baselineFrom = back(trendDays + baseline)
        adoptionFrom = back(days(.featureAdoption, 90))
        scanFrom = back(max(days(.usageFrequency, 30), trendDays + baseline, days(.featureAdoption, 90)))
        supportFrom = back(days(.supportLoad, 365))
        npsFrom = back(days(.nps, 365))
        csatFrom = back(days(.csat, 180))
        paymentFrom = back(days(.paymentHealth, 90))
        overdueBefore = back(card.component(.paymentHealth)?.intParam("grace_days", default: 7) ?? 7)
        churnFrom = back(days(.churnRisk, 30))
        let shift = card.component(.usageTrend)?.intParam("season_shift_days", default: 364) ?? 364
        // With no shift the last-year windows are empty (from = to), so no history is found.
        lastYearTo = shift > 0 ? back(shift) : asOf
        lastYearRecentFrom = shift > 0 ? back(shift + trendDays) : asOf
        lastYearBaselineFrom = shift > 0 ? back(shift + trendDays + baseline) : asOf
        var schedule: [(String, Int)] = []
        if case .object(let o)? = card.component(.onboarding)?.params["schedule"] {
            for (k, v) in o { if case .number(let n) = v { schedule.append((k, Int(n))) } }
        }
        schedule.sort { $0.0 < $1.0 }
        milestones = schedule.map(\.0)
        milestoneDays = schedule.map(\.1)
    }
}
