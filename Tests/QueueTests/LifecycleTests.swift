// The job lifecycle against a real server: complete, retry, discard, cancel, unique, timeout.
import Foundation
import PG
import Queue
import Testing
import TestSupport

struct TestArgs: JobArgs { static let kind = "add"; var n: Int }
struct Flaky: Error, CustomStringConvertible { var description: String { "flaky failure" } }

@Suite struct LifecycleTests {
    @Test func plainSQLInsertIsClaimedAndCompleted() async throws {
        try await TestDatabase.with { db in
            let calls = CallLog()
            let registry = JobRegistry()
            registry.register(TestArgs.self) { args, ctx in
                #expect(args.n == 41)
                calls.record(ctx.job.id)
            }
            let w = await RunningWorker(url: db.url, registry: registry) { $0.pollInterval = .seconds(30) }
            let id = try await db.database.query("INSERT INTO cs.jobs (kind, args) VALUES ('add', '{\"n\": 41}') RETURNING id")[0].decode(Int64.self, 0)
            // The poll interval is 30 s: only the NOTIFY from the insert trigger can wake the worker this fast.
            try await eventually("job completed", timeout: .seconds(5)) { try await db.database.jobState(id) == "completed" }
            let row = try await db.database.query("SELECT attempt, finalized_at IS NOT NULL, attempted_by[1] = $2 FROM cs.jobs WHERE id = $1",
                                                  [id, w.worker.configuration.workerID])[0]
            #expect(try row.decode(Int.self, 0) == 1)
            #expect(try row.decode(Bool.self, 1))
            #expect(try row.decode(Bool.self, 2))
            #expect(calls.count(id) == 1)
            try await w.stop()
        }
    }

    @Test func failingJobRetriesWithBackoffThenDiscards() async throws {
        try await TestDatabase.with { db in
            let calls = CallLog()
            let registry = JobRegistry()
            registry.register(FlakyJob.self) { _, ctx in calls.record(ctx.job.id); throw Flaky() }
            let w = await RunningWorker(url: db.url, registry: registry)
            let id = try await Enqueuer(database: db.database).enqueue(FlakyJob(), options: JobOptions(maxAttempts: 3))
            try await eventually("job discarded") { try await db.database.jobState(id) == "discarded" }
            #expect(calls.count(id) == 3)
            let errors = try await db.database.query(
                "SELECT jsonb_array_length(errors), errors->0->>'error', (errors->2->>'attempt')::int FROM cs.jobs WHERE id = $1", [id])[0]
            #expect(try errors.decode(Int.self, 0) == 3)
            #expect(try errors.decode(String.self, 1) == "flaky failure")
            #expect(try errors.decode(Int.self, 2) == 3)
            try await w.stop()
        }
    }

    @Test func retryPolicyGrowsExponentiallyWithJitter() {
        let policy = RetryPolicy(base: .seconds(1), cap: .seconds(60))
        for attempt in 1...10 {
            let full = min(60, pow(2, Double(attempt - 1)))
            for _ in 0..<50 {
                let d = policy.delaySeconds(attempt: attempt)
                #expect(d >= full / 2 && d <= full)
            }
        }
    }

