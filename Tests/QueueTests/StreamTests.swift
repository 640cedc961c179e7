// The queue under a steady stream with the MVCC horizon pinned: every job runs exactly once
// while claims start after the last one claimed; jobs claimed ahead go back at shutdown.
import Benchmarks
import Foundation
import PG
import Queue
import Testing
import TestSupport

@Suite struct StreamTests {
    @Test func aPinnedHorizonLosesAndRepeatsNothing() async throws {
        try await TestDatabase.with { db in
            var bench = StreamBenchmark(url: db.url, logger: TestEnvironment.logger)
            bench.rate = 400
            bench.phases = [StreamPhase(name: "warmup", seconds: 1), StreamPhase(name: "clean", seconds: 2),
                            StreamPhase(name: "pinned", seconds: 4, pinned: true), StreamPhase(name: "recovery", seconds: 2)]
            // Every claim is treated as slow, so claims start after the last one claimed (and from
            // the top every 200 ms) the whole time, from both claim loops.
            bench.configure = { cfg in
                cfg.slowClaim = .zero
                cfg.claimLoops = 2
                cfg.pollInterval = .milliseconds(100)
            }
            let r = try await bench.run()
            #expect(r.offered > 1000)
            #expect(r.ranOnce == r.offered && r.duplicateRuns == 0 && r.neverRan == 0,
                    "\(r.ranOnce) of \(r.offered) ran once, \(r.duplicateRuns) repeats, \(r.neverRan) never")
            let rows = try await db.database.query("""
                SELECT count(*) FILTER (WHERE state = 'completed' AND attempt = 1), count(*) FROM cs.jobs WHERE queue = 'stream'
                """)[0]
            #expect(try rows.decode(Int.self, 0) == r.offered && rows.decode(Int.self, 1) == r.offered)
        }
    }

    @Test func jobsClaimedAheadGoBackUntriedAtShutdown() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            DiagnosticJobs.register(in: registry, workerID: "w")
            try await db.database.execute("""
                INSERT INTO cs.jobs (kind, args) SELECT 'probe', '{"sleep_ms": 400, "record": false}' FROM generate_series(1, 20)
                """)
            // Two slots, ten more claimed ahead (no run time is known yet, so they are taken).
            let w = await RunningWorker(url: db.url, registry: registry) {
                $0.concurrency = 2
                $0.claimAhead = 10
                $0.claimBatch = 20
                $0.claimLoops = 1
                $0.shutdownGrace = .seconds(10)
            }
            try await eventually("two running and ten claimed ahead") {
                let s = w.worker.stats
                return s.running == 2 && s.claimedAhead == 10
            }
            try await w.stop()
            let rows = try await db.database.query("SELECT state::text, attempt, count(*) FROM cs.jobs GROUP BY 1, 2 ORDER BY 1, 2")
            let got = try rows.map { "\(try $0.decode(String.self, 0)) \(try $0.decode(Int.self, 1)) ×\(try $0.decode(Int.self, 2))" }
            // The two that ran finished; the ten claimed ahead and the eight never claimed are
            // available with no attempt spent.
            #expect(got == ["available 0 ×18", "completed 1 ×2"])
        }
    }

    @Test func aJobLandingBeforeTheCursorIsStillFound() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            DiagnosticJobs.register(in: registry, workerID: "w")
            let w = await RunningWorker(url: db.url, registry: registry) {
                $0.slowClaim = .zero                      // claims start after the last job claimed
                $0.claimFromTopEvery = .milliseconds(300)
                $0.claimLoops = 1
            }
            // Late jobs move the cursor past now; then an urgent one and one with an old run_at
            // arrive, both before the cursor in the claim order.
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'noop', '{}' FROM generate_series(1, 50)")
            try await eventually("the first jobs ran") {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 50
            }
            try await db.database.execute("INSERT INTO cs.jobs (kind, args, priority) VALUES ('noop', '{}', 1)")
            try await db.database.execute("INSERT INTO cs.jobs (kind, args, run_at) VALUES ('noop', '{}', now() - interval '1 hour')")
            try await eventually("both ran", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'completed'") == 52
            }
            try await w.stop()
        }
    }
}

@Suite struct ClaimIndexKeeperTests {
    @Test func aBloatedClaimIndexIsRebuiltAndALeftoverDropped() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            // 60,000 jobs made ready and then all claimed: their entries stay in the claim index's
            // pages after vacuum, for no live entry.
            try await d.execute("INSERT INTO cs.jobs (kind, queue, args) SELECT 'noop', 'bulk', '{}' FROM generate_series(1, 60000)")
            try await d.execute("UPDATE cs.jobs SET state = 'running', attempt = 1, attempted_at = now(), worker_id = 't' WHERE state = 'available'")
            try await d.withConnection { try await $0.executeScript("VACUUM ANALYZE cs.jobs") }
            // And an invalid copy, as an interrupted rebuild leaves one.
            try await d.withConnection { c in
                try await c.executeScript("CREATE INDEX jobs_claim_ccnew ON cs.jobs (queue) WHERE state = 'available'")
                try await c.executeScript("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'cs.jobs_claim_ccnew'::regclass")
            }
            var keeper = ClaimIndexKeeper(logger: TestEnvironment.logger)
            keeper.minPages = 64
            let check = try #require(try await keeper.check(d))
            #expect(check.droppedLeftovers == ["cs.jobs_claim_ccnew"])
            #expect(check.pagesBefore >= 64 && check.liveEntries == 0)
            let after = try #require(check.pagesAfter)
            #expect(after < check.pagesBefore / 4, "rebuilt: \(check.pagesBefore) → \(after) pages")
            // Still the claim index, valid and used: a new job is claimed through it.
            #expect(try await d.count("SELECT count(*) FROM pg_index WHERE indrelid = 'cs.jobs'::regclass AND NOT indisvalid") == 0)
            try await d.execute("INSERT INTO cs.jobs (kind, queue, args) VALUES ('noop', 'bulk', '{}')")
            let claimed = try await d.withConnection { c in
                try await c.rows(QueueStatements.Claim(queue: "bulk", limit: 10, workerID: "t"))
            }
            #expect(claimed.count == 1)
            // Nothing to do the second time.
            #expect(try await keeper.check(d)?.pagesAfter == nil)
        }
    }
}
