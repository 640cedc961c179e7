// HealthStatements: every statement health scoring runs, one type each. Tables are defined
// in sql/0003_success.sql.
import Foundation
import PG

/// The health module's SQL. Every measure of a batch of accounts comes from one statement
/// (`Measures`), grouped per account with FILTER; results go back with one multi-row
/// INSERT per batch (`InsertScores`, unnest of arrays).
enum HealthStatements {
    /// The events that count as key features for `feature_adoption` (bit i of the mask).
    static let keyFeatures = [
        "client_imported", "form_sent", "questionnaire_sent", "booking_created", "contract_signed",
        "message_sent", "journey_started", "calendar_synced", "invoice_sent",
    ]

    /// Settings of a scoring batch's transaction. The measures statement's cost estimate
    /// triggers JIT, whose compile time exceeds the whole query's run time at our batch
    /// sizes; a generic plan (chosen after five runs of a prepared statement) cannot see the
    /// batch's size, guesses one row and nests loops over the aggregates (quadratic), so each
    /// batch is planned; and scores are recomputable (a rerun of the run id fills any gap),
    /// so the commit does not wait for fsync.
    /// The activity aggregation sorts ~100,000 rollup rows per batch: with the default 4 MB
    /// work_mem that spilled to disk.
    static let batchSettings = "SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '64MB'"

    /// Settings of one account's rescoring: as `batchSettings`, but the commit is durable (it
    /// also marks the account's signals as handled).
    static let accountSettings = "SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan"

    /// Marks the account's pending signals that this transaction's snapshot sees as taken into
    /// account by the score of run `runID` (written just before, in the same transaction).
    /// Under REPEATABLE READ a signal committed later stays pending (its own job follows).
    struct LinkSignals: Statement {
        var accountID: Int64
        var runID: UUID
        var sql: String {
            """
            UPDATE cs.signals s SET health_score_id = h.id
            FROM cs.health_scores h
            WHERE h.account_id = $1 AND h.run_id = $2::uuid AND s.account_id = $1 AND s.health_score_id IS NULL
            RETURNING s.rule, s.detail, s.events, s.occurred_at
            """
        }
        var bindings: [any SQLParameter] { [accountID, runID.uuidString] }
        func decode(_ row: Row) throws -> AccountSignal { try HealthStatements.signal(row) }
    }

    /// The signals a score took into account, oldest first.
    struct SignalsOfScore: Statement {
        var healthScoreID: Int64
        var sql: String {
            "SELECT rule, detail, events, occurred_at FROM cs.signals WHERE health_score_id = $1 ORDER BY occurred_at, id"
        }
        var bindings: [any SQLParameter] { [healthScoreID] }
        func decode(_ row: Row) throws -> AccountSignal { try HealthStatements.signal(row) }
    }

    /// A signal from the columns rule, detail, events, occurred_at (in that order).
    static func signal(_ row: Row) throws -> AccountSignal {
        AccountSignal(rule: try row.decode(String.self, 0), detail: try row.decode(String.self, 1),
                      events: try row.decode(Int.self, 2), occurredAt: try row.decode(Date.self, 3))
    }