    @Test func permanentErrorDiscardsAtOnceAndRetryAfterIsHonoured() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(BadJob.self) { _, _ in throw PermanentJobError("recipient does not exist") }
            registry.register(LaterJob.self) { _, ctx in
                if ctx.job.attempt == 1 { throw RetryJobError(after: .seconds(1), "429 Too Many Requests") }
            }
            let w = await RunningWorker(url: db.url, registry: registry)
            let enq = Enqueuer(database: db.database)
            let bad = try await enq.enqueue(BadJob())
            let later = try await enq.enqueue(LaterJob())
            try await eventually("bad discarded") { try await db.database.jobState(bad) == "discarded" }
            #expect(try await db.database.query("SELECT attempt, errors->0->>'error' FROM cs.jobs WHERE id = $1", [bad])[0].decode(String.self, 1)
                    == "recipient does not exist")
            try await eventually("later completed") { try await db.database.jobState(later) == "completed" }
            let gap = try await db.database.query("""
                SELECT extract(epoch FROM finalized_at - (errors->0->>'at')::timestamptz)::float8 FROM cs.jobs WHERE id = $1
                """, [later])[0].decode(Double.self, 0)
            #expect(gap >= 0.95, "Retry-After of 1 s was not honoured: retried after \(gap) s")
            try await w.stop()
        }
    }

    @Test func unknownKindAndMalformedArgsAreDiscardedWithReasons() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(TestArgs.self) { _, _ in }
            let w = await RunningWorker(url: db.url, registry: registry)
            let r = try await db.database.query("""
                INSERT INTO cs.jobs (kind, args) VALUES ('nope', '{}'), ('add', '{"n": "seven"}'), ('add', '{}'), ('add', '{"n": 1}')
                RETURNING id
                """)
            let ids = try r.map { try $0.decode(Int64.self, 0) }
            try await eventually("all finished") {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE finalized_at IS NOT NULL") == 4
            }
            let reasons = try await db.database.query("SELECT id, state::text, errors->0->>'error' FROM cs.jobs ORDER BY id")
            #expect(try reasons[0].decode(String.self, 1) == "discarded")
            #expect(try reasons[0].decode(String.self, 2) == "no handler registered for kind 'nope'")
            #expect(try reasons[1].decode(String.self, 1) == "discarded")
            #expect(try reasons[1].decode(String.self, 2) == "args of add do not decode: 'n' is not Int")
            #expect(try reasons[2].decode(String.self, 2) == "args of add do not decode: missing key 'n'")
            #expect(try await db.database.jobState(ids[3]) == "completed")
            // The worker is still alive and working.
            let more = try await Enqueuer(database: db.database).enqueue(TestArgs(n: 2))
            try await eventually("worker still works") { try await db.database.jobState(more) == "completed" }
            try await w.stop()
        }
    }

    @Test func uniqueKeyDeduplicatesLiveJobsOnly() async throws {
        try await TestDatabase.with { db in
            let enq = Enqueuer(database: db.database)
            let a = try await enq.enqueue(XJob(), options: JobOptions(uniqueKey: "daily-report"))
            let b = try await enq.enqueue(XJob(), options: JobOptions(uniqueKey: "daily-report"))
            #expect(a == b)
            // Plain SQL gets the database's own answer: a unique violation.
            let dup = await #expect(throws: PGError.self) {
                try await db.database.execute("INSERT INTO cs.jobs (kind, unique_key) VALUES ('x', 'daily-report')")
            }
            #expect(dup?.sqlState == "23505")
            // Once finished, the key is free again.
            try await db.database.execute("UPDATE cs.jobs SET state = 'completed', finalized_at = now() WHERE id = $1", [a])
            let c = try await enq.enqueue(XJob(), options: JobOptions(uniqueKey: "daily-report"))
            #expect(c != a)
        }
    }

    @Test func futureJobIsScheduledThenPromotedAndRun() async throws {
        try await TestDatabase.with { db in
            let calls = CallLog()
            let registry = JobRegistry()
            registry.register(LaterJob.self) { _, ctx in calls.record(ctx.job.id) }
            // An hour ahead, so no loaded machine can make it due before we look.
            let id = try await Enqueuer(database: db.database).enqueue(LaterJob(),
                                                                    options: JobOptions(runAt: Date().addingTimeInterval(3600)))
            #expect(try await db.database.jobState(id) == "scheduled")
            let w = await RunningWorker(url: db.url, registry: registry)
            try await eventually("a leader promotes", timeout: .seconds(20)) { w.worker.isLeader }
            #expect(try await db.database.jobState(id) == "scheduled", "not run before it is due")
            #expect(calls.count(id) == 0)
            // Its time comes: the promoter makes it available and the worker runs it.
            try await db.database.execute("UPDATE cs.jobs SET run_at = now() WHERE id = $1", [id])
            try await eventually("ran", timeout: .seconds(20)) { calls.count(id) == 1 }
            let early = try await db.database.query("SELECT attempted_at < run_at FROM cs.jobs WHERE id = $1", [id])[0].decode(Bool.self, 0)
            #expect(early == false)
            try await w.stop()
        }
    }

    @Test func timeoutCancelsTheHandlerAndCountsAnAttempt() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(SlowJob.self, timeout: .milliseconds(300)) { _, ctx in
                if ctx.job.attempt == 1 { try await Task.sleep(for: .seconds(30)) }
            }
            let w = await RunningWorker(url: db.url, registry: registry)
            let id = try await Enqueuer(database: db.database).enqueue(SlowJob())
            try await eventually("completed on second attempt", timeout: .seconds(10)) { try await db.database.jobState(id) == "completed" }
            let row = try await db.database.query("SELECT attempt, errors->0->>'error' FROM cs.jobs WHERE id = $1", [id])[0]
            #expect(try row.decode(Int.self, 0) == 2)
            #expect(try row.decode(String.self, 1).hasPrefix("timed out after"))
            try await w.stop()
        }
    }

    @Test func cancellingAQueuedAndARunningJob() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(LongJob.self) { _, _ in try await Task.sleep(for: .seconds(60)) }
            let admin = QueueAdmin(database: db.database)
            let enq = Enqueuer(database: db.database)
            let queued = try await enq.enqueue(LongJob(), options: JobOptions(runAt: Date().addingTimeInterval(3600)))
            #expect(try await admin.cancel(id: queued) == .done(.cancelled))
            let w = await RunningWorker(url: db.url, registry: registry)
            let running = try await enq.enqueue(LongJob())
            try await eventually("running") { try await db.database.jobState(running) == "running" }
            let started = ContinuousClock.now
            #expect(try await admin.cancel(id: running) == .done(.running))
            try await eventually("cancelled", timeout: .seconds(5)) { try await db.database.jobState(running) == "cancelled" }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(try await admin.cancel(id: 999_999) == .notFound)
            // Retry brings a cancelled job back.
            #expect(try await admin.retry(id: queued) == .done(.available))
            try await w.stop()
        }
    }

    @Test func gracefulShutdownFinishesShortJobsAndReleasesLongOnes() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(ShortJob.self) { _, _ in try await Task.sleep(for: .milliseconds(300)) }
            registry.register(LongJob.self) { _, _ in try await Task.sleep(for: .seconds(60)) }
            let w = await RunningWorker(url: db.url, registry: registry) { $0.shutdownGrace = .seconds(1) }
            let enq = Enqueuer(database: db.database)
            let short = try await enq.enqueue(ShortJob())
            let long = try await enq.enqueue(LongJob())
            try await eventually("both running") {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'running'") == 2
            }
            try await w.stop()
            #expect(try await db.database.jobState(short) == "completed")
            let row = try await db.database.query("SELECT state::text, attempt, worker_id IS NULL FROM cs.jobs WHERE id = $1", [long])[0]
            #expect(try row.decode(String.self, 0) == "available")
            #expect(try row.decode(Int.self, 1) == 0, "a released job gets its attempt back")
            #expect(try row.decode(Bool.self, 2))
            #expect(try await db.database.count("SELECT count(*) FROM cs.workers") == 0)
        }
    }

    @Test func cancellingTheRunTaskStopsAtOnceAndReleasesRunningJobs() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(LongJob.self) { _, _ in try await Task.sleep(for: .seconds(600)) }
            // A grace period far longer than any test: only cancellation can end this quickly.
            let w = await RunningWorker(url: db.url, registry: registry) { $0.shutdownGrace = .seconds(600) }
            let enq = Enqueuer(database: db.database)
            let ids = [try await enq.enqueue(LongJob()), try await enq.enqueue(LongJob())]
            try await eventually("both running") {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'running'") == 2
            }
            let cancelled = ContinuousClock.now
            w.task.cancel()
            try await w.task.value
            let took = ContinuousClock.now - cancelled
            print("cancelled worker stopped in \(took)")
            #expect(took < .seconds(5), "stopped in \(took), not after the 600 s grace period")
            for id in ids {
                let row = try await db.database.query("SELECT state::text, attempt, worker_id IS NULL FROM cs.jobs WHERE id = $1", [id])[0]
                #expect(try row.decode(String.self, 0) == "available", "released, not left running for the rescuer")
                #expect(try row.decode(Int.self, 1) == 0, "a released job gets its attempt back")
                #expect(try row.decode(Bool.self, 2))
            }
            #expect(try await db.database.count("SELECT count(*) FROM cs.workers") == 0, "deregistered")
        }
    }
}

