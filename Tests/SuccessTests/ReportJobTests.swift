// generate_report through a real worker: stored in cs.reports, announced through the
// outbox, bad arguments discarded with the field that is wrong; the CLI's errors.
import Foundation
import PG
import Queue
import Reports
import Success
import Testing
import TestSupport

@Suite struct ReportJobTests {
    static func runWorker(_ db: TestDatabase, until done: @escaping @Sendable () async throws -> Bool) async throws {
        let registry = JobRegistry()
        ReportJobs.register(in: registry, replica: nil)
        var config = WorkerConfiguration()
        config.pollInterval = .milliseconds(100)
        let worker = Worker(url: db.url, registry: registry, configuration: config, logger: TestEnvironment.logger)
        let running = Task { try await worker.run() }
        do { try await eventually("jobs finished", timeout: .seconds(60), done) } catch {
            worker.shutdown(); _ = try? await running.value; throw error
        }
        worker.shutdown()
        _ = try? await running.value
    }

    @Test func aScheduledReportIsStoredAndAnnounced() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('cs-team-slack', 'slack', 'env:SLACK_WEBHOOK_URL')")
            try await d.execute("INSERT INTO cs.accounts (id, name, mrr, signed_up_at) VALUES (1, 'Hall', 59, '2026-01-10'), (2, 'Barn', 119, '2026-02-10')")
            let ok = try await d.query("""
                INSERT INTO cs.jobs (kind, args) VALUES ('generate_report', '{"report": "retention", "period": "2026-03", "channel": "cs-team-slack"}') RETURNING id
                """)[0].decode(Int64.self, 0)
            let bad = try await d.query("""
                INSERT INTO cs.jobs (kind, args) VALUES ('generate_report', '{"report": "retention", "period": "2026-13"}'),
                                                        ('generate_report', '{"report": "profits"}'),
                                                        ('generate_report', '{"report": "ltv", "gross_margin": 3}') RETURNING id
                """).map { try $0.decode(Int64.self, 0) }
            try await Self.runWorker(db) {
                try await d.query("SELECT count(*) FROM cs.jobs WHERE state IN ('completed', 'discarded')")[0].decode(Int.self, 0) == 4
            }
            #expect(try await d.query("SELECT state::text FROM cs.jobs WHERE id = $1", [ok])[0].decode(String.self, 0) == "completed")
            let report = try await d.query("SELECT kind, period_from::text, period_to::text, job_id FROM cs.reports")
            #expect(report.count == 1)
            #expect(try report[0].decode(String.self, 1) == "2026-03-01" && report[0].decode(String.self, 2) == "2026-04-01")
            #expect(try report[0].decode(Int64.self, 3) == ok)
            let message = try await d.query("SELECT body_text FROM cs.deliveries WHERE channel = 'cs-team-slack'")
            #expect(message.count == 1)
            let text = try message[0].decode(String.self, 0)
            #expect(text.contains("MRR at period end: £178.00") && text.contains("cs-worker report show"))
            let reasons = try await d.query("SELECT state::text, errors -> -1 ->> 'error' FROM cs.jobs WHERE id = ANY($1::bigint[]) ORDER BY id", [bad])
            let got = try reasons.map { try ($0.decode(String.self, 0), $0.decodeIfPresent(String.self, 1) ?? "") }
            #expect(got.allSatisfy { $0.0 == "discarded" })
            #expect(got[0].1.contains("period") && got[0].1.contains("01…12"))
            #expect(got[1].1.contains("report") && got[1].1.contains("profits"))
            #expect(got[2].1.contains("gross_margin"))
        }
    }

    @Test func defaultSchedulesAddTheMonthlyAndQuarterlyReports() async throws {
        try await TestDatabase.with { db in
            let store = ScheduleStore(database: db.database)
            try await ReportJobs.installDefaultSchedules(store)
            try await ReportJobs.installDefaultSchedules(store)
            let list = try await store.list()
            #expect(list.count == 5 && list.allSatisfy { $0.kind == "generate_report" })
            #expect(list.first { $0.name == "report-cohorts-quarterly" }?.cron == "40 5 1 1,4,7,10 *")
            for s in list { #expect(throws: Never.self) { try JSONDecoder().decode([String: String].self, from: Data(s.argsJSON.utf8)) } }
        }
    }

    @Test func theCLIWritesAFormatAndRefusesBadInputClearly() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("INSERT INTO cs.accounts (id, name, mrr, signed_up_at) VALUES (1, 'Hall', 59, '2026-01-10')")
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString).csv")
            let ok = try WorkerProcess(arguments: ["report", "retention", "--period", "2026-03", "--format", "csv", "--out", out.path], databaseURL: db.url)
            #expect(await ok.waitForExit() == 0, "\(ok.log)")
            let csv = try String(contentsOf: out, encoding: .utf8)
            #expect(csv.hasPrefix("month,customers_start,") && csv.contains("2026-03-01,1,0,0,0,1,"))
            for (args, message) in [(["report", "retention", "--period", "2026-13"], "a month is 01…12"),
                                    (["report", "retention", "--from", "2026-03-01"], "--from and --to together"),
                                    (["report", "nps"], "unknown report 'nps'"),
                                    (["report", "ltv", "--gross-margin", "1.5"], "gross_margin")] {
                let p = try WorkerProcess(arguments: args, databaseURL: db.url)
                let status = await p.waitForExit()
                #expect(status != nil && status != 0)
                #expect(p.log.contains(message), "\(args): \(p.log)")
            }
        }
    }
}
