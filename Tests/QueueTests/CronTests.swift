// Cron expressions (pure) and the leader's cron enqueuer (against a real server).
import Foundation
import PG
import Queue
import Testing
import TestSupport

@Suite struct CronExpressionTests {
    let utc = TimeZone(identifier: "UTC")!
    func date(_ s: String) -> Date { ISO8601DateFormatter().date(from: s)! }

    @Test func everyFifteenMinutes() throws {
        let c = try CronExpression("*/15 * * * *")
        #expect(c.next(after: date("2026-11-26T10:07:30Z"), in: utc) == date("2026-11-26T10:15:00Z"))
        #expect(c.next(after: date("2026-11-26T10:15:00Z"), in: utc) == date("2026-11-26T10:30:00Z"))
        #expect(c.next(after: date("2026-11-26T23:59:00Z"), in: utc) == date("2026-11-27T00:00:00Z"))
    }

    @Test func weekdaysAtSixAndMacros() throws {
        let c = try CronExpression("0 6 * * MON-FRI")
        // 2026-11-28 is a Saturday: next weekday 06:00 is Monday the 30th.
        #expect(c.next(after: date("2026-11-27T07:00:00Z"), in: utc) == date("2026-11-30T06:00:00Z"))
        #expect(try CronExpression("@daily").next(after: date("2026-11-26T10:00:00Z"), in: utc) == date("2026-11-27T00:00:00Z"))
        #expect(try CronExpression("@monthly").next(after: date("2026-12-15T00:00:00Z"), in: utc) == date("2027-01-01T00:00:00Z"))
    }

    @Test func dayOfMonthOrDayOfWeekAsInVixieCron() throws {
        // The 1st of the month OR any Sunday.
        let c = try CronExpression("0 0 1 * 0")
        #expect(c.next(after: date("2026-11-26T00:00:00Z"), in: utc) == date("2026-11-29T00:00:00Z"))
        #expect(c.next(after: date("2026-11-29T00:00:00Z"), in: utc) == date("2026-12-01T00:00:00Z"))
        #expect(try CronExpression("0 0 29 2 *").next(after: date("2026-03-01T00:00:00Z"), in: utc) == date("2028-02-29T00:00:00Z"))
    }

    @Test func timeZonesAndDaylightSaving() throws {
        let london = TimeZone(identifier: "Europe/London")!
        let c = try CronExpression("30 9 * * *")
        // Winter: 09:30 GMT = 09:30 UTC; summer: 09:30 BST = 08:30 UTC.
        #expect(c.next(after: date("2026-11-26T12:00:00Z"), in: london) == date("2026-11-27T09:30:00Z"))
        #expect(c.next(after: date("2026-07-01T12:00:00Z"), in: london) == date("2026-07-02T08:30:00Z"))
        // 01:30 does not exist on 2026-03-29 in London (clocks go 01:00 -> 02:00): that day is skipped.
        let skipped = try CronExpression("30 1 * * *")
        #expect(skipped.next(after: date("2026-03-28T12:00:00Z"), in: london) == date("2026-03-30T00:30:00Z"))
    }

    @Test func badExpressionsSayWhy() {
        for (expr, fragment) in [("* * * *", "5 fields"), ("61 * * * *", "not in 0-59"), ("*/0 * * * *", "step"),
                                 ("5-1 * * * *", "backwards"), ("* * * FOO *", "not in 1-12")] {
            do {
                _ = try CronExpression(expr)
                Issue.record("\(expr) parsed")
            } catch let e as CronError {
                #expect(e.description.contains(fragment), "\(e.description)")
            } catch { Issue.record("\(error)") }
        }
    }
}

