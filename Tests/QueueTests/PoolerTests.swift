// The queue behind a real PgBouncer, in session and transaction pool mode: migrate, drain,
// pick up a single insert, fire cron once per slot, cancel a running job, two processes.
import Foundation
import PG
import Queue
import Testing
import TestSupport

struct PoolerLongJob: JobArgs { static let kind = "pooler_long" }

@Suite(.serialized) struct PoolerTests {
    /// A fresh migrated database and a PgBouncer in front of the server it lives on.
    static func withPooler<T: Sendable>(_ mode: PoolingMode, poolSize: Int = 4,
                                        _ body: (TestDatabase, LoopbackPgBouncer, String) async throws -> T) async throws -> T {
        try await TestDatabase.with { db in
            let bouncer = try await LoopbackPgBouncer.start(mode: mode, poolSize: poolSize)
            do {
                let v = try await body(db, bouncer, bouncer.url(database: db.name))
                await bouncer.stop()
                return v
            } catch {
                await bouncer.stop()
                throw error
            }
        }
    }

    @Test(arguments: PoolingMode.allCases)
    func migratingTwiceAtOnceAndAgainThroughThePooler(mode: PoolingMode) async throws {
        let admin = try await Connection.connect(url: try TestEnvironment.adminURL, logger: TestEnvironment.logger)
        let name = "t_mig_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try await admin.executeScript("CREATE DATABASE \(name)")
        let bouncer = try await LoopbackPgBouncer.start(mode: mode, poolSize: 2)
        let url = bouncer.url(database: name)
        let dir = try #require(Migrator.locateDirectory())
        let migrator = try Migrator(directory: dir, logger: TestEnvironment.logger)
        async let first = Self.migrate(migrator, url: url, mode: mode)
        async let second = Self.migrate(migrator, url: url, mode: mode)
        let (a, b) = try await (first, second)
        #expect(Set(a).isDisjoint(with: b), "each file applied by one migrator only")
        #expect((a + b).sorted() == migrator.migrations.map(\.version), "together they applied every file once")
        #expect(try await Self.migrate(migrator, url: url, mode: mode).isEmpty, "a third run has nothing to do")
        await bouncer.stop()
        _ = try? await admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.close()
    }

    static func migrate(_ migrator: Migrator, url: String, mode: PoolingMode) async throws -> [Int] {
        let conn = try await Connection.connect(url: url, pooling: mode, logger: TestEnvironment.logger)
        defer { Task { await conn.close() } }
        return try await migrator.migrate(conn)
    }

    @Test(arguments: PoolingMode.allCases)
    func twoWorkerProcessesDrainThroughThePoolerAndNoJobRunsTwice(mode: PoolingMode) async throws {
        try await Self.withPooler(mode, poolSize: mode == .transaction ? 4 : 40) { db, bouncer, pooled in
            let n = 4000
            // Enqueue by plain INSERT through the pooler, as an application would.
            let app = Database(url: pooled, maxConnections: 2, pooling: mode, logger: TestEnvironment.logger)
            try await app.execute("INSERT INTO cs.jobs (kind, args, queue) SELECT 'probe', '{}', 'pool' FROM generate_series(1, $1)", [n])
            await app.close()
            var env = ["CS_POOLING": mode.rawValue]
            if mode == .transaction { env["CS_LISTEN_URL"] = db.url }
            let workers = try (0..<2).map { _ in
                try WorkerProcess(arguments: ["work", "--queues", "pool", "--concurrency", "32", "--batch", "50",
                                              "--pool-size", "4", "--log-level", "warning"], databaseURL: pooled, environment: env)
            }
            try await eventually("all jobs completed", timeout: .seconds(120), every: .milliseconds(200)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == n
            }
            let runs = try await db.database.query("SELECT count(*), count(DISTINCT job_id), count(DISTINCT worker_id) FROM cs.probe_runs")[0]
            #expect(try runs.decode(Int.self, 0) == n, "every job ran exactly once")
            #expect(try runs.decode(Int.self, 1) == n)
            #expect(try runs.decode(Int.self, 2) == 2, "both processes took part")
            if mode == .transaction {
                #expect(try bouncer.serverConnections(database: db.name) <= 4, "two processes shared four server connections")
            }
            workers.forEach { $0.kill(SIGTERM) }
            for w in workers {
                #expect(await w.waitForExit() == 0)
                #expect(!w.log.contains("42P05") && !w.log.contains("08P01"), "no statement-name clash: \(w.log.suffix(2000))")
            }
            #expect(try await db.database.count("SELECT count(*) FROM cs.workers") == 0, "clean shutdown deregisters")
        }
    }

