// DemoStatements: the demo's SQL — the seeder's COPY targets and bookkeeping, and the
// summary the demo run prints — one type each.
import Foundation
import PG

enum DemoStatements {
    // MARK: - Seeding

    /// The COPY of each input table, in the order the simulator fills its buffers.
    static let copies: [(table: String, copy: String)] = [
        ("accounts", "COPY cs.accounts (id, name, plan, mrr, currency, signed_up_at, renewal_date, segment, region, status, churned_at, csm) FROM STDIN"),
        ("contacts", "COPY cs.contacts (id, account_id, name, email, phone, role, consent_marketing, consent_product) FROM STDIN"),
        ("activity", "COPY cs.activity (account_id, occurred_at, event, quantity) FROM STDIN"),
        ("tickets", "COPY cs.tickets (account_id, opened_at, closed_at, priority, csat) FROM STDIN"),
        ("surveys", "COPY cs.surveys (account_id, contact_id, kind, score, answered_at) FROM STDIN"),
        ("invoices", "COPY cs.invoices (account_id, due_at, amount, paid_at, failed_at, status) FROM STDIN"),
        ("milestones", "COPY cs.milestones (account_id, milestone, completed_at) FROM STDIN"),
        ("mrr_changes", "COPY cs.mrr_changes (account_id, effective_at, mrr_before, mrr_after, currency, kind) FROM STDIN"),
    ]

    /// The seeder writes the MRR history itself: the accounts trigger stands aside.
    struct ManualMRRHistory: Statement {
        var sql: String { "SET LOCAL cs.mrr_history = 'manual'" }
    }

    /// A collection failing now for one active account that has no failure yet (the demo's
    /// signal): returns the account.
    struct FailAnInvoice: Statement {
        var sql: String {
            """
            INSERT INTO cs.invoices (account_id, due_at, amount, failed_at, status)
            SELECT a.id, now() - interval '1 day', a.mrr, now(), 'failed' FROM cs.accounts a
            WHERE a.status = 'active' AND NOT EXISTS (SELECT 1 FROM cs.invoices i WHERE i.account_id = a.id AND i.failed_at IS NOT NULL)
            ORDER BY a.id LIMIT 1
            RETURNING account_id
            """
        }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// The demo's signal: its rule, how long until the account's score was written, and
    /// whether a message for it was sent.
    struct SignalOutcome: Statement {
        var accountID: Int64
        var sql: String {
            """
            SELECT s.rule, s.detail, extract(epoch FROM h.created_at - s.occurred_at)::float8 * 1000,
                   (SELECT string_agg(i.rule || ' → ' || coalesce(d.status, 'not queued'), ', ') FROM cs.interventions i
                    LEFT JOIN cs.deliveries d ON d.id = i.delivery_id WHERE i.account_id = s.account_id AND i.created_at >= s.occurred_at)
            FROM cs.signals s LEFT JOIN cs.health_scores h ON h.id = s.health_score_id
            WHERE s.account_id = $1 ORDER BY s.id DESC LIMIT 1
            """
        }
        var bindings: [any SQLParameter] { [accountID] }
        func decode(_ row: Row) throws -> (rule: String, detail: String, scoredAfterMs: Double?, actions: String?) {
            (try row.decode(String.self, 0), try row.decode(String.self, 1), try row.decodeIfPresent(Double.self, 2),
             try row.decodeIfPresent(String.self, 3))
        }
    }

    /// A seeded year of behaviour is history, not news: no signals (sql/0019_signals.sql)
    /// and so no rescoring job per account while it loads. Rollups are kept as usual.
    struct HistoryRaisesNoSignals: Statement {
        var sql: String { "SET LOCAL cs.signals = 'off'" }
    }

    /// Exchange rates into GBP for the demo's four currencies (illustrative, not market
    /// data), only while GBP is the reporting currency; an operator's own rates are kept.
    struct DemoCurrencyRates: Statement {
        var sql: String {
            """
            INSERT INTO cs.currency_rates (currency, to_reporting)
            SELECT v.c, v.r FROM (VALUES ('USD', 0.79), ('EUR', 0.85), ('AUD', 0.52)) AS v (c, r)
            WHERE (SELECT reporting_currency FROM cs.report_settings) = 'GBP'
            ON CONFLICT (currency) DO NOTHING
            """
        }
    }


