// ScoringSQL: the set-based statements behind health scoring, in one place.
import Foundation

/// Statements for `HealthScorer`. Every measure of a batch of accounts comes from one
/// statement (`measures`), grouped per account with FILTER; results go back with one
/// multi-row INSERT per batch (`insertScores`, unnest of arrays).
enum ScoringSQL {
    /// The events that count as key features for `feature_adoption` (bit i of the mask).
    static let keyFeatures = [
        "client_imported", "form_sent", "questionnaire_sent", "booking_created", "contract_signed",
        "message_sent", "journey_started", "calendar_synced", "invoice_sent",
    ]

    /// Accounts that exist at `$1` and had not churned by then.
    static let eligibleAccounts = """
        SELECT id FROM cs.accounts
        WHERE signed_up_at <= $1::timestamptz AND (churned_at IS NULL OR churned_at > $1::timestamptz)
        ORDER BY id
        """

    /// Raw measures for the accounts in `$1` as of `$2`. Window starts are passed in as
    /// timestamps so no interval is computed per row:
    /// $3 frequency, $4 recent (trend), $5 baseline (trend), $6 adoption, $7 earliest of them,
    /// $8 key features, $9 support, $10 nps, $11 csat, $12 payment, $13 overdue-before,
    /// $14/$15 milestone schedule (names, due days), $16 churn prediction, $17 current run,
    /// $18/$19 the smallest and largest id of the batch (a range the indexes can use).
    static let measures = """
        WITH d AS (
            SELECT account_id, date_trunc('day', occurred_at) AS day,
                   bool_or(occurred_at > $3::timestamptz) AS in_freq,
                   sum(quantity) FILTER (WHERE occurred_at > $4::timestamptz) AS recent,
                   sum(quantity) FILTER (WHERE occurred_at <= $4::timestamptz AND occurred_at > $5::timestamptz) AS base,
                   bit_or(1 << (array_position($8::text[], event) - 1))
                       FILTER (WHERE occurred_at > $6::timestamptz AND event = ANY($8::text[])) AS mask
            FROM cs.activity
            WHERE account_id BETWEEN $18 AND $19 AND account_id = ANY($1::bigint[]) AND occurred_at > $7::timestamptz AND occurred_at <= $2::timestamptz
            GROUP BY 1, 2
        ), act AS (
            SELECT account_id, count(*) FILTER (WHERE in_freq) AS active_days,
                   coalesce(sum(recent), 0) AS recent, coalesce(sum(base), 0) AS base, bit_or(mask) AS mask
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
               cp.probability, prev.score::float8 AS previous_score
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

    /// One row per account of the batch; a rerun of the same run writes nothing twice.
    /// `$6` is the components JSON of every row joined by newlines (JSON we write has none),
    /// which spares the server parsing a quoted, escaped text[] of ~1 KB elements.
    static let insertScores = """
        INSERT INTO cs.health_scores (account_id, run_id, scorecard_id, scored_at, score, band, previous_score, trend,
                                      components, churn_probability)
        SELECT u.account_id, $8::uuid, $9::bigint, $10::timestamptz, u.score, u.band, u.prev, u.trend, u.components::jsonb, u.churn
        FROM unnest($1::bigint[], $2::numeric[], $3::text[], $4::numeric[], $5::numeric[], string_to_array($6::text, E'\n'), $7::float8[])
             AS u (account_id, score, band, prev, trend, components, churn)
        ON CONFLICT (account_id, run_id) DO NOTHING
        """
}