    /// Accounts that exist at `asOf` and had not churned by then.
    struct EligibleAccounts: Statement {
        var asOf: Date
        var sql: String {
            """
            SELECT id FROM cs.accounts
            WHERE signed_up_at <= $1::timestamptz AND (churned_at IS NULL OR churned_at > $1::timestamptz)
            ORDER BY id
            """
        }
        var bindings: [any SQLParameter] { [asOf] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Raw measures of the accounts `accountIDs` as of `windows.asOf`. Window starts are
    /// bound as timestamps so no interval is computed per row; the smallest and largest id
    /// of the batch are bound too (a range the indexes can use).
    ///
    /// Activity comes from the daily rollups (`cs.activity_daily`, sql/0019_signals.sql): a
    /// rollup row whose [first_at, last_at] lies on one side of every window boundary
    /// ($2–$7, $20–$22) is used whole, with first_at standing for all its rows; one that
    /// straddles a boundary is replaced by its raw rows. So the figures are those of a scan of
    /// cs.activity, at the cost of the rollups. $20–$22 are the same weeks last year (the
    /// recent and baseline windows moved back `season_shift_days`).
    struct Measures: Statement {
        var accountIDs: [Int64]
        var windows: ScoringWindows
        var runID: UUID
        var sql: String {
            """
            WITH r AS (
                -- Two day ranges, two index range scans (an OR of them would read every day).
                SELECT account_id, day, event, quantity, first_at, last_at FROM cs.activity_daily
                WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[])
                  AND day BETWEEN ($7::timestamptz AT TIME ZONE 'UTC')::date AND ($2::timestamptz AT TIME ZONE 'UTC')::date
                UNION ALL
                SELECT account_id, day, event, quantity, first_at, last_at FROM cs.activity_daily
                WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[])
                  AND day BETWEEN ($22::timestamptz AT TIME ZONE 'UTC')::date AND ($20::timestamptz AT TIME ZONE 'UTC')::date
                  AND day < ($7::timestamptz AT TIME ZONE 'UTC')::date
            ), g AS (
                SELECT account_id, day, event, quantity, first_at, last_at,
                       (first_at <= $2::timestamptz AND last_at > $2::timestamptz) OR (first_at <= $3::timestamptz AND last_at > $3::timestamptz)
                    OR (first_at <= $4::timestamptz AND last_at > $4::timestamptz) OR (first_at <= $5::timestamptz AND last_at > $5::timestamptz)
                    OR (first_at <= $6::timestamptz AND last_at > $6::timestamptz) OR (first_at <= $7::timestamptz AND last_at > $7::timestamptz)
                    OR (first_at <= $20::timestamptz AND last_at > $20::timestamptz) OR (first_at <= $21::timestamptz AND last_at > $21::timestamptz)
                    OR (first_at <= $22::timestamptz AND last_at > $22::timestamptz) AS split
                FROM r
            ), e AS (
                SELECT account_id, day, event, quantity, first_at AS at FROM g WHERE NOT split
                UNION ALL
                SELECT r.account_id, g.day, r.event, r.quantity, r.occurred_at
                FROM g JOIN cs.activity r ON r.account_id = g.account_id AND r.occurred_at BETWEEN g.first_at AND g.last_at AND r.event = g.event
                WHERE g.split
            ), d AS (
                SELECT account_id, day,
                       bool_or(at > $3::timestamptz AND at <= $2::timestamptz) AS in_freq,
                       sum(quantity) FILTER (WHERE at > $4::timestamptz AND at <= $2::timestamptz) AS recent,
                       sum(quantity) FILTER (WHERE at <= $4::timestamptz AND at > $5::timestamptz) AS base,
                       bit_or(1 << (array_position($8::text[], event) - 1))
                           FILTER (WHERE at > $6::timestamptz AND at <= $2::timestamptz AND event = ANY($8::text[])) AS mask,
                       sum(quantity) FILTER (WHERE at > $21::timestamptz AND at <= $20::timestamptz) AS ly_recent,
                       sum(quantity) FILTER (WHERE at <= $21::timestamptz AND at > $22::timestamptz) AS ly_base
                FROM e GROUP BY 1, 2
            ), act AS (
                SELECT account_id, count(*) FILTER (WHERE in_freq) AS active_days,
                       coalesce(sum(recent), 0) AS recent, coalesce(sum(base), 0) AS base, bit_or(mask) AS mask,
                       coalesce(sum(ly_recent), 0) AS ly_recent, coalesce(sum(ly_base), 0) AS ly_base
                FROM d GROUP BY 1
            ), tk AS (
                SELECT account_id,
                       sum(CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 4 ELSE 8 END
                           * (1 + least(extract(epoch FROM $2::timestamptz - opened_at)::float8 / 86400, 60) / 30)) AS load
                FROM cs.tickets
                WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND opened_at <= $2::timestamptz AND opened_at > $9::timestamptz
                  AND (closed_at IS NULL OR closed_at > $2::timestamptz)
                GROUP BY 1
            ), nps AS (
                SELECT DISTINCT ON (account_id) account_id, score
                FROM cs.surveys
                WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND kind = 'nps' AND answered_at <= $2::timestamptz AND answered_at > $10::timestamptz
                ORDER BY account_id, answered_at DESC, id DESC
            ), csat AS (
                SELECT DISTINCT ON (account_id) account_id, score
                FROM (SELECT account_id, score, answered_at AS at, id FROM cs.surveys
                      WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND kind = 'csat' AND answered_at <= $2::timestamptz
                        AND answered_at > $11::timestamptz
                      UNION ALL
                      SELECT account_id, csat, closed_at, id FROM cs.tickets
                      WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND csat IS NOT NULL AND closed_at <= $2::timestamptz
                        AND closed_at > $11::timestamptz) x
                ORDER BY account_id, at DESC, id DESC
            ), inv AS (
                SELECT account_id,
                       count(*) FILTER (WHERE failed_at > $12::timestamptz AND failed_at <= $2::timestamptz) AS failed,
                       count(*) FILTER (WHERE due_at <= $13::timestamptz AND (paid_at IS NULL OR paid_at > $2::timestamptz)
                                          AND status <> 'void') AS overdue
                FROM cs.invoices
                WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND due_at <= $2::timestamptz
                  AND (due_at > $12::timestamptz OR failed_at > $12::timestamptz OR paid_at IS NULL OR paid_at > $2::timestamptz)
                GROUP BY 1
            ), ms AS (
                SELECT a.id AS account_id, count(*) AS expected, count(m.milestone) AS done
                FROM cs.accounts a
                JOIN unnest($14::text[], $15::int[]) AS s (milestone, due_days)
                  ON a.signed_up_at + s.due_days * interval '1 day' <= $2::timestamptz
                LEFT JOIN cs.milestones m
                  ON m.account_id BETWEEN $18 AND $19 AND m.account_id = a.id AND m.milestone = s.milestone AND m.completed_at <= $2::timestamptz
                WHERE a.id BETWEEN $18 AND $19 AND a.id = ANY($1::bigint[])
                GROUP BY a.id
            )
            SELECT a.id,
                   extract(epoch FROM $2::timestamptz - a.signed_up_at)::float8 / 86400 AS tenure_days,
                   a.renewal_date - ($2::timestamptz)::date AS renewal_days,
                   coalesce(act.active_days, 0) AS active_days,
                   coalesce(act.recent, 0)::float8 AS recent_qty,
                   coalesce(act.base, 0)::float8 AS baseline_qty,
                   coalesce(act.mask, 0) AS feature_mask,
                   coalesce(tk.load, 0)::float8 AS support_load,
                   nps.score AS nps, csat.score AS csat,
                   coalesce(inv.failed, 0) AS failed, coalesce(inv.overdue, 0) AS overdue, inv.account_id IS NOT NULL AS has_invoices,
                   coalesce(ms.expected, 0) AS ms_expected, coalesce(ms.done, 0) AS ms_done,
                   cp.probability, prev.score::float8 AS previous_score,
                   coalesce(act.ly_recent, 0)::float8 AS ly_recent_qty, coalesce(act.ly_base, 0)::float8 AS ly_baseline_qty
            FROM cs.accounts a
            LEFT JOIN act ON act.account_id = a.id
            LEFT JOIN tk ON tk.account_id = a.id
            LEFT JOIN nps ON nps.account_id = a.id
            LEFT JOIN csat ON csat.account_id = a.id
            LEFT JOIN inv ON inv.account_id = a.id
            LEFT JOIN ms ON ms.account_id = a.id
            LEFT JOIN LATERAL (
                SELECT p.probability FROM cs.churn_predictions p
                WHERE p.account_id = a.id AND p.predicted_at <= $2::timestamptz AND p.predicted_at > $16::timestamptz
                ORDER BY p.predicted_at DESC, p.id DESC LIMIT 1) cp ON true
            LEFT JOIN LATERAL (
                SELECT h.score FROM cs.health_scores h
                WHERE h.account_id = a.id AND h.scored_at <= $2::timestamptz AND h.run_id <> $17::uuid
                ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) prev ON true
            WHERE a.id BETWEEN $18 AND $19 AND a.id = ANY($1::bigint[])
            ORDER BY a.id
            """
        }
        var bindings: [any SQLParameter] {
            let w = windows
            return [accountIDs, w.asOf, w.freqFrom, w.recentFrom, w.baselineFrom, w.adoptionFrom, w.scanFrom,
                    HealthStatements.keyFeatures, w.supportFrom, w.npsFrom, w.csatFrom, w.paymentFrom, w.overdueBefore,
                    w.milestones, w.milestoneDays, w.churnFrom, runID.uuidString,
                    accountIDs.min() ?? 0, accountIDs.max() ?? 0, w.lastYearTo, w.lastYearRecentFrom, w.lastYearBaselineFrom]
        }
        func decode(_ row: Row) throws -> AccountMeasures {
            AccountMeasures(
                accountID: try row.decode(Int64.self, 0), tenureDays: try row.decode(Double.self, 1),
                renewalDays: try row.decodeIfPresent(Int.self, 2), activeDays: try row.decode(Int.self, 3),
                recentQuantity: try row.decode(Double.self, 4), baselineQuantity: try row.decode(Double.self, 5),
                featureMask: try row.decode(Int.self, 6), supportLoad: try row.decode(Double.self, 7),
                nps: try row.decodeIfPresent(Int.self, 8), csat: try row.decodeIfPresent(Int.self, 9),
                failedPayments: try row.decode(Int.self, 10), overdueInvoices: try row.decode(Int.self, 11),
                hasInvoices: try row.decode(Bool.self, 12), milestonesExpected: try row.decode(Int.self, 13),
                milestonesDone: try row.decode(Int.self, 14), churnProbability: try row.decodeIfPresent(Double.self, 15),
                previousScore: try row.decodeIfPresent(Double.self, 16),
                lastYearRecentQuantity: try row.decode(Double.self, 17), lastYearBaselineQuantity: try row.decode(Double.self, 18))
        }
    }

    /// One row per account of the batch; a rerun of the same run writes nothing twice. The
    /// components JSON of every row goes as one text joined by newlines (JSON we write has
    /// none), which spares the server parsing a quoted, escaped text[] of ~1 KB elements.
    struct InsertScores: Statement {
        var accountIDs: [Int64] = []
        var scores: [Double] = []
        var bands: [String] = []
        var previousScores: [Double?] = []
        var trends: [Double?] = []
        var components: [String] = []
        var churnProbabilities: [Double?] = []
        var runID: UUID
        var scorecardID: Int64?
        var scoredAt: Date

        mutating func append(_ s: ComputedScore) {
            accountIDs.append(s.accountID); scores.append(s.score); bands.append(s.band.rawValue)
            previousScores.append(s.previousScore); trends.append(s.trend); churnProbabilities.append(s.churnProbability)
            components.append(ComponentsJSON.encode(s.components))
        }
        var sql: String {
            """
            INSERT INTO cs.health_scores (account_id, run_id, scorecard_id, scored_at, score, band, previous_score, trend,
                                          components, churn_probability)
            SELECT u.account_id, $8::uuid, $9::bigint, $10::timestamptz, u.score, u.band, u.prev, u.trend, u.components::jsonb, u.churn
            FROM unnest($1::bigint[], $2::numeric[], $3::text[], $4::numeric[], $5::numeric[], string_to_array($6::text, E'\n'), $7::float8[])
                 AS u (account_id, score, band, prev, trend, components, churn)
            ON CONFLICT (account_id, run_id) DO NOTHING
            """
        }
        var bindings: [any SQLParameter] {
            [accountIDs, scores, bands, previousScores, trends, components.joined(separator: "\n"), churnProbabilities,
             runID.uuidString, scorecardID, scoredAt]
        }
    }

    /// An account's latest two scores, newest first, with the account's name.
    struct LatestTwoScores: Statement {
        struct Scored: Sendable {
            let id: Int64, scoredAt: Date, score: Double, band: String, componentsJSON: String, accountName: String?
        }
        var accountID: Int64
        var sql: String {
            """
            SELECT h.scored_at, h.score::float8, h.band, h.components::text, a.name, h.id
            FROM cs.health_scores h LEFT JOIN cs.accounts a ON a.id = h.account_id
            WHERE h.account_id = $1 ORDER BY h.scored_at DESC, h.id DESC LIMIT 2
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ row: Row) throws -> Scored {
            Scored(id: try row.decode(Int64.self, 5), scoredAt: try row.decode(Date.self, 0), score: try row.decode(Double.self, 1),
                   band: try row.decode(String.self, 2),
                   componentsJSON: try row.decode(String.self, 3), accountName: try row.decodeIfPresent(String.self, 4))
        }
    }

    /// The scorecard called `name`, or the active one when `name` is nil.
    struct LoadScorecard: Statement {
        struct Head: Sendable { let id: Int64, name: String, redBelow: Double, greenAt: Double }
        var name: String?
        var sql: String {
            """
            SELECT id, name, red_below::float8, green_at::float8 FROM cs.scorecards
            WHERE ($1::text IS NULL AND active) OR name = $1::text
            ORDER BY (name = $1::text) DESC NULLS LAST LIMIT 1
            """
        }
        var bindings: [any SQLParameter] { [name] }
        func decode(_ row: Row) throws -> Head {
            Head(id: try row.decode(Int64.self, 0), name: try row.decode(String.self, 1),
                 redBelow: try row.decode(Double.self, 2), greenAt: try row.decode(Double.self, 3))
        }
    }

    /// A scorecard's components as stored (validated by `ScorecardStore`).
    struct ScorecardComponents: Statement {
        struct Stored: Sendable { let key: String, weight: Double, lookbackDays: Int, zeroAt: Double, fullAt: Double, paramsJSON: String }
        var scorecardID: Int64?
        var sql: String {
            """
            SELECT component, weight::float8, lookback_days, zero_at::float8, full_at::float8, params::text
            FROM cs.scorecard_components WHERE scorecard_id = $1 ORDER BY component
            """
        }
        var bindings: [any SQLParameter] { [scorecardID] }
        func decode(_ r: Row) throws -> Stored {
            Stored(key: try r.decode(String.self, 0), weight: try r.decode(Double.self, 1), lookbackDays: try r.decode(Int.self, 2),
                   zeroAt: try r.decode(Double.self, 3), fullAt: try r.decode(Double.self, 4), paramsJSON: try r.decode(String.self, 5))
        }
    }
}