/// The `bad` kind of these tests (no arguments).
struct BadJob: JobArgs { static let kind = "bad" }

/// The `flaky` kind of these tests (no arguments).
struct FlakyJob: JobArgs { static let kind = "flaky" }

/// The `later` kind of these tests (no arguments).
struct LaterJob: JobArgs { static let kind = "later" }

/// The `long` kind of these tests (no arguments).
struct LongJob: JobArgs { static let kind = "long" }

/// The `short` kind of these tests (no arguments).
struct ShortJob: JobArgs { static let kind = "short" }

/// The `slow` kind of these tests (no arguments).
struct SlowJob: JobArgs { static let kind = "slow" }

/// The `x` kind of these tests (no arguments).
struct XJob: JobArgs { static let kind = "x" }

struct DivideByZero: JobArgs { static let kind = "divide_by_zero" }
struct HugeFailure: JobArgs { static let kind = "huge_failure" }
struct LeakyInsert: JobArgs { static let kind = "leaky_insert" }

@Suite struct JobErrorHygieneTests {
    @Test func dataExceptionsAreDiscardedAtOnceErrorsAreBoundedAndRowValuesStayOut() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(DivideByZero.self) { _, ctx in _ = try await ctx.database.query("SELECT 1 / $1::int", [0]) }
            registry.register(HugeFailure.self) { _, _ in throw PermanentJobError(String(repeating: "x", count: 5_000_000)) }
            registry.register(LeakyInsert.self) { _, ctx in
                try await ctx.database.withConnection { conn in
                    _ = try await conn.execute("CREATE TEMP TABLE IF NOT EXISTS people (email text NOT NULL, name text NOT NULL)")
                    _ = try await conn.execute("INSERT INTO people VALUES ($1, NULL)", ["secret.person@example.com"])
                }
            }
            let w = await RunningWorker(url: db.url, registry: registry)
            let enq = Enqueuer(database: db.database)
            let zero = try await enq.enqueue(DivideByZero())
            let huge = try await enq.enqueue(HugeFailure())
            let leaky = try await enq.enqueue(LeakyInsert(), options: JobOptions(maxAttempts: 1))
            try await eventually("all finished", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'discarded'") == 3
            }
            let z = try await db.database.query("SELECT attempt, errors->0->>'error' FROM cs.jobs WHERE id = $1", [zero])[0]
            #expect(try z.decode(Int.self, 0) == 1, "a data exception is not retried")
            #expect(try z.decode(String.self, 1).contains("22012"))
            let h = try await db.database.query("SELECT length(errors->0->>'error') FROM cs.jobs WHERE id = $1", [huge])[0]
            #expect(try h.decode(Int.self, 0) <= 2000, "stored errors are bounded")
            let l = try await db.database.query("SELECT errors::text FROM cs.jobs WHERE id = $1", [leaky])[0].decode(String.self, 0)
            #expect(l.contains("23502"))
            #expect(!l.contains("secret.person@example.com"), "no row values in stored errors: \(l)")
            try await w.stop()
        }
    }
}

