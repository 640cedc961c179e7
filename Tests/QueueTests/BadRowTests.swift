// Odd rows inserted by SQL: the schema refuses what no worker could run, and rows written
// before those checks are repaired by the migration, each alone.
import Foundation
import PG
import Queue
import Testing
import TestSupport

@Suite struct BadRowTests {
    static let refused: [(String, String)] = [
        ("run_at = infinity", "INSERT INTO cs.jobs (kind, run_at) VALUES ('probe', 'infinity')"),
        ("run_at = -infinity", "INSERT INTO cs.jobs (kind, run_at) VALUES ('probe', '-infinity')"),
        ("year 10000", "INSERT INTO cs.jobs (kind, run_at) VALUES ('probe', '10000-01-01')"),
        ("attempt 32767", "INSERT INTO cs.jobs (kind, attempt) VALUES ('probe', 32767)"),
        ("attempt below 0", "INSERT INTO cs.jobs (kind, attempt) VALUES ('probe', -1)"),
        ("no attempt left", "INSERT INTO cs.jobs (kind, attempt, max_attempts) VALUES ('probe', 3, 3)"),
        ("max_attempts 32767", "INSERT INTO cs.jobs (kind, max_attempts) VALUES ('probe', 32767)"),
        ("running, no start", "INSERT INTO cs.jobs (kind, state, worker_id) VALUES ('probe', 'running', 'w')"),
        ("running, no worker", "INSERT INTO cs.jobs (kind, state, attempted_at) VALUES ('probe', 'running', now())"),
    ]

    @Test func theSchemaRefusesRowsNoWorkerCouldRun() async throws {
        try await TestDatabase.with { db in
            for (what, sql) in Self.refused {
                let error = await #expect(throws: PGError.self, "\(what)") { try await db.database.execute(sql) }
                #expect(error?.sqlState == "23514" || error?.sqlState == "22008", "\(what): \(error.map { "\($0)" } ?? "")")
            }
            // The queue and the views still work.
            try await db.database.execute("INSERT INTO cs.jobs (kind, args, queue) VALUES ('probe', '{}', 'fine')")
            _ = try await db.database.query("SELECT * FROM cs.queue_overview")
            _ = try await db.database.query("SELECT * FROM cs.stuck_jobs")
            #expect(try await db.database.count("SELECT count(*) FROM cs.jobs") == 1)
        }
    }

    @Test func rowsWrittenBeforeTheChecksAreRepairedAloneByTheMigration() async throws {
        let admin = try await Connection.connect(url: try TestEnvironment.adminURL, logger: TestEnvironment.logger)
        let name = "t_rep_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await admin.executeScript("CREATE DATABASE \(name)")
        let url = DatabaseURL.replacingDatabase(in: try TestEnvironment.adminURL, with: name)
        let conn = try await Connection.connect(url: url, logger: TestEnvironment.logger)
        let all = try Migrator(directory: try #require(Migrator.locateDirectory()), logger: TestEnvironment.logger)
        let checks = try #require(all.migrations.first { $0.name == "job_row_checks" })
        try await Migrator(migrations: all.migrations.filter { $0.version < checks.version }, logger: TestEnvironment.logger).migrate(conn)
        try await conn.executeScript("""
            INSERT INTO cs.jobs (kind, queue) VALUES ('probe', 'good');
            INSERT INTO cs.jobs (kind, run_at) VALUES ('probe', 'infinity');
            INSERT INTO cs.jobs (kind, run_at) VALUES ('probe', '-infinity');
            INSERT INTO cs.jobs (kind, attempt) VALUES ('probe', 32767);
            INSERT INTO cs.jobs (kind, state, worker_id) VALUES ('probe', 'running', 'gone');
            """)
        try await all.migrate(conn)
        let rows = try await conn.query("SELECT queue, state::text, jsonb_array_length(errors), worker_id IS NOT NULL AND attempted_at IS NOT NULL FROM cs.jobs ORDER BY id")
        #expect(try rows[0].decode(String.self, 1) == "available", "the good job is untouched")
        for i in 1...3 {
            #expect(try rows[i].decode(String.self, 1) == "discarded")
            #expect(try rows[i].decode(Int.self, 2) == 1, "with the reason")
        }
        #expect(try rows[4].decode(String.self, 1) == "running")
        #expect(try rows[4].decode(Bool.self, 3), "a rescuable running row")
        _ = try await conn.query("SELECT * FROM cs.queue_overview")
        await conn.close()
        _ = try? await admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
    }
}
