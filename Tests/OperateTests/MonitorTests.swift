// The self-monitor end to end: checks → alerts → escalation through the real outbox to a
// loopback Slack and PagerDuty, with the monitor's clock moved forward by the test.
import Basics
import Delivery
import Foundation
import Monitoring
import PG
import Queue
import Testing
import TestSupport
import Transport

/// A delivery worker on the test database, and the loopback Slack and PagerDuty it sends to.
final class AlertHarness: Sendable {
    let db: TestDatabase
    let slack: LoopbackHTTPServer
    let pagerDuty: LoopbackHTTPServer
    let monitor: HealthMonitor
    let client: CurlClient
    private let running = Locked<(Worker, Task<Void, Never>)?>(nil)

    init(db: TestDatabase, slackStatus: Int = 200) async throws {
        self.db = db
        slack = try LoopbackHTTPServer { _ in .text(slackStatus, slackStatus == 200 ? "ok" : "down") }
        pagerDuty = try LoopbackHTTPServer { req in
            let key = (try? JSONValue.parse(req.body))?["dedup_key"]?.stringValue ?? ""
            return .json(202, #"{"status":"success","message":"Event processed","dedup_key":"\#(key)"}"#)
        }
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("pd-\(UUID().uuidString)")
        try Data("R0UTINGKEY0123456789abcdefABCDEF".utf8).write(to: keyFile)
        try await db.database.execute("""
            INSERT INTO cs.channels (name, type, endpoint, secret_ref) VALUES
              ('ops-slack', 'slack', $1, NULL), ('ops-pagerduty', 'pagerduty', $2, $3)
            """, [slack.url("/hook"), pagerDuty.url("/v2/enqueue"), "file:" + keyFile.path])
        // One check is the subject of these tests; the others would see the test's own oddities.
        try await db.database.execute("UPDATE cs.health_checks SET enabled = key = 'queue_oldest_ready_s', warn = 60, critical = 120")
        monitor = HealthMonitor(database: db.database, logger: TestEnvironment.logger)
        client = try CurlClient(logger: TestEnvironment.logger)
    }

    func startDeliveryWorker() async {
        let registry = JobRegistry()
        DeliveryJobs.register(in: registry, client: client, logger: TestEnvironment.logger)
        var cfg = WorkerConfiguration()
        cfg.queues = [DeliveryJobs.queue]
        cfg.concurrency = 8
        cfg.pollInterval = .milliseconds(100)
        cfg.promoteInterval = .milliseconds(50)
        cfg.electionInterval = .milliseconds(100)
        cfg.retry = RetryPolicy(base: .milliseconds(20), cap: .milliseconds(200))
        cfg.poolSize = 4
        let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
        let task = Task<Void, Never> { _ = try? await worker.run() }
        running.withLock { $0 = (worker, task) }
        await worker.waitUntilStarted()
    }

    func stop() async {
        if let (worker, task) = running.withLock({ $0 }) {
            worker.shutdown()
            await task.value
        }
        await client.shutdown()
        slack.stop()
        pagerDuty.stop()
    }

    static func with(slackStatus: Int = 200, worker: Bool = true, _ body: (AlertHarness) async throws -> Void) async throws {
        try await TestDatabase.with { db in
            let h = try await AlertHarness(db: db, slackStatus: slackStatus)
            // With no delivery worker the alert's own messages would wait in `delivery` and raise
            // a second alert about that queue; a paused queue is waiting on purpose.
            if worker { await h.startDeliveryWorker() } else { try await db.database.execute("SELECT cs.pause_queue('delivery')") }
            do { try await body(h) } catch { await h.stop(); throw error }
            await h.stop()
        }
    }

    /// A backlog: `n` ready jobs of queue `default`, ready since the server's now.
    func backlog(_ n: Int = 5) async throws {
        try await db.database.execute("INSERT INTO cs.jobs (kind, queue) SELECT 'noop', 'default' FROM generate_series(1, $1)", [n])
    }

    func drain() async throws { try await db.database.execute("DELETE FROM cs.jobs WHERE queue = 'default'") }

    func count(_ sql: String, _ params: [any SQLParameter] = []) async throws -> Int {
        try await db.database.query(sql, params)[0].decode(Int.self, 0)
    }

    /// The bodies PagerDuty received, as JSON objects.
    var pagerDutyEvents: [[String: JSONValue]] {
        pagerDuty.requests.compactMap { (try? JSONValue.parse($0.body))?.objectValue }
    }
}

@Suite struct MonitorTests {
    @Test func backlogEscalatesToPagerDutyAndResolvesWithTheSameDedupKey() async throws {
        try await AlertHarness.with { h in
            let t0 = Date()
            try await h.backlog()
            // Five minutes on the monitor's clock: the oldest ready job has waited 300 s (critical).
            let first = try await h.monitor.run(at: t0.addingTimeInterval(300))
            #expect(first.worst == .critical && first.liveAlerts == 1 && first.messagesQueued == 1)
            try await eventually("tier 1 reaches Slack") { h.slack.requestCount == 1 }
            let slackText = try #require(h.slack.requests.first.flatMap { (try? JSONValue.parse($0.body))?["text"]?.stringValue })
            #expect(slackText.contains("CRITICAL queue_oldest_ready_s (default)") && slackText.contains("alerts ack"))

            // A minute later, still failing: the same alert, no second message.
            let again = try await h.monitor.run(at: t0.addingTimeInterval(360))
            #expect(again.messagesQueued == 0)
            #expect(try await h.count("SELECT count(*) FROM cs.alerts") == 1)

            // Ten minutes after it opened, unacknowledged: PagerDuty is triggered.
            let paged = try await h.monitor.run(at: t0.addingTimeInterval(300 + 601))
            #expect(paged.messagesQueued == 1)
            try await eventually("tier 2 reaches PagerDuty") { h.pagerDuty.requestCount == 1 }
            let alertID = try await h.count("SELECT id FROM cs.alerts")
            let trigger = try #require(h.pagerDutyEvents.first)
            #expect(trigger["event_action"]?.stringValue == "trigger")
            #expect(trigger["dedup_key"]?.stringValue == "cs-alert-\(alertID)")
            #expect(trigger["payload"]?["severity"]?.stringValue == "critical")

            // The backlog drains; after three passing runs the alert resolves, PagerDuty gets
            // `resolve` with the same key and Slack a "resolved" line.
            try await h.drain()
            for minute in 1...2 {
                let r = try await h.monitor.run(at: t0.addingTimeInterval(1000 + Double(minute) * 60))
                #expect(r.liveAlerts == 1 && r.messagesQueued == 0, "not resolved before three passes in a row")
            }
            let resolved = try await h.monitor.run(at: t0.addingTimeInterval(1000 + 180))
            #expect(resolved.liveAlerts == 0 && resolved.messagesQueued == 2)
            try await eventually("resolution reaches PagerDuty and Slack") { h.pagerDuty.requestCount == 2 && h.slack.requestCount == 2 }
            let resolve = try #require(h.pagerDutyEvents.last)
            #expect(resolve["event_action"]?.stringValue == "resolve")
            #expect(resolve["dedup_key"]?.stringValue == "cs-alert-\(alertID)")
            let resolvedText = h.slack.requests.last.flatMap { (try? JSONValue.parse($0.body))?["text"]?.stringValue } ?? ""
            #expect(resolvedText.contains("RESOLVED queue_oldest_ready_s (default)"))

            // Later runs send nothing more.
            let after = try await h.monitor.run(at: t0.addingTimeInterval(1000 + 240))
            #expect(after.messagesQueued == 0)
            #expect(try await h.count("SELECT count(*) FROM cs.health_check_runs") == 7)
        }
    }