@Suite struct CronEnqueuerTests {
    @Test func dueSlotIsEnqueuedExactlyOnceAcrossTwoLeaders() async throws {
        try await TestDatabase.with { db in
            let store = ScheduleStore(database: db.database)
            try await store.upsert(Schedule(name: "nightly", cron: "*/5 * * * *", kind: "report", argsJSON: #"{"type":"churn"}"#))
            await #expect(throws: CronError.self) { try await store.upsert(Schedule(name: "bad", cron: "nope", kind: "x")) }
            await #expect(throws: ScheduleError.self) { try await store.upsert(Schedule(name: "bad", cron: "@daily", timeZone: "Mars/Base", kind: "x")) }
            // Pretend the slot came due 12 minutes ago (two slots missed while no leader ran).
            try await db.database.execute("UPDATE cs.schedules SET next_slot = date_trunc('minute', now()) - interval '12 minutes'")
            let registry = JobRegistry()
            let a = await RunningWorker(url: db.url, registry: registry) { $0.queues = ["elsewhere"] }
            let b = await RunningWorker(url: db.url, registry: registry) { $0.queues = ["elsewhere"] }
            try await eventually("slot enqueued") { try await db.database.count("SELECT count(*) FROM cs.jobs WHERE kind = 'report'") >= 1 }
            try await Task.sleep(for: .milliseconds(600))
            let jobs = try await db.database.query("SELECT unique_key, args->>'type' FROM cs.jobs WHERE kind = 'report'")
            #expect(jobs.count == 1, "one job for the latest missed slot, not one per slot or per leader")
            #expect(try jobs[0].decode(String.self, 1) == "churn")
            #expect(try jobs[0].decode(String.self, 0).hasPrefix("cron:nightly:"))
            let s = try #require(try await store.list().first)
            let next = try #require(s.nextSlot)
            #expect(next > Date())
            #expect(try await db.database.count("SELECT count(*) FROM cs.leader") == 1)
            try await a.stop()
            try await b.stop()
        }
    }

    @Test func badSchedulesAreRefusedAndOneBrokenScheduleCannotStopTheOthers() async throws {
        try await TestDatabase.with { db in
            let store = ScheduleStore(database: db.database)
            await #expect(throws: ScheduleError.self) { try await store.upsert(Schedule(name: "no-kind", cron: "@daily", kind: "")) }
            let never = await #expect(throws: ScheduleError.self) {
                try await store.upsert(Schedule(name: "feb-31", cron: "0 0 31 2 *", kind: "report"))
            }
            #expect(never?.code == .neverFires)
            // By SQL, as an operator might: the schema refuses an empty kind or a non-cron text.
            await #expect(throws: PGError.self) {
                try await db.database.execute("INSERT INTO cs.schedules (name, cron, kind) VALUES ('x', '@daily', '')")
            }
            await #expect(throws: PGError.self) {
                try await db.database.execute("INSERT INTO cs.schedules (name, cron, kind) VALUES ('y', 'every day', 'report')")
            }
            // What SQL cannot see: a date that never comes, a time zone that does not exist.
            try await db.database.execute("""
                INSERT INTO cs.schedules (name, cron, kind, next_slot) VALUES
                    ('a-never', '0 0 31 2 *', 'report', NULL),
                    ('b-mars', '@daily', 'report', NULL),
                    ('c-good', '*/5 * * * *', 'report', date_trunc('minute', now()) - interval '1 minute')
                """)
            try await db.database.execute("UPDATE cs.schedules SET timezone = 'Mars/Base' WHERE name = 'b-mars'")
            let registry = JobRegistry()
            let w = await RunningWorker(url: db.url, registry: registry) { $0.queues = ["elsewhere"] }
            try await eventually("the good schedule fired", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.jobs WHERE unique_key LIKE 'cron:c-good:%'") == 1
            }
            try await eventually("the broken ones set aside", timeout: .seconds(20)) {
                try await db.database.count("SELECT count(*) FROM cs.schedules WHERE NOT enabled AND last_error IS NOT NULL") == 2
            }
            let reasons = try await db.database.query("SELECT name, last_error FROM cs.schedules WHERE last_error IS NOT NULL ORDER BY name")
            #expect(try reasons[0].decode(String.self, 1).contains("never fires"))
            #expect(try reasons[1].decode(String.self, 1).contains("Mars/Base"))
            try await w.stop()
        }
    }

    @Test func leadershipMovesWhenTheLeaderStops() async throws {
        try await TestDatabase.with { db in
            let registry = JobRegistry()
            let a = await RunningWorker(url: db.url, registry: registry)
            try await eventually("a leads") { a.worker.isLeader }
            let b = await RunningWorker(url: db.url, registry: registry)
            try await Task.sleep(for: .milliseconds(500))
            #expect(a.worker.isLeader && !b.worker.isLeader, "one leader at a time")
            try await a.stop()
            try await eventually("b takes over", timeout: .seconds(5)) { b.worker.isLeader }
            try await b.stop()
        }
    }
}
