// DemoRun: the whole loop on demo data, end to end, through a real worker — seed, train,
// predict, score, evaluate interventions, deliver to loopback Slack and SMTP sinks.
import Basics
import Churn
import Delivery
import Foundation
import Logging
import Loopback
import PG
import Queue
import Reports
import Success
import Transport

public struct DemoRun: Sendable {
    let url: String
    let accounts: Int
    let seed: UInt64
    let logger: Logger
    /// Where the generated reports are written as HTML files (with an index page).
    let reportsDirectory: URL

    public init(url: String, accounts: Int, seed: UInt64, reportsDirectory: URL, logger: Logger) {
        self.url = url; self.accounts = accounts; self.seed = seed; self.reportsDirectory = reportsDirectory; self.logger = logger
    }

    /// Runs the loop and prints a summary. Seeds only when `cs.accounts` is empty.
    public func run(registerKinds: (JobRegistry, String) throws -> CurlClient) async throws {
        let db = Database(url: url, maxConnections: 4, logger: logger)
        let clock = ContinuousClock()
        let t0 = clock.now
        func step(_ what: String) { print(String(format: "[%6.1f s] %@", (clock.now - t0).seconds, what)) }

        // 1. Data.
        let existing = try await db.one(DemoStatements.AccountCount())
        if existing == 0 {
            step("seeding \(accounts) accounts with 12 months of behaviour (seed \(seed))")
            let s = try await DemoSeeder(database: db, logger: logger).seed(accounts: accounts, seed: seed, endDate: nil)
            step(String(format: "seeded %d accounts (%d churned), %d activity rows in %.1f s",
                        s.accounts, s.churned, s.rows["activity"] ?? 0, s.seconds))
        } else {
            step("using the \(existing) accounts already in cs.accounts")
        }

        // 2. Where messages go: loopback sinks standing in for Slack and the SMTP relay.
        let slack = try LoopbackHTTPServer(record: false)
        setenv("CS_DEMO_SLACK_WEBHOOK", slack.url("/services/T0000DEMO/B0000DEMO/demo-secret"), 1)
        try await ChannelStore.save(Channel(name: "cs-team-slack", type: .slack, endpoint: "env:CS_DEMO_SLACK_WEBHOOK",
                                            ratePerSecond: 1000, burst: 1000), database: db)
        let smtp = LoopbackSMTPServer.isAvailable() ? try await LoopbackSMTPServer.start(store: false) : nil
        if let smtp {
            try await ChannelStore.save(Channel(name: "csm-email", type: .smtp, endpoint: smtp.url,
                                                options: ["from": "success@cs-worker.example", "from_name": "Customer Success"],
                                                ratePerSecond: 1000, burst: 1000), database: db)
        } else {
            step("no aiosmtpd in .venv: email interventions are recorded without delivery (run ops/install-deps.sh)")
        }

        // 3. A worker with every job kind.
        var cfg = WorkerConfiguration()
        cfg.queues = ["default", DeliveryJobs.queue]
        cfg.concurrency = 64
        cfg.promoteInterval = .milliseconds(200)
        cfg.retry = RetryPolicy(base: .milliseconds(500), cap: .seconds(10))
        var quiet = logger
        quiet.logLevel = .warning
        let registry = JobRegistry()
        let client = try registerKinds(registry, cfg.workerID)
        let worker = Worker(url: url, registry: registry, configuration: cfg, logger: quiet)
        let task = Task { try await worker.run() }
        await worker.waitUntilStarted()
        let enqueuer = Enqueuer(database: db)
        let admin = QueueAdmin(database: db)
        func drain() async throws {
            try await admin.waitUntilDrained(queues: cfg.queues, horizon: .seconds(15), every: .milliseconds(300))
        }

        step("training the churn model (retrain_model job, boosted trees on cs.account_features)")
        try await enqueuer.enqueue(ChurnTrainingRequest())
        try await drain()
        step("predicting churn for active accounts (predict_churn job)")
        try await enqueuer.enqueue(ChurnPredictionArgs())
        try await drain()
        step("scoring every account (score_accounts job), then evaluate_interventions and deliver jobs")
        try await enqueuer.enqueue(SuccessJobs.ScoreArgs())
        try await drain()
        step("a collection fails now (one INSERT into cs.invoices): its signal rescores that account and acts at once")
        let signalled = try await db.first(DemoStatements.FailAnInvoice())
        try await drain()
        step("generating every report (generate_report jobs), read from PostgreSQL and stored in cs.reports")
        for request in Self.reportJobs(now: Date()) { try await enqueuer.enqueue(request) }
        try await drain()
        step("queues drained")

        worker.shutdown()
        try await task.value
        await client.shutdown()
        try await summary(db, slackRequests: slack.requestCount, smtp: smtp != nil, signalled: signalled)
        try await exportReports(db)
        slack.stop()
        smtp?.stop()
        await db.close()
        step("done")
    }

