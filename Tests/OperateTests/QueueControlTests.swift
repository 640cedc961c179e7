// Queue controls: a paused queue is not claimed by any worker until resumed; a kind limit
// holds across four worker processes claiming side by side.
import Basics
import Foundation
import PG
import Queue
import Testing
import TestSupport

@Suite struct QueueControlTests {
    static func count(_ db: Database, _ sql: String) async throws -> Int { try await db.query(sql)[0].decode(Int.self, 0) }

    @Test func aPausedQueueIsNotClaimedUntilResumed() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            DiagnosticJobs.register(in: registry, workerID: "w")
            var cfg = WorkerConfiguration()
            cfg.queues = ["default"]
            cfg.concurrency = 8
            cfg.pollInterval = .milliseconds(50)
            cfg.maintenance = false
            let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
            let task = Task { try await worker.run() }
            await worker.waitUntilStarted()
            let controls = QueueControls(database: db.database)

            try await controls.pause("default", by: "alice")
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'probe', '{}' FROM generate_series(1, 20)")
            // Proof by the worker's own counter, not by waiting a while: it has claimed from the
            // paused queue several times since the jobs arrived, and got none.
            let before = worker.stats.claims
            try await eventually("the worker tried to claim") { worker.stats.claims >= before + 4 }
            #expect(try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE attempt > 0") == 0)
            let listed = try await controls.list()
            #expect(listed.first { $0.queue == "default" }.map { $0.paused && $0.pausedBy == "alice" && $0.available == 20 } == true)
            #expect(try await QueueAdmin(database: db.database).status().paused == ["default"])

            #expect(try await controls.resume("default", by: "alice"))
            #expect(try await controls.resume("default", by: "alice") == false, "resuming twice says it was not paused")
            try await eventually("all 20 ran after the resume") {
                try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 20
            }
            worker.shutdown()
            try await task.value
        }
    }

    /// Four `cs-worker work` processes, 8 slots each, claim 40 jobs of a kind limited to 2.
    /// Each run's interval is taken from inside the job's time as `running` (its handler's
    /// start to the completion's timestamp), so an overlap above the limit is a real one.
    @Test func aKindLimitHoldsAcrossFourProcesses() async throws {
        try await TestDatabase.with { db in
            try await QueueControls(database: db.database).setLimit(kind: "probe", maxRunning: 2)
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'probe', '{\"sleep_ms\": 150}' FROM generate_series(1, 40)")
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'noop', '{}' FROM generate_series(1, 200)")
            let workers = try (0..<4).map { _ in
                try WorkerProcess(arguments: ["work", "--queues", "default", "--concurrency", "8", "--poll", "0.1"], databaseURL: db.url)
            }
            defer { for w in workers { w.kill() } }
            try await eventually("every job ran", timeout: .seconds(120), every: .milliseconds(200)) {
                try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 240
            }
            let overlap = try await Self.count(db.database, """
                WITH runs AS (
                    SELECT p.ran_at AS s, j.finalized_at AS e FROM cs.probe_runs p JOIN cs.jobs j ON j.id = p.job_id
                )
                SELECT max((SELECT count(*) FROM runs o WHERE o.s <= r.s AND o.e > r.s)) FROM runs r
                """)
            #expect(overlap <= 2, "never more than the limit running at once")
            #expect(overlap == 2, "the limit was reached, so the test shows something")
            #expect(try await Self.count(db.database, "SELECT count(*) FROM cs.probe_runs") == 40, "each ran once")
            for w in workers { w.kill(SIGTERM) }
            for w in workers { _ = await w.waitForExit() }
        }
    }

    @Test func aLimitOfZeroHoldsTheKindBackAndRaisingItLetsItRun() async throws {
        try await TestDatabase.with { db in
            let controls = QueueControls(database: db.database)
            try await controls.setLimit(kind: "probe", maxRunning: 0)
            let registry = JobRegistry()
            DiagnosticJobs.register(in: registry, workerID: "w")
            var cfg = WorkerConfiguration()
            cfg.queues = ["default"]
            cfg.pollInterval = .milliseconds(50)
            cfg.maintenance = false
            let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
            let task = Task { try await worker.run() }
            await worker.waitUntilStarted()
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) VALUES ('probe', '{}'), ('noop', '{}')")
            try await eventually("the unlimited kind ran") {
                try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE kind = 'noop' AND state = 'completed'") == 1
            }
            let before = worker.stats.claims
            try await eventually("claims went by") { worker.stats.claims >= before + 4 }
            #expect(try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE kind = 'probe' AND attempt > 0") == 0)
            let limits = try await controls.limits().map { "\($0.kind)=\($0.maxRunning)/\($0.running)" }
            #expect(limits == ["generate_report=4/0", "probe=0/0", "retrain_model=1/0"])
            try await controls.setLimit(kind: "probe", maxRunning: 1)
            try await eventually("raising the limit lets it run") {
                try await Self.count(db.database, "SELECT count(*) FROM cs.jobs WHERE kind = 'probe' AND state = 'completed'") == 1
            }
            await #expect(throws: PGError.self) { try await controls.setLimit(kind: "probe", maxRunning: -1) }
            worker.shutdown()
            try await task.value
        }
    }
}
