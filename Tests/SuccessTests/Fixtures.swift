// Fixtures: small hand-made accounts and a hand-checkable scorecard for the Success tests.
import Foundation
import PG
import Churn
import Demo
import Health
import Interventions
import Success
import TestSupport

enum Fixtures {
    /// The moment every hand-computed case is scored at.
    static let asOf = Date(timeIntervalSince1970: 1_768_478_400) // 2026-01-15 12:00:00 UTC

    /// A scorecard small enough to compute by hand: usage_frequency w2 (0→10 days),
    /// support_load w1 (10→0), payment_health w1 (4→0, 7 days grace), nps w1 (0→10).
    static func installHandScorecard(_ db: Database, active: Bool = true) async throws {
        try await db.execute("UPDATE cs.scorecards SET active = false")
        try await db.execute("INSERT INTO cs.scorecards (name, active, red_below, green_at) VALUES ('hand', $1, 40, 70)", [active])
        try await db.execute("""
            INSERT INTO cs.scorecard_components (scorecard_id, component, weight, lookback_days, zero_at, full_at, params)
            SELECT s.id, c.component, c.weight, c.days, c.zero_at, c.full_at, c.params::jsonb
            FROM cs.scorecards s, (VALUES ('usage_frequency', 2, 30, 0, 10, '{}'), ('support_load', 1, 365, 10, 0, '{}'),
                                          ('payment_health', 1, 90, 4, 0, '{"grace_days": 7}'), ('nps', 1, 365, 0, 10, '{}'))
                                  AS c (component, weight, days, zero_at, full_at, params)
            WHERE s.name = 'hand'
            """)
    }

    /// Inserts an account that signed up `tenureDays` before `asOf`.
    static func account(_ db: Database, id: Int64, tenureDays: Double, name: String? = nil, csm: String = "csm1@example.test") async throws {
        try await db.execute("""
            INSERT INTO cs.accounts (id, name, plan, mrr, signed_up_at, csm)
            VALUES ($1, $2, 'pro', 59, $3::timestamptz - $4 * interval '1 day', $5)
            """, [id, name ?? "Account \(id)", asOf, tenureDays, csm])
    }

    /// One activity row `daysAgo` days before `asOf`.
    static func activity(_ db: Database, _ id: Int64, daysAgo: Double, event: String = "login", quantity: Int = 1) async throws {
        try await db.execute("INSERT INTO cs.activity (account_id, occurred_at, event, quantity) VALUES ($1, $2::timestamptz - $3 * interval '1 day', $4, $5)",
                             [id, asOf, daysAgo, event, quantity])
    }

    static func ticket(_ db: Database, _ id: Int64, openedDaysAgo: Double, closedDaysAgo: Double? = nil, priority: String) async throws {
        try await db.execute("""
            INSERT INTO cs.tickets (account_id, opened_at, closed_at, priority)
            VALUES ($1, $2::timestamptz - $3 * interval '1 day', $2::timestamptz - $4 * interval '1 day', $5)
            """, [id, asOf, openedDaysAgo, closedDaysAgo, priority])
    }

    static func invoice(_ db: Database, _ id: Int64, dueDaysAgo: Double, paidDaysAgo: Double? = nil, failedDaysAgo: Double? = nil) async throws {
        try await db.execute("""
            INSERT INTO cs.invoices (account_id, due_at, amount, paid_at, failed_at, status)
            VALUES ($1, $2::timestamptz - $3 * interval '1 day', 59, $2::timestamptz - $4 * interval '1 day',
                    $2::timestamptz - $5 * interval '1 day', CASE WHEN $4::float8 IS NOT NULL THEN 'paid' ELSE 'open' END)
            """, [id, asOf, dueDaysAgo, paidDaysAgo, failedDaysAgo])
    }

    static func nps(_ db: Database, _ id: Int64, score: Int, daysAgo: Double) async throws {
        try await db.execute("INSERT INTO cs.surveys (account_id, kind, score, answered_at) VALUES ($1, 'nps', $2, $3::timestamptz - $4 * interval '1 day')",
                             [id, score, asOf, daysAgo])
    }

    /// Account 4: no usage, an urgent ticket open 90 days, two invoices overdue: scores 0 (red).
    static func redAccount(_ db: Database, id: Int64 = 4) async throws {
        try await account(db, id: id, tenureDays: 400, name: "Failing Florals")
        try await ticket(db, id, openedDaysAgo: 90, priority: "urgent")
        try await invoice(db, id, dueDaysAgo: 40)
        try await invoice(db, id, dueDaysAgo: 10)
    }
}
