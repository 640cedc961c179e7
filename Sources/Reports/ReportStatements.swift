// ReportStatements: the Reports module's SQL, one type per statement. The figures
// themselves are computed by the cs.report_<kind> functions of sql/0011_reports.sql.
import Foundation
import PG

enum ReportStatements {
    /// Computes one report: its version-1 JSON document as text.
    struct Compute: Statement {
        var kind: ReportKind
        var period: ReportPeriod
        var parametersJSON: String
        // The function name comes from the closed ReportKind enumeration, never from input.
        var sql: String { "SELECT \(kind.function)($1::date, $2::date, $3::jsonb)::text" }
        var bindings: [any SQLParameter] { [period.from, period.to, parametersJSON] }
        func decode(_ row: Row) throws -> String { try row.decode(String.self, 0) }
    }

    /// Stores a generated report; the same kind, period and parameters replace the old row.
    struct Save: Statement {
        var kind: ReportKind
        var period: ReportPeriod
        var parametersJSON: String
        var documentJSON: String
        var html: String
        var csvJSON: String
        var jobID: Int64?
        var sql: String {
            """
            INSERT INTO cs.reports (kind, period_from, period_to, parameters, figures, html, csv, job_id)
            VALUES ($1, $2::date, $3::date, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8)
            ON CONFLICT (kind, period_from, period_to, parameters) DO UPDATE
            SET figures = EXCLUDED.figures, html = EXCLUDED.html, csv = EXCLUDED.csv,
                job_id = EXCLUDED.job_id, generated_at = now()
            RETURNING id
            """
        }
        var bindings: [any SQLParameter] { [kind.rawValue, period.from, period.to, parametersJSON, documentJSON, html, csvJSON, jobID] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// One stored report: its document, HTML and CSV tables.
    struct Fetch: Statement {
        var id: Int64
        var sql: String { "SELECT figures::text, html, csv::text FROM cs.reports WHERE id = $1" }
        var bindings: [any SQLParameter] { [id] }
        func decode(_ row: Row) throws -> (document: String, html: String, csv: String) {
            (try row.decode(String.self, 0), try row.decode(String.self, 1), try row.decode(String.self, 2))
        }
    }

    /// The newest stored reports, newest first.
    struct List: Statement {
        var limit: Int
        var sql: String {
            """
            SELECT id, kind, period_from::text, period_to::text, parameters::text, generated_at
            FROM cs.reports ORDER BY generated_at DESC, id DESC LIMIT $1
            """
        }
        var bindings: [any SQLParameter] { [limit] }
        func decode(_ row: Row) throws -> StoredReport {
            StoredReport(id: try row.decode(Int64.self, 0), kind: ReportKind(rawValue: try row.decode(String.self, 1)),
                         from: try row.decode(String.self, 2), to: try row.decode(String.self, 3),
                         parametersJSON: try row.decode(String.self, 4), generatedAt: try row.decode(Date.self, 5))
        }
    }

    /// Queues a report's message through the outbox (cs.enqueue_delivery), keyed by report
    /// and generation so a retried job sends it once.
    struct Announce: Statement {
        var channel: String
        var recipient: String?
        var subject: String
        var text: String
        var html: String?
        var idempotencyKey: String
        var sql: String {
            """
            SELECT cs.enqueue_delivery($1, CASE WHEN c.type IN ('smtp', 'email_http', 'sms') THEN $2 END, $3, $4,
                                       CASE WHEN c.type IN ('smtp', 'email_http') THEN $5 END, '{}'::jsonb, $6)
            FROM cs.channels c WHERE c.name = $1 AND c.enabled
            """
        }
        var bindings: [any SQLParameter] { [channel, recipient, subject, text, html, idempotencyKey] }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }
}

/// A row of cs.reports, without its bodies.
public struct StoredReport: Sendable {
    public let id: Int64
    public let kind: ReportKind?
    public let from: String, to: String
    public let parametersJSON: String
    public let generatedAt: Date
}