struct DeepArgs: JobArgs { static let kind = "deep_args"; var a: JSONValueHolder? }
/// Any JSON at all, to let the decoder walk into it.
struct JSONValueHolder: Codable, Sendable {
    init(from decoder: Decoder) throws { _ = try? decoder.singleValueContainer() }
    func encode(to encoder: Encoder) throws {}
}
struct NumberArgs: JobArgs { static let kind = "number_args"; var n: Double }

@Suite struct UnreadableArgsTests {
    @Test func argsThatAreValidJSONButUnreadableSayWhatIsWrong() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            registry.register(DeepArgs.self) { _, _ in }
            registry.register(NumberArgs.self) { _, _ in }
            let deep = String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
            let deepID = try await db.database.query("INSERT INTO cs.jobs (kind, args) VALUES ('deep_args', $1::jsonb) RETURNING id",
                                                     [#"{"a": "# + deep + "}"])[0].decode(Int64.self, 0)
            let bigID = try await db.database.query(#"INSERT INTO cs.jobs (kind, args) VALUES ('number_args', '{"n": 1e400}') RETURNING id"#)[0]
                .decode(Int64.self, 0)
            let w = await RunningWorker(url: db.url, registry: registry)
            try await eventually("both discarded", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE state = 'discarded'") == 2
            }
            for id in [deepID, bigID] {
                let reason = try await db.database.query("SELECT errors->0->>'error' FROM cs.jobs WHERE id = $1", [id])[0].decode(String.self, 0)
                #expect(!reason.contains("not valid JSON"), "\(reason)")
                #expect(reason.count < 600)
            }
            try await w.stop()
        }
    }
}