    /// One report of each kind: the accounting reports over the last complete month (their
    /// default), the activity reports over this month so far, since the demo's interventions,
    /// scores and predictions are all from today.
    static func reportJobs(now: Date) -> [ReportJobs.GenerateReport] {
        let monthStart = String(ReportPeriod.isoDay(now).prefix(8)) + "01"
        let tomorrow = ReportPeriod.isoDay(now.addingTimeInterval(86_400))
        return ReportKind.allCases.map { kind in
            var job = ReportJobs.GenerateReport(report: kind)
            if [.health, .interventions, .roi].contains(kind) { job.from = monthStart; job.to = tomorrow }
            return job
        }
    }

    /// Writes the newest report of each kind to `reportsDirectory` with an index page.
    private func exportReports(_ db: Database) async throws {
        let generator = ReportGenerator(database: db, logger: logger)
        try FileManager.default.createDirectory(at: reportsDirectory, withIntermediateDirectories: true)
        var newest: [ReportKind: StoredReport] = [:]
        for r in try await generator.list(limit: 200) { if let k = r.kind, newest[k] == nil { newest[k] = r } }
        var written: [(ReportKind, StoredReport, ReportDocument)] = []
        for kind in ReportKind.allCases {
            guard let r = newest[kind] else { continue }
            let stored = try await generator.stored(id: r.id)
            try Data(stored.html.utf8).write(to: reportsDirectory.appendingPathComponent("\(kind.rawValue).html"), options: .atomic)
            written.append((kind, r, stored.document))
        }
        let index = reportsDirectory.appendingPathComponent("index.html")
        try Data(ReportIndex.render(written.map { ($0.0.rawValue + ".html", $0.2) }).utf8).write(to: index, options: .atomic)
        print("\nreports: \(written.count) generated and stored in cs.reports (cs-worker report list); as HTML files:")
        for (kind, r, _) in written { print("  \(kind.rawValue): report \(r.id), \(r.from)…\(r.to)") }
        print("open \(index.path) in a browser (file://\(index.path)), or print one: cs-worker report show ID")
    }

    private func summary(_ db: Database, slackRequests: Int, smtp: Bool, signalled: Int64?) async throws {
        print("\n== summary")
        if let m = try await db.first(DemoStatements.Champion()) {
            print(String(format: "churn model #%d (%@): trained on %d rows, hold-out %d rows, ROC AUC %.3f, PR AUC %.3f",
                         m.id, m.algorithm, m.trainRows, m.testRows, m.rocAUC ?? .nan, m.prAUC ?? .nan))
        }
        let scores = try await db.one(DemoStatements.LatestScores())
        print("health scores (active accounts): \(scores.accounts), mean \(scores.mean ?? .nan); "
              + "red \(scores.red), yellow \(scores.yellow), green \(scores.green)")
        let preds = try await db.one(DemoStatements.Predictions())
        print("churn predictions: \(preds.accounts) accounts, mean probability \(preds.meanProbability ?? .nan)")
        print("interventions by rule:")
        for r in try await db.rows(DemoStatements.Tally(of: .interventionsByRule)) { print("  \(r.group): \(r.count)") }
        print("deliveries by channel and status:")
        for r in try await db.rows(DemoStatements.Tally(of: .deliveriesByChannelAndStatus)) { print("  \(r.group): \(r.count)") }
        print("loopback Slack sink received \(slackRequests) messages" + (smtp ? "; SMTP sink received the email" : ""))
        if let id = signalled, let o = try await db.first(DemoStatements.SignalOutcome(accountID: id)) {
            print("signal: \(o.rule) (\(o.detail)) for account \(id): rescored "
                  + (o.scoredAfterMs.map { String(format: "%.0f ms later", $0) } ?? "not yet")
                  + "; " + (o.actions ?? "no intervention") + " (cs-worker explain \(id))")
        }
        let jobs = try await db.rows(DemoStatements.Tally(of: .jobsByKindAndState))
        print("jobs: " + jobs.map { "\($0.group):\($0.count)" }.joined(separator: " "))
    }
}
