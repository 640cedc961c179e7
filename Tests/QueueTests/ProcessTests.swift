// Several real worker processes against one database: no job runs twice, a SIGKILLed
// worker's jobs are rescued, and a database outage is ridden out.
import Foundation
import PG
import Queue
import Testing
import TestSupport

@Suite(.serialized) struct ProcessTests {
    @Test func fourProcessesDrain20000JobsAndNoJobRunsTwice() async throws {
        try await TestDatabase.with { db in
            let n = 20_000
            try await db.database.execute("""
                INSERT INTO cs.jobs (kind, args, queue)
                SELECT 'probe', '{}', 'race' FROM generate_series(1, $1)
                """, [n])
            let workers = try (0..<4).map { _ in
                try WorkerProcess(arguments: ["work", "--queues", "race", "--concurrency", "64", "--batch", "50",
                                              "--log-level", "warning"], databaseURL: db.url)
            }
            try await eventually("all jobs completed", timeout: .seconds(120), every: .milliseconds(200)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == n
            }
            let runs = try await db.database.query("""
                SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker_id),
                       (SELECT count(*) FROM cs.jobs WHERE attempt <> 1)
                FROM cs.probe_runs
                """)[0]
            #expect(try runs.decode(Int.self, 0) == n, "every job ran exactly once")
            #expect(try runs.decode(Int.self, 1) == n)
            #expect(try runs.decode(Int.self, 2) == 4, "all four processes took part")
            #expect(try runs.decode(Int.self, 3) == 0)
            workers.forEach { $0.kill(SIGTERM) }
            for w in workers { #expect(await w.waitForExit() == 0) }
            #expect(try await db.database.count("SELECT count(*) FROM cs.workers") == 0, "clean shutdown deregisters")
        }
    }

    @Test func sigkilledWorkersJobsAreRescuedAndFinishedByAnother() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("""
                INSERT INTO cs.jobs (kind, args, queue)
                SELECT 'probe', '{"sleep_ms": 1500}', 'crash' FROM generate_series(1, 5)
                """)
            let doomed = try WorkerProcess(arguments: ["work", "--queues", "crash", "--concurrency", "10", "--no-maintenance",
                                                       "--log-level", "warning"], databaseURL: db.url)
            try await eventually("doomed worker runs all five", timeout: .seconds(30)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'running'") == 5
            }
            let runAtBefore = try await db.database.query("SELECT run_at::text FROM cs.jobs ORDER BY id").map { try $0.decode(String.self, 0) }
            doomed.kill(SIGKILL)
            _ = await doomed.waitForExit()
            let rescuer = try WorkerProcess(arguments: ["work", "--queues", "crash", "--rescue-after", "2", "--log-level", "warning"],
                                            databaseURL: db.url)
            try await eventually("rescued jobs completed", timeout: .seconds(60), every: .milliseconds(200)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 5
            }
            let history = try await db.database.query("""
                SELECT count(*) FILTER (WHERE attempt = 2),
                       count(*) FILTER (WHERE errors->0->>'error' = 'worker stopped heartbeating; job rescued'),
                       count(*) FILTER (WHERE cardinality(attempted_by) = 2 AND attempted_by[1] <> attempted_by[2])
                FROM cs.jobs
                """)[0]
            #expect(try history.decode(Int.self, 0) == 5)
            #expect(try history.decode(Int.self, 1) == 5)
            #expect(try history.decode(Int.self, 2) == 5, "a different worker finished each job")
            let runAtAfter = try await db.database.query("SELECT run_at::text FROM cs.jobs ORDER BY id").map { try $0.decode(String.self, 0) }
            #expect(runAtAfter == runAtBefore, "rescued jobs keep their place (run_at) instead of queueing behind newer work")
            rescuer.kill(SIGTERM)
            #expect(await rescuer.waitForExit() == 0)
        }
    }

    @Test func aWorkerThatCannotReachItsDatabaseAtStartFailsFastWithTheReason() async throws {
        let port = try LoopbackSocket.unusedPort()
        let closed = try WorkerProcess(arguments: ["work", "--log-level", "warning"],
                                       databaseURL: "postgresql://postgres:hunter2pw@127.0.0.1:\(port)/nothing")
        let status = await closed.waitForExit(timeout: .seconds(60))
        #expect(status != nil && status != 0, "exits non-zero instead of retrying forever")
        #expect(closed.log.contains("cannot reach the database"), "\(closed.log.suffix(500))")
        #expect(closed.log.contains("Connection refused") || closed.log.contains("connection refused"))
        #expect(!closed.log.contains("hunter2pw"), "no password in the reason")

        let garbage = try WorkerProcess(arguments: ["work"], databaseURL: "not a database url")
        let g = await garbage.waitForExit(timeout: .seconds(60))
        #expect(g != nil && g != 0)
        #expect(garbage.log.contains("neither a postgresql:// URL nor key=value pairs"), "\(garbage.log.suffix(500))")
    }

    @Test func aWorkerToldToWaitForItsDatabaseStartsWhenItAppears() async throws {
        // The worker starts before its database exists (hidden under another name).
        let db = try await TestDatabase.create()
        let admin = try await Connection.connect(url: try TestEnvironment.adminURL, logger: TestEnvironment.logger)
        try await admin.executeScript("ALTER DATABASE \(db.name) RENAME TO \(db.name)_hidden")
        let worker = try WorkerProcess(arguments: ["work", "--queues", "late", "--wait-for-database", "120", "--log-level", "warning"],
                                       databaseURL: db.url)
        try await eventually("it keeps waiting", timeout: .seconds(30)) { worker.log.contains("database not reachable yet") }
        #expect(worker.isRunning)
        try await admin.executeScript("ALTER DATABASE \(db.name)_hidden RENAME TO \(db.name)")
        await admin.close()
        try await db.database.execute("INSERT INTO cs.jobs (kind, args, queue) VALUES ('probe', '{}', 'late')")
        try await eventually("the job ran", timeout: .seconds(60), every: .milliseconds(200)) {
            try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 1
        }
        worker.kill(SIGTERM)
        #expect(await worker.waitForExit() == 0)
        await db.drop()
    }

    @Test func aNewlineInAnErrorCannotForgeALogLine() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("INSERT INTO cs.jobs (kind, queue) VALUES ($1, 'forge')",
                                          ["evil\n2026-12-01T00:00:00+0000 critical cs-worker: all secrets leaked\u{1b}[2J"])
            let worker = try WorkerProcess(arguments: ["work", "--queues", "forge", "--log-level", "warning"], databaseURL: db.url)
            try await eventually("discarded", timeout: .seconds(30)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'discarded'") == 1
            }
            worker.kill(SIGTERM)
            _ = await worker.waitForExit()
            let lines = worker.log.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("2026-12-01T00:00:00+0000 critical") }, "no forged line")
            #expect(lines.contains { $0.contains("evil\\n2026-12-01") }, "the newline is escaped in place")
            #expect(!worker.log.contains("\u{1b}"), "no terminal escapes")
        }
    }

    @Test func databaseOutageIsRiddenOut() async throws {
        try await TestDatabase.with { db in
            let n = 3000
            try await db.database.execute("""
                INSERT INTO cs.jobs (kind, args, queue) SELECT 'probe', '{"sleep_ms": 5}', 'outage' FROM generate_series(1, $1)
                """, [n])
            let worker = try WorkerProcess(arguments: ["work", "--queues", "outage", "--concurrency", "8", "--batch", "10",
                                                       "--log-level", "warning"], databaseURL: db.url)
            try await eventually("work under way", timeout: .seconds(30)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") > 200
            }
            // The outage: refuse new connections to this database and cut every open one, for 3 s.
            let admin = try await Connection.connect(url: try TestEnvironment.adminURL, logger: TestEnvironment.logger)
            try await admin.executeScript("ALTER DATABASE \(db.name) WITH ALLOW_CONNECTIONS false")
            try await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [db.name])
            try await Task.sleep(for: .seconds(3))
            #expect(worker.isRunning, "the worker survives losing its database")
            try await admin.executeScript("ALTER DATABASE \(db.name) WITH ALLOW_CONNECTIONS true")
            await admin.close()
            try await eventually("all jobs completed after the outage", timeout: .seconds(90), every: .milliseconds(250)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == n
            }
            let dupes = try await db.database.count("SELECT count(*) FROM (SELECT job_id FROM cs.probe_runs GROUP BY job_id HAVING count(*) > 1) d")
            // At-least-once: a job whose completion was cut off by the outage may run again, but none is lost.
            #expect(dupes <= 8, "only jobs in flight during the cut may repeat (\(dupes))")
            worker.kill(SIGTERM)
            #expect(await worker.waitForExit() == 0)
        }
    }
}
