// Least-privilege roles: a login role granted each group may do what the group is for, and
// everything else fails with SQLSTATE 42501.
import Foundation
import PG
import Testing
import TestSupport

@Suite(.serialized) struct RoleTests {
    /// Runs `body` with a connection logged in as a fresh role that is a member of `group`.
    static func asMember(of group: String, in db: TestDatabase, _ body: (Connection) async throws -> Void) async throws {
        let login = "t_\(group)_\(UUID().uuidString.prefix(8).lowercased())"
        try await db.database.execute("CREATE ROLE \(login) LOGIN IN ROLE \(group)")
        defer { Task { _ = try? await db.database.execute("DROP ROLE IF EXISTS \(login)") } }
        let url = db.url.replacingOccurrences(of: "postgres@", with: "\(login)@")
        guard url != db.url else { throw TestSetupError("the test database URL names no postgres@ user to swap for \(login)") }
        let conn = try await Connection.connect(url: url, logger: TestEnvironment.logger)
        do { try await body(conn) } catch { await conn.close(); throw error }
        await conn.close()
    }

    static func allowed(_ c: Connection, _ sql: String) async throws {
        do { _ = try await c.query(sql) } catch let e as PGError {
            Issue.record("\(sql) should be allowed: \(e)")
        }
    }

    static func refused(_ c: Connection, _ sql: String) async throws {
        do {
            _ = try await c.query(sql)
            Issue.record("\(sql) should be refused")
        } catch let e as PGError {
            #expect(e.sqlState == "42501", "\(sql): \(e)")
        }
    }

    @Test func eachRoleMayDoItsJobAndNothingElse() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'Acme Bridal', now())")
            try await d.execute("INSERT INTO cs.contacts (account_id, name, email) VALUES (1, 'Ann', 'ann@example.test')")
            let job = try await d.query("INSERT INTO cs.jobs (kind, state, attempt, finalized_at) VALUES ('noop', 'discarded', 1, now()) RETURNING id")[0].decode(Int64.self, 0)

            try await Self.asMember(of: "cs_enqueuer", in: db) { c in
                try await Self.allowed(c, "INSERT INTO cs.jobs (kind, args) VALUES ('noop', '{}') RETURNING id")
                try await Self.allowed(c, "SELECT cs.enqueue('noop')")
                try await Self.allowed(c, "SELECT cs.request_export('account', 1)")
                try await Self.refused(c, "SELECT * FROM cs.jobs")
                try await Self.refused(c, "SELECT * FROM cs.contacts")
                try await Self.refused(c, "SELECT cs.retry_job(\(job))")
                try await Self.refused(c, "DELETE FROM cs.jobs")
            }
            try await Self.asMember(of: "cs_writer", in: db) { c in
                try await Self.allowed(c, "INSERT INTO cs.accounts (id, name, signed_up_at, mrr) VALUES (2, 'Bloom', now(), 30)")
                try await Self.allowed(c, "UPDATE cs.accounts SET mrr = 40 WHERE id = 2")
                try await Self.allowed(c, "INSERT INTO cs.activity (account_id, event, occurred_at) VALUES (2, 'login', now())")
                try await Self.refused(c, "SELECT * FROM cs.jobs")
                try await Self.refused(c, "UPDATE cs.health_scores SET score = 0")
                try await Self.refused(c, "SELECT * FROM cs.audit_log")
            }
            try await Self.asMember(of: "cs_worker", in: db) { c in
                try await Self.allowed(c, "SELECT count(*) FROM cs.jobs")
                try await Self.allowed(c, "UPDATE cs.jobs SET priority = priority WHERE id = \(job)")
                try await Self.allowed(c, "SELECT count(*) FROM cs.contacts")
                try await Self.allowed(c, "SELECT cs.audit('test', 'job', '1')")
                try await Self.refused(c, "SELECT * FROM cs.audit_log")
                try await Self.refused(c, "DROP TABLE cs.activity")
            }
            try await Self.asMember(of: "cs_operator", in: db) { c in
                try await Self.allowed(c, "SELECT * FROM cs.queue_overview")
                try await Self.allowed(c, "SELECT * FROM cs.reports")
                try await Self.allowed(c, "SELECT cs.retry_job(\(job))")
                try await Self.allowed(c, "SELECT cs.pause_queue('default', 'olivia')")
                try await Self.refused(c, "SELECT * FROM cs.contacts")
                try await Self.refused(c, "SELECT body_text FROM cs.deliveries")
                try await Self.refused(c, "INSERT INTO cs.jobs (kind) VALUES ('noop')")
            }
            try await Self.asMember(of: "cs_auditor", in: db) { c in
                try await Self.allowed(c, "SELECT * FROM cs.audit_log")
                try await Self.allowed(c, "SELECT * FROM cs.privacy_requests")
                try await Self.refused(c, "SELECT * FROM cs.jobs")
                try await Self.refused(c, "SELECT * FROM cs.contacts")
            }
        }
    }
}