    @Test func singleInsertThroughATransactionPoolerIsPickedUpByTheDirectListener() async throws {
        try await Self.withPooler(.transaction) { db, _, pooled in
            let registry = JobRegistry()
            registry.register(TestArgs.self) { _, _ in }
            let w = await RunningWorker(url: pooled, registry: registry) {
                $0.pooling = .transaction
                $0.listenURL = db.url
                $0.pollInterval = .seconds(3600)
            }
            let app = Database(url: pooled, maxConnections: 1, pooling: .transaction, logger: TestEnvironment.logger)
            let id = try await app.query("INSERT INTO cs.jobs (kind, args) VALUES ('add', '{\"n\": 1}') RETURNING id")[0].decode(Int64.self, 0)
            await app.close()
            // No poll for an hour: only the NOTIFY, heard on the direct URL, can start it.
            try await eventually("job completed", timeout: .seconds(20)) { try await db.database.jobState(id) == "completed" }
            try await w.stop()
        }
    }

    @Test(arguments: PoolingMode.allCases)
    func cronSlotIsEnqueuedOnceAcrossTwoLeadersThroughThePooler(mode: PoolingMode) async throws {
        try await Self.withPooler(mode, poolSize: mode == .transaction ? 3 : 40) { db, _, pooled in
            let store = ScheduleStore(database: db.database)
            try await store.upsert(Schedule(name: "nightly", cron: "*/5 * * * *", kind: "report", argsJSON: #"{"type":"churn"}"#))
            try await db.database.execute("UPDATE cs.schedules SET next_slot = date_trunc('minute', now()) - interval '12 minutes'")
            let registry = JobRegistry()
            let workers = [
                await RunningWorker(url: pooled, registry: registry) { $0.queues = ["elsewhere"]; $0.pooling = mode },
                await RunningWorker(url: pooled, registry: registry) { $0.queues = ["elsewhere"]; $0.pooling = mode },
            ]
            try await eventually("a leader", timeout: .seconds(20)) { workers.contains { $0.worker.isLeader } }
            try await eventually("slot enqueued", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE kind = 'report'") >= 1
            }
            // The slot is done once next_slot moved past now; only then is "one job" final.
            try await eventually("next slot in the future", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.schedules WHERE next_slot > now()") == 1
            }
            #expect(try await db.database.count("SELECT count(*) FROM cs.jobs WHERE kind = 'report'") == 1)
            #expect(workers.filter { $0.worker.isLeader }.count == 1, "one leader at a time")
            for w in workers { try await w.stop() }
        }
    }

    @Test(arguments: PoolingMode.allCases)
    func cancellingARunningJobThroughThePooler(mode: PoolingMode) async throws {
        try await Self.withPooler(mode, poolSize: mode == .transaction ? 3 : 40) { db, _, pooled in
            let registry = JobRegistry()
            registry.register(PoolerLongJob.self) { _, _ in try await Task.sleep(for: .seconds(600)) }
            // Through a transaction pooler there is no listener: the request reaches the
            // worker with its next heartbeat.
            let w = await RunningWorker(url: pooled, registry: registry) { $0.pooling = mode }
            let app = Database(url: pooled, maxConnections: 1, pooling: mode, logger: TestEnvironment.logger)
            let id = try await Enqueuer(database: app).enqueue(PoolerLongJob())
            try await eventually("running", timeout: .seconds(20)) { try await db.database.jobState(id) == "running" }
            #expect(try await QueueAdmin(database: app).cancel(id: id) == .done(.running))
            try await eventually("cancelled", timeout: .seconds(20)) { try await db.database.jobState(id) == "cancelled" }
            await app.close()
            try await w.stop()
        }
    }

    @Test func timestampsDecodeWhateverTheServersDateStyleAndTimeZone() async throws {
        try await Self.withPooler(.transaction, poolSize: 2) { db, _, pooled in
            try await db.database.withConnection { try await $0.executeScript("""
                ALTER DATABASE \(db.name) SET DateStyle = 'SQL, DMY';
                ALTER DATABASE \(db.name) SET TimeZone = 'America/New_York'
                """) }
            let pool = Database(url: pooled, maxConnections: 6, pooling: .transaction, logger: TestEnvironment.logger)
            let moment = Date(timeIntervalSince1970: 1_780_000_000.25)
            // Six clients over two server sessions, so each session serves several clients in turn.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        for k in 0..<40 {
                            let row = try await pool.query("SELECT $1::timestamptz + make_interval(secs => $2), current_setting('DateStyle')",
                                                           [moment, k])[0]
                            #expect(try row.decode(Date.self, 0) == moment.addingTimeInterval(Double(k)))
                            #expect(try row.decode(String.self, 1).hasPrefix("ISO"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            await pool.close()
        }
    }

    @Test func aSessionModeConnectionNoticesATransactionPoolerAndStopsPreparing() async throws {
        try await Self.withPooler(.transaction, poolSize: 2) { db, _, pooled in
            // Told nothing about the pooler, four clients share two server sessions.
            let pool = Database(url: pooled, maxConnections: 4, pooling: .session, logger: TestEnvironment.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<4 {
                    group.addTask {
                        // Each client's own SQL text, same parameter count: run under
                        // another client's statement name it would give another number.
                        let sql = "SELECT $1::int * 1000 + $2::int + \(c * 100_000)"
                        for k in 0..<30 {
                            let v = try await pool.query(sql, [c, k])[0].decode(Int.self, 0)
                            #expect(v == c * 101_000 + k, "never another client's statement")
                        }
                    }
                }
                try await group.waitForAll()
            }
            await pool.close()
            _ = db
        }
    }
}

struct HoldsConnection: JobArgs { static let kind = "holds_connection" }

@Suite struct ConnectionBudgetTests {
    @Test func aBusyWorkerStaysWithinTheBudgetItAnnounces() async throws {
        try await TestDatabase.with(maxConnections: 1) { db in
            let registry = JobRegistry()
            // Every handler borrows a pool connection and keeps it a while, so the handler
            // pool is drained and the worker is at its busiest.
            registry.register(HoldsConnection.self) { _, ctx in
                try await ctx.database.withConnection { conn in
                    _ = try await conn.execute("SELECT pg_sleep(0.05)")
                }
            }
            let w = await RunningWorker(url: db.url, registry: registry) {
                $0.concurrency = 40
                $0.poolSize = 5
                $0.controlPoolSize = 2
            }
            let budget = w.worker.configuration.connectionBudget
            // Two claim loops by default, each with its own connection.
            #expect(budget == ConnectionBudget(handlers: 5, control: 2, producer: 2, completer: 1, listener: 1))
            #expect(budget.total == 11)
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'holds_connection', '{}' FROM generate_series(1, 400)")
            var peak = 0
            while try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state <> 'completed'") > 0 {
                let now = try await db.database.count("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'cs-worker%' AND pid <> pg_backend_pid()
                    """)
                peak = max(peak, now)
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(peak >= budget.handlers, "the handler pool was in full use")
            #expect(peak <= budget.total, "never more than the budget: saw \(peak)")
            try await w.stop()
        }
    }
}
