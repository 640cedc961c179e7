// InterventionStatements: one set-based statement per rule kind, plus the delivery and
// outcome statements, each a type. Tables are defined in sql/0003_success.sql.
import Foundation
import PG

/// The interventions module's SQL.
enum InterventionStatements {
    /// Enabled rules, by key; `kind` as stored (an unknown kind is skipped with a warning).
    struct EnabledRules: Statement {
        var sql: String { "SELECT key, kind FROM cs.intervention_rules WHERE enabled ORDER BY key" }
        func decode(_ row: Row) throws -> (key: String, kind: String) { (try row.decode(String.self, 0), try row.decode(String.self, 1)) }
    }

    /// Serialises evaluations so two workers never raise the same intervention twice.
    struct EvaluationLock: Statement {
        var sql: String { "SELECT pg_advisory_xact_lock(hashtext('cs.evaluate_interventions'))" }
    }

    /// An evaluation of some accounts only: shares the whole-evaluation lock (so it never runs
    /// beside a full one) and holds one lock per account, taken in id order (no deadlock).
    struct AccountEvaluationLock: Statement {
        var accountIDs: [Int64]
        var sql: String {
            """
            SELECT pg_advisory_xact_lock_shared(hashtext('cs.evaluate_interventions')),
                   (SELECT count(pg_advisory_xact_lock(hashtext('cs.evaluate_interventions'), hashtext(a::text)))
                    FROM (SELECT DISTINCT a FROM unnest($1::bigint[]) AS u (a) ORDER BY a) s)
            """
        }
        var bindings: [any SQLParameter] { [accountIDs] }
    }

    /// Raises the interventions of rule `ruleKey` (of `kind`): reads the rule's params from
    /// cs.intervention_rules, finds every matching active account at once, skips accounts in
    /// the rule's cool-down, and inserts the interventions, returning their ids and whether
    /// each is in the control arm (held out: recorded, never sent).
    /// With `accountIDs`, only those accounts are considered (a rescore's evaluation).
    struct RaiseInterventions: Statement {
        var kind: InterventionKind
        var ruleKey: String
        var accountIDs: [Int64]? = nil
        var sql: String { InterventionStatements.insert(InterventionStatements.candidates(for: kind, scoped: accountIDs != nil)) }
        var bindings: [any SQLParameter] { accountIDs.map { [ruleKey, $0] } ?? [ruleKey] }
        func decode(_ row: Row) throws -> (id: Int64, control: Bool) { (try row.decode(Int64.self, 0), try row.decode(Bool.self, 1)) }
    }