    /// Demo rows are recomputable: a chunk's commit does not wait for fsync.
    struct AsyncCommit: Statement {
        var sql: String { "SET LOCAL synchronous_commit = off" }
    }

    struct MaxAccountID: Statement {
        var sql: String { "SELECT coalesce(max(id), 0) FROM cs.accounts" }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Keeps the contacts identity ahead of the ids the seeder chose.
    struct ResyncContactIDs: Statement {
        var sql: String { "SELECT setval(pg_get_serial_sequence('cs.contacts', 'id'), greatest((SELECT max(id) FROM cs.contacts), 1))" }
    }

    /// Fresh planner statistics after a bulk load (a script: ANALYZE takes no parameters).
    static let analyzeInputs = "ANALYZE cs.accounts, cs.contacts, cs.activity, cs.tickets, cs.surveys, cs.invoices, cs.milestones, cs.mrr_changes"

    // MARK: - The demo run's summary

    struct AccountCount: Statement {
        var sql: String { "SELECT count(*) FROM cs.accounts" }
        func decode(_ row: Row) throws -> Int { try row.decode(Int.self, 0) }
    }

    struct Champion: Statement {
        struct Figures: Sendable { let id: Int64, algorithm: String, trainRows: Int, testRows: Int, rocAUC: Double?, prAUC: Double? }
        var sql: String {
            """
            SELECT id, algorithm, train_rows, test_rows, (metrics->>'roc_auc')::float8, (metrics->>'pr_auc')::float8
            FROM cs.models WHERE status = 'champion'
            """
        }
        func decode(_ m: Row) throws -> Figures {
            Figures(id: try m.decode(Int64.self, 0), algorithm: try m.decode(String.self, 1), trainRows: try m.decode(Int.self, 2),
                    testRows: try m.decode(Int.self, 3), rocAUC: try m.decodeIfPresent(Double.self, 4), prAUC: try m.decodeIfPresent(Double.self, 5))
        }
    }

    /// Latest score per account: how many, the mean, and per band.
    struct LatestScores: Statement {
        struct Figures: Sendable { let accounts: Int, mean: Double?, red: Int, yellow: Int, green: Int }
        var sql: String {
            """
            WITH latest AS (SELECT DISTINCT ON (account_id) account_id, score, band FROM cs.health_scores
                            ORDER BY account_id, scored_at DESC, id DESC)
            SELECT count(*), round(avg(score)::numeric, 1)::float8,
                   count(*) FILTER (WHERE band = 'red'), count(*) FILTER (WHERE band = 'yellow'),
                   count(*) FILTER (WHERE band = 'green')
            FROM latest
            """
        }
        func decode(_ r: Row) throws -> Figures {
            Figures(accounts: try r.decode(Int.self, 0), mean: try r.decodeIfPresent(Double.self, 1), red: try r.decode(Int.self, 2),
                    yellow: try r.decode(Int.self, 3), green: try r.decode(Int.self, 4))
        }
    }

    struct Predictions: Statement {
        var sql: String { "SELECT count(DISTINCT account_id), round(avg(probability)::numeric, 3)::float8 FROM cs.churn_predictions" }
        func decode(_ r: Row) throws -> (accounts: Int, meanProbability: Double?) {
            (try r.decode(Int.self, 0), try r.decodeIfPresent(Double.self, 1))
        }
    }

    /// A count per group, for the summary's tallies.
    struct Tally: Statement {
        enum Of: Sendable { case interventionsByRule, deliveriesByChannelAndStatus, jobsByKindAndState }
        var of: Of
        var sql: String {
            switch of {
            case .interventionsByRule: return "SELECT rule, count(*) FROM cs.interventions GROUP BY rule ORDER BY 2 DESC"
            case .deliveriesByChannelAndStatus: return "SELECT channel || ' ' || status, count(*) FROM cs.deliveries GROUP BY channel, status ORDER BY 1"
            case .jobsByKindAndState: return "SELECT kind || '=' || state::text, count(*) FROM cs.jobs GROUP BY kind, state ORDER BY 1"
            }
        }
        func decode(_ r: Row) throws -> (group: String, count: Int) { (try r.decode(String.self, 0), try r.decode(Int.self, 1)) }
    }
}