    @Test func flappingInputKeepsOneAlertAndSendsOneMessage() async throws {
        try await AlertHarness.with(worker: false) { h in
            let t0 = Date()
            for minute in 0..<12 {
                if minute % 2 == 0 { try await h.backlog(1) } else { try await h.drain() }
                _ = try await h.monitor.run(at: t0.addingTimeInterval(300 + Double(minute) * 30))
            }
            #expect(try await h.count("SELECT count(*) FROM cs.alerts") == 1)
            #expect(try await h.count("SELECT count(*) FROM cs.deliveries") == 1, "one tier-1 message, no storm")
            #expect(try await h.count("SELECT count(*) FROM cs.alerts WHERE state = 'open'") == 1)
        }
    }

    @Test func acknowledgingStopsEscalation() async throws {
        try await AlertHarness.with(worker: false) { h in
            let t0 = Date()
            try await h.backlog()
            _ = try await h.monitor.run(at: t0.addingTimeInterval(300))
            let id = Int64(try await h.count("SELECT id FROM cs.alerts"))
            #expect(try await AlertBook(database: h.db.database).acknowledge(id, by: "alice") == .now("acknowledged"))
            let later = try await h.monitor.run(at: t0.addingTimeInterval(300 + 3600))
            #expect(later.messagesQueued == 0, "no PagerDuty, no e-mail after an acknowledgement")
            #expect(try await h.count("SELECT count(*) FROM cs.deliveries WHERE channel = 'ops-pagerduty'") == 0)
            #expect(try await AlertBook(database: h.db.database).acknowledge(999, by: "alice") == .notFound)
            let listed = try await AlertBook(database: h.db.database).list()
            #expect(listed.first?.state == "acknowledged" && listed.first?.acknowledgedBy == "alice")
        }
    }

