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
import Success
import Transport

public struct DemoRun: Sendable {
    let url: String
    let accounts: Int
    let seed: UInt64
    let logger: Logger

    public init(url: String, accounts: Int, seed: UInt64, logger: Logger) {
        self.url = url; self.accounts = accounts; self.seed = seed; self.logger = logger
    }

    /// Runs the loop and prints a summary. Seeds only when `cs.accounts` is empty.
    public func run(registerKinds: (JobRegistry, String) throws -> CurlClient) async throws {
        let db = Database(url: url, maxConnections: 4, logger: logger)
        let clock = ContinuousClock()
        let t0 = clock.now
        func step(_ what: String) { print(String(format: "[%6.1f s] %@", (clock.now - t0).seconds, what)) }

        // 1. Data.
        let existing = try await db.query("SELECT count(*) FROM cs.accounts")[0].decode(Int.self, 0)
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
        step("queues drained")

        worker.shutdown()
        try await task.value
        await client.shutdown()
        try await summary(db, slackRequests: slack.requestCount, smtp: smtp != nil)
        slack.stop()
        smtp?.stop()
        await db.close()
        step("done")
    }

    private func summary(_ db: Database, slackRequests: Int, smtp: Bool) async throws {
        print("\n== summary")
        if let m = try await db.query("""
            SELECT id, algorithm, train_rows, test_rows, (metrics->>'roc_auc')::float8, (metrics->>'pr_auc')::float8
            FROM cs.models WHERE status = 'champion'
            """).first {
            print(String(format: "churn model #%d (%@): trained on %d rows, hold-out %d rows, ROC AUC %.3f, PR AUC %.3f",
                         try m.decode(Int64.self, 0), try m.decode(String.self, 1), try m.decode(Int.self, 2),
                         try m.decode(Int.self, 3), try m.decodeIfPresent(Double.self, 4) ?? .nan,
                         try m.decodeIfPresent(Double.self, 5) ?? .nan))
        }
        let scores = try await db.query("""
            WITH latest AS (SELECT DISTINCT ON (account_id) account_id, score, band FROM cs.health_scores
                            ORDER BY account_id, scored_at DESC, id DESC)
            SELECT count(*), round(avg(score)::numeric, 1)::float8,
                   count(*) FILTER (WHERE band = 'red'), count(*) FILTER (WHERE band = 'yellow'),
                   count(*) FILTER (WHERE band = 'green')
            FROM latest
            """)[0]
        print("health scores (active accounts): \(try scores.decode(Int.self, 0)), mean \(try scores.decodeIfPresent(Double.self, 1) ?? .nan); "
              + "red \(try scores.decode(Int.self, 2)), yellow \(try scores.decode(Int.self, 3)), green \(try scores.decode(Int.self, 4))")
        let preds = try await db.query("SELECT count(DISTINCT account_id), round(avg(probability)::numeric, 3)::float8 FROM cs.churn_predictions")[0]
        print("churn predictions: \(try preds.decode(Int.self, 0)) accounts, mean probability \(try preds.decodeIfPresent(Double.self, 1) ?? .nan)")
        print("interventions by rule:")
        for r in try await db.query("SELECT rule, count(*) FROM cs.interventions GROUP BY rule ORDER BY 2 DESC") {
            print("  \(try r.decode(String.self, 0)): \(try r.decode(Int.self, 1))")
        }
        print("deliveries by channel and status:")
        for r in try await db.query("SELECT channel, status, count(*) FROM cs.deliveries GROUP BY 1, 2 ORDER BY 1, 2") {
            print("  \(try r.decode(String.self, 0)) \(try r.decode(String.self, 1)): \(try r.decode(Int.self, 2))")
        }
        print("loopback Slack sink received \(slackRequests) messages" + (smtp ? "; SMTP sink received the email" : ""))
        let jobs = try await db.query("SELECT kind, state::text, count(*) FROM cs.jobs GROUP BY 1, 2 ORDER BY 1, 2")
        print("jobs: " + (try jobs.map { "\(try $0.decode(String.self, 0))=\(try $0.decode(String.self, 1)):\(try $0.decode(Int.self, 2))" }).joined(separator: " "))
    }
}
