// The libpq layer against a real server: parameters, decoding, errors, transactions,
// COPY, LISTEN/NOTIFY and recovering from a dropped connection.
import Foundation
import PG
import Testing
import TestSupport

@Suite struct PGTests {
    @Test func parametersAndDecodingRoundTrip() async throws {
        try await TestDatabase.with { db in
            let when = Date(timeIntervalSince1970: 1_764_000_000.123456)
            let r = try await db.database.query(
                "SELECT $1::bigint, $2::text, $3::float8, $4::bool, $5::timestamptz, $6::bigint[], $7::text[], $8::text",
                [Int64(42), "O'Brien \"quoted\" ✓", 0.25, true, when, [Int64(1), 2, 3], ["a,b", "c\"d", "e\\f"], Optional<String>.none])
            let row = try #require(r.first)
            #expect(try row.decode(Int64.self, 0) == 42)
            #expect(try row.decode(String.self, 1) == "O'Brien \"quoted\" ✓")
            #expect(try row.decode(Double.self, 2) == 0.25)
            #expect(try row.decode(Bool.self, 3) == true)
            #expect(abs(try row.decode(Date.self, 4).timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_002)
            #expect(try row.decode([Int64].self, 5) == [1, 2, 3])
            #expect(try row.decode([String].self, 6) == ["a,b", "c\"d", "e\\f"])
            #expect(try row.decodeIfPresent(String.self, 7) == nil)
            #expect(row.isNull(7))
        }
    }

    @Test func serverErrorsCarrySQLState() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("CREATE TABLE t (id int PRIMARY KEY)")
            try await db.database.execute("INSERT INTO t VALUES (1)")
            let error = await #expect(throws: PGError.self) { try await db.database.execute("INSERT INTO t VALUES ($1)", [1]) }
            #expect(error?.sqlState == "23505")
            #expect(error?.isUniqueViolation == true)
            #expect(error?.code == .server)
            #expect(error?.query?.contains("INSERT INTO t") == true)
            let syntax = await #expect(throws: PGError.self) { try await db.database.execute("SELEC 1") }
            #expect(syntax?.sqlState == "42601")
        }
    }

    @Test func transactionRollsBackOnThrow() async throws {
        struct Boom: Error {}
        try await TestDatabase.with { db in
            try await db.database.execute("CREATE TABLE t (v int)")
            await #expect(throws: Boom.self) {
                try await db.database.transaction { c in
                    try await c.execute("INSERT INTO t VALUES (1)")
                    throw Boom()
                }
            }
            _ = try await db.database.transaction { c in try await c.execute("INSERT INTO t VALUES (2)") }
            let r = try await db.database.query("SELECT array_agg(v) FROM t")
            #expect(try r[0].decode([Int].self, 0) == [2])
        }
    }

    @Test func copyInLoadsRows() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("CREATE TABLE t (id int, name text)")
            var data = ""
            for i in 0..<10_000 { data += "\(i)\tname \(i)\n" }
            let n = try await db.database.withConnection { try await $0.copyIn("COPY t (id, name) FROM STDIN", data: Array(data.utf8)) }
            #expect(n == 10_000)
            let r = try await db.database.query("SELECT count(*), max(name) FROM t WHERE name LIKE 'name %'")
            #expect(try r[0].decode(Int.self, 0) == 10_000)
        }
    }

    @Test func listenerReceivesNotifications() async throws {
        try await TestDatabase.with { db in
            let listener = Listener(url: db.url, channels: ["cs_test"], logger: TestEnvironment.logger)
            defer { listener.stop() }
            var it = listener.events.makeAsyncIterator()
            #expect(await it.next() == .connected)
            try await db.database.execute("SELECT pg_notify('cs_test', 'hello')")
            #expect(await it.next() == .notification(channel: "cs_test", payload: "hello"))
        }
    }

    @Test func aConnectionKilledWhileIdleIsReopenedBeforeTheNextStatement() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            let pid = try await db.database.withConnection { try await $0.backendPID() }
            let admin = try await Connection.connect(url: db.url, logger: TestEnvironment.logger)
            // Waits until the backend is gone, as after a restart or an idle timeout.
            try await admin.execute("SELECT pg_terminate_backend($1, 10000)", [Int(pid)])
            // The statement was never sent to the dead session: it runs on a new one, no error.
            let r = try await db.database.query("SELECT pg_backend_pid(), current_setting('DateStyle'), current_setting('TimeZone')")
            #expect(try r[0].decode(Int32.self, 0) != pid)
            #expect(try r[0].decode(String.self, 1).hasPrefix("ISO"), "session settings made again")
            #expect(try r[0].decode(String.self, 2) == "UTC")

            // Inside a transaction the work is lost with the session: that must be an error.
            let failure = await #expect(throws: PGError.self) {
                try await db.database.transaction { tx in
                    let inside = try await tx.backendPID()
                    try await admin.execute("SELECT pg_terminate_backend($1, 10000)", [Int(inside)])
                    try await tx.execute("SELECT 1")
                }
            }
            #expect(failure?.isConnectionProblem == true)
            // The broken connection was discarded: the next borrow opens a new one.
            #expect(try await db.database.query("SELECT 1")[0].decode(Int.self, 0) == 1)
            await admin.close()
        }
    }

    @Test func connectFailureDoesNotLeakPassword() async throws {
        let error = await #expect(throws: PGError.self) {
            _ = try await Connection.connect(url: "postgresql://user:s3cretpw@127.0.0.1:1/db?connect_timeout=2", logger: TestEnvironment.logger)
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("s3cretpw") == false)
    }

    @Test func databaseURLReplacesTheDatabase() {
        #expect(DatabaseURL.replacingDatabase(in: "postgresql://u@h:5432/postgres?sslmode=disable", with: "x")
                == "postgresql://u@h:5432/x?sslmode=disable")
        #expect(DatabaseURL.replacingDatabase(in: "host=h dbname=a", with: "b") == "host=h dbname=a dbname='b'")
        #expect(DatabaseURL.redacted("postgresql://u:pw@h/db") == "postgresql://u:***@h/db")
    }
}