    @Test func aFailingAlertChannelHandsOverToTheNextTier() async throws {
        try await AlertHarness.with(slackStatus: 503) { h in
            let t0 = Date()
            try await h.backlog()
            _ = try await h.monitor.run(at: t0.addingTimeInterval(300))
            // Slack answers 503: the delivery is retried by the outbox's policy …
            try await eventually("Slack tried twice") {
                try await h.count("SELECT attempts FROM cs.deliveries WHERE channel = 'ops-slack'") >= 2
            }
            // … and the next run, one minute on (long before tier 2 is due), pages instead.
            let r = try await h.monitor.run(at: t0.addingTimeInterval(360))
            #expect(r.messagesQueued == 1)
            try await eventually("PagerDuty triggered early") { h.pagerDuty.requestCount == 1 }
        }
    }

    @Test func aCheckThatCannotRunIsReportedAndTheOthersStillRun() async throws {
        try await AlertHarness.with(worker: false) { h in
            try await h.db.database.execute("UPDATE cs.health_checks SET enabled = key IN ('queue_oldest_ready_s', 'breakers_open')")
            try await h.db.database.execute("DROP TABLE cs.channel_breakers")
            try await h.backlog()
            let r = try await h.monitor.run(at: Date().addingTimeInterval(300))
            let failed = try #require(r.observations.first { $0.check == HealthMonitor.checkFailed })
            #expect(failed.subject == "breakers_open" && failed.message.contains("42P01"))
            #expect(r.observations.contains { $0.check == "queue_oldest_ready_s" && $0.severity == .critical })
            #expect(try await h.count("SELECT count(*) FROM cs.alerts WHERE check_key = 'check_failed' AND subject = 'breakers_open'") == 1)
        }
    }

    @Test func everyBuiltInCheckRunsOnAFreshDatabase() async throws {
        try await TestDatabase.with { db in
            let r = try await HealthMonitor(database: db.database, logger: TestEnvironment.logger).run(at: Date())
            #expect(!r.observations.contains { $0.check == HealthMonitor.checkFailed }, "\(r.observations)")
            #expect(r.worst == .ok)
            // A check in the table that this build does not know is skipped, not an error.
            #expect(Set(HealthCheck.allCases.map(\.rawValue)).isSubset(of: Set(try await db.database.query(
                "SELECT key FROM cs.health_checks").map { try $0.decode(String.self, 0) })))
        }
    }
}