    /// Queues one message per intervention in `ids` through cs.enqueue_delivery (the outbox),
    /// in the caller's transaction, and links it; returns the ids that got a delivery.
    /// Interventions whose channel is missing or disabled keep delivery_id NULL.
    struct QueueDeliveries: Statement {
        var interventionIDs: [Int64]
        var sql: String { InterventionStatements.deliver }
        var bindings: [any SQLParameter] { [interventionIDs] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Records outcomes of open interventions: churned (within `followUpDays`), recovered (a
    /// later score within the window in yellow or green), or no change once the window ended.
    struct RecordOutcomes: Statement {
        var followUpDays: Int
        var now: Date
        var sql: String { InterventionStatements.outcomes }
        var bindings: [any SQLParameter] { [followUpDays, now] }
        func decode(_ row: Row) throws -> InterventionOutcome? { InterventionOutcome(rawValue: try row.decode(String.self, 0)) }
    }

    /// The common tail: cool-down filter and insert. `cand` has account_id, reason, score, band.
    private static func insert(_ candidates: String) -> String {
        """
        WITH r AS (SELECT * FROM cs.intervention_rules WHERE key = $1 AND enabled),
        cand (account_id, reason, score, band) AS (\(candidates))
        INSERT INTO cs.interventions (account_id, rule, reason, owner, channel, score, band, arm, variant)
        SELECT c.account_id, r.key, c.reason, coalesce(r.owner, a.csm), r.channel, c.score, c.band,
               cs.intervention_arm(c.account_id, r.key, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), r.control_fraction),
               cs.intervention_variant(c.account_id, r.key, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), r.variants)
        FROM cand c CROSS JOIN r JOIN cs.accounts a ON a.id = c.account_id
        WHERE a.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM cs.interventions i
                          WHERE i.account_id = c.account_id AND i.rule = r.key
                            AND i.created_at > now() - r.cooldown_days * interval '1 day')
        RETURNING id, arm = 'control'
        """
    }

    /// The latest score of every active account (`l`), optionally with the one before (`p`).
    private static let latest = """
        FROM cs.accounts a
        CROSS JOIN LATERAL (SELECT h.id, h.score, h.band, h.scored_at FROM cs.health_scores h WHERE h.account_id = a.id
                            ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) l
        """
    private static let latestOptional = """
        FROM cs.accounts a
        LEFT JOIN LATERAL (SELECT h.id, h.score, h.band, h.scored_at FROM cs.health_scores h WHERE h.account_id = a.id
                           ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) l ON true
        """

    /// Candidates per rule kind. A red band is acted on while the latest score is red (the
    /// cool-down spaces the reminders), not only when the last two scores differ: a signal's
    /// rescore and a batch run can both land before an evaluation, and the drop must not be
    /// lost between them. The reason names the last score that was not red.
    /// `scoped`: only the accounts in $2, filtered where each candidate query reads its rows
    /// (so one account's evaluation walks that account's rows only).
    private static func candidates(for kind: InterventionKind, scoped: Bool) -> String {
        let account = scoped ? " AND a.id = ANY($2::bigint[])" : ""
        let rows = scoped ? " AND account_id = ANY($2::bigint[])" : ""
        switch kind {
        case .bandDroppedToRed:
            return """
                SELECT a.id AS account_id,
                       format('health %s, down from %s', l.score, coalesce(p.score::text || ' (' || p.band || ')', 'red since its first score')) AS reason,
                       l.score, l.band
                \(latest)
                LEFT JOIN LATERAL (SELECT h.score, h.band FROM cs.health_scores h
                                   WHERE h.account_id = a.id AND (h.scored_at, h.id) < (l.scored_at, l.id) AND h.band <> 'red'
                                   ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) p ON true
                WHERE a.status = 'active' AND l.band = 'red'\(account)
                """
        case .scoreFell:
            return """
                SELECT a.id, format('score fell %s points in %s days (from %s to %s)', round(w.top - l.score, 1),
                                    (SELECT params->>'days' FROM r), w.top, l.score), l.score, l.band
                \(latest)
                CROSS JOIN LATERAL (SELECT max(h.score) AS top FROM cs.health_scores h
                                    WHERE h.account_id = a.id AND h.scored_at < l.scored_at
                                      AND h.scored_at >= l.scored_at - (SELECT (params->>'days')::int FROM r) * interval '1 day') w
                WHERE a.status = 'active' AND w.top - l.score >= (SELECT (params->>'points')::numeric FROM r)\(account)
                """
        case .churnRiskAbove:
            return """
                SELECT a.id, format('churn probability %s%%', round((cp.probability * 100)::numeric, 1)), l.score, l.band
                \(latestOptional)
                CROSS JOIN LATERAL (SELECT p.probability FROM cs.churn_predictions p WHERE p.account_id = a.id
                                    ORDER BY p.predicted_at DESC, p.id DESC LIMIT 1) cp
                WHERE a.status = 'active' AND cp.probability > (SELECT (params->>'probability')::float8 FROM r)\(account)
                """
        case .paymentFailed:
            return """
                SELECT a.id, format('%s failed payment(s) in the last %s days, %s unpaid', f.n, (SELECT params->>'days' FROM r), f.unpaid),
                       l.score, l.band
                FROM (SELECT account_id, count(*) AS n, count(*) FILTER (WHERE paid_at IS NULL) AS unpaid FROM cs.invoices
                      WHERE failed_at > now() - (SELECT (params->>'days')::int FROM r) * interval '1 day'\(rows)
                      GROUP BY account_id) f
                JOIN cs.accounts a ON a.id = f.account_id
                LEFT JOIN LATERAL (SELECT h.score, h.band FROM cs.health_scores h WHERE h.account_id = a.id
                                   ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) l ON true
                WHERE f.unpaid > 0
                """
        case .milestoneStalled:
            return """
                SELECT a.id, format('%s not reached %s days after sign-up', (SELECT params->>'milestone' FROM r),
                                    floor(extract(epoch FROM now() - a.signed_up_at) / 86400)), l.score, l.band
                \(latestOptional)
                WHERE a.status = 'active'\(account)
                  AND a.signed_up_at < now() - (SELECT (params->>'days')::int FROM r) * interval '1 day'
                  AND NOT EXISTS (SELECT 1 FROM cs.milestones m WHERE m.account_id = a.id
                                  AND m.milestone = (SELECT params->>'milestone' FROM r))
                """
        case .npsDetractor:
            return """
                SELECT a.id, format('NPS %s answered %s', s.score, to_char(s.answered_at, 'YYYY-MM-DD')), l.score, l.band
                FROM (SELECT DISTINCT ON (account_id) account_id, score, answered_at FROM cs.surveys
                      WHERE kind = 'nps' AND answered_at > now() - (SELECT (params->>'days')::int FROM r) * interval '1 day'\(rows)
                      ORDER BY account_id, answered_at DESC, id DESC) s
                JOIN cs.accounts a ON a.id = s.account_id
                LEFT JOIN LATERAL (SELECT h.score, h.band FROM cs.health_scores h WHERE h.account_id = a.id
                                   ORDER BY h.scored_at DESC, h.id DESC LIMIT 1) l ON true
                WHERE s.score <= coalesce((SELECT (params->>'max_score')::int FROM r), 6)
                """
        case .renewalSoonUnhealthy:
            return """
                SELECT a.id, format('renewal on %s, band %s', a.renewal_date, l.band), l.score, l.band
                \(latest)
                WHERE a.status = 'active' AND l.band <> 'green'\(account)
                  AND a.renewal_date BETWEEN current_date AND current_date + (SELECT (params->>'days')::int FROM r)
                """
        }
    }

    /// A rule's variant (cs.interventions.variant) replaces its subject and body where it
    /// has them. Control-arm interventions are never sent.
    /// Values from the host application's rows go through cs.template_value for the channel
    /// that carries them (sql/0006_template_values.sql): Slack's mrkdwn is escaped, email and
    /// SMS text loses control characters. Templates themselves are the operator's.
    private static let deliver = """
        UPDATE cs.interventions i
        SET delivery_id = cs.enqueue_delivery(
                i.channel,
                CASE WHEN c.type IN ('smtp', 'email_http', 'sms') THEN coalesce(r.recipient, a.csm) END,
                replace(replace(replace(replace(replace(replace(coalesce((SELECT e->>'subject' FROM jsonb_array_elements(r.variants) e WHERE e->>'key' = i.variant LIMIT 1), r.subject),
                    '{{account_name}}', cs.template_value(c.type, a.name)), '{{account_id}}', a.id::text), '{{score}}', coalesce(i.score::text, 'unscored')),
                    '{{band}}', coalesce(i.band, 'unscored')), '{{reason}}', cs.template_value(c.type, i.reason)), '{{owner}}', cs.template_value(c.type, coalesce(i.owner, 'unassigned'))),
                replace(replace(replace(replace(replace(replace(coalesce((SELECT e->>'body' FROM jsonb_array_elements(r.variants) e WHERE e->>'key' = i.variant LIMIT 1), r.body),
                    '{{account_name}}', cs.template_value(c.type, a.name)), '{{account_id}}', a.id::text), '{{score}}', coalesce(i.score::text, 'unscored')),
                    '{{band}}', coalesce(i.band, 'unscored')), '{{reason}}', cs.template_value(c.type, i.reason)), '{{owner}}', cs.template_value(c.type, coalesce(i.owner, 'unassigned'))),
                NULL,
                jsonb_build_object('intervention_id', i.id, 'rule', i.rule, 'account_id', i.account_id,
                                   'score', i.score, 'band', i.band),
                'intervention:' || i.id, i.account_id, NULL, i.id)
        FROM cs.intervention_rules r, cs.accounts a, cs.channels c
        WHERE i.id = ANY($1::bigint[]) AND i.delivery_id IS NULL AND i.arm = 'treated' AND r.key = i.rule AND a.id = i.account_id
          AND c.name = i.channel AND c.enabled
        RETURNING i.id
        """

    /// $1 = follow-up days, $2 = now.
    private static let outcomes = """
        UPDATE cs.interventions i SET outcome = o.outcome, outcome_at = o.at
        FROM (
            SELECT i.id,
                   CASE WHEN a.status = 'churned' AND a.churned_at >= i.created_at
                             AND a.churned_at <= i.created_at + $1 * interval '1 day' THEN 'churned'
                        WHEN rec.scored_at IS NOT NULL THEN 'recovered'
                        WHEN i.created_at + $1 * interval '1 day' < $2::timestamptz THEN 'no_change' END AS outcome,
                   CASE WHEN a.status = 'churned' AND a.churned_at >= i.created_at
                             AND a.churned_at <= i.created_at + $1 * interval '1 day' THEN a.churned_at
                        WHEN rec.scored_at IS NOT NULL THEN rec.scored_at
                        ELSE $2::timestamptz END AS at
            FROM cs.interventions i
            JOIN cs.accounts a ON a.id = i.account_id
            LEFT JOIN LATERAL (SELECT h.scored_at FROM cs.health_scores h
                               WHERE h.account_id = i.account_id AND h.scored_at > i.created_at
                                 AND h.scored_at <= least(i.created_at + $1 * interval '1 day', $2::timestamptz)
                                 AND h.band IN ('yellow', 'green')
                               ORDER BY h.scored_at LIMIT 1) rec ON true
            WHERE i.outcome IS NULL
        ) o
        WHERE o.id = i.id AND o.outcome IS NOT NULL
        RETURNING i.outcome
        """
}
