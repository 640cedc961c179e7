// EventsBenchmark: success events in real time. Seeds N demo accounts, times full rescoring
// from the rollups, then inserts failed invoices from SQL at a steady rate while a worker runs
// signals and deliveries, and measures signal → score and signal → Slack message sent; last,
// the cost of the rollup trigger on a COPY of 1 million activity rows.
import Basics
import Delivery
import Demo
import Foundation
import Health
import Logging
import Loopback
import PG
import Queue
import Success
import Transport

/// What `cs-worker bench events` prints.
public struct EventsBenchmarkResult: Sendable {
    public var accounts = 0
    public var events = 0
    public var ratePerSecond = 0.0
    public var scoreP50Ms = 0.0, scoreP99Ms = 0.0
    public var deliveryP50Ms = 0.0, deliveryP99Ms = 0.0
    /// Full rescoring of every seeded account (median of the runs), and the runs themselves.
    public var fullRescoreSeconds = 0.0
    public var fullRescoreRuns: [Double] = []
    /// COPY of `copyRows` activity rows with the rollup trigger ÷ without (medians).
    public var copyRows = 0
    public var copyWithSeconds = 0.0, copyWithoutSeconds = 0.0
    public var copyOverhead: Double { copyWithoutSeconds > 0 ? copyWithSeconds / copyWithoutSeconds : 0 }
    /// Messages the loopback Slack received, and score_account jobs run.
    public var slackMessages = 0
    public var rescoreJobs = 0

    /// `events: p99_score_ms=<a> p99_delivery_ms=<b> full_rescore_s=<c> copy_overhead=<ratio>`.
    public var line: String {
        String(format: "events: p99_score_ms=%.1f p99_delivery_ms=%.1f full_rescore_s=%.3f copy_overhead=%.2f",
               scoreP99Ms, deliveryP99Ms, fullRescoreSeconds, copyOverhead)
    }
}

public enum EventsBenchmark {
    /// Runs on a private database `cs_bench_events` of the server at `url`.
    public static func run(url: String, accounts: Int = 100_000, events: Int = 1_000, ratePerSecond: Double = 50,
                           rescoreRuns: Int = 3, copyRows: Int = 1_000_000, copyRuns: Int = 3,
                           logger: Logger) async throws -> EventsBenchmarkResult {
        let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_events", url: url, logger: logger)
        let db = Database(url: dbURL, maxConnections: 4, logger: logger)
        defer { Task { await db.close() } }
        var result = EventsBenchmarkResult()
        result.accounts = accounts

        let seeded = try await DemoSeeder(database: db, logger: logger).seed(accounts: accounts, seed: 1)
        try await db.withConnection { try await $0.executeScript("VACUUM ANALYZE") }
        print(String(format: "seeded %d accounts (%d activity rows, rollups kept by trigger) in %.1f s",
                     seeded.accounts, seeded.rows["activity", default: 0], seeded.seconds))

        // Full rescoring from the rollups.
        let ids = (0..<Int64(seeded.accounts)).map { seeded.firstAccountID + $0 }
        let scorer = HealthScorer(database: db, logger: logger)
        for run in 0..<max(1, rescoreRuns) {
            let s = try await scorer.score(ScoringOptions(accountIDs: ids))
            result.fullRescoreRuns.append(s.seconds)
            print(String(format: "full rescore %d: %d accounts in %.3f s (measures %.2f s, compute %.2f s, writes %.2f s summed)",
                         run + 1, s.accounts, s.seconds, s.measureSeconds, s.computeSeconds, s.writeSeconds))
        }
        result.fullRescoreSeconds = BenchSupport.median(result.fullRescoreRuns)

        try await measureSignals(dbURL: dbURL, db: db, accountIDs: ids, events: events, rate: ratePerSecond,
                                 into: &result, logger: logger)
        if copyRows > 0 {
            try await measureCopy(db: db, rows: copyRows, runs: max(1, copyRuns), into: &result)
        }
        return result
    }

    /// Inserts one failed invoice for each of `events` distinct active accounts at `rate` a
    /// second (one statement and commit each, as an application would), with a worker running
    /// `score_account` and `deliver`, and waits until every message reached the loopback Slack.
    static func measureSignals(dbURL: String, db: Database, accountIDs: [Int64], events: Int, rate: Double,
                               into result: inout EventsBenchmarkResult, logger: Logger) async throws {
        let slack = try LoopbackHTTPServer(record: false)
        defer { slack.stop() }
        try await ChannelStore.save(Channel(name: "cs-team-slack", type: .slack, endpoint: slack.url("/services/T0/B0/bench"),
                                            ratePerSecond: 1e6, burst: 1_000_000), database: db)
        // Only the payment rule, every message sent (no hold-out), a clean queue.
        try await db.execute("UPDATE cs.intervention_rules SET enabled = (key = 'payment_failed'), control_fraction = 0, channel = 'cs-team-slack'")
        try await db.execute("TRUNCATE cs.jobs, cs.signals")
        let targets = try await db.query("""
            SELECT id FROM cs.accounts WHERE status = 'active' AND id = ANY($1::bigint[]) ORDER BY md5(id::text) LIMIT $2
            """, [accountIDs, events]).map { try $0.decode(Int64.self, 0) }

        let client = try CurlClient(logger: logger)
        let registry = JobRegistry()
        SuccessJobs.register(in: registry)
        DeliveryJobs.register(in: registry, client: client, logger: logger)
        var cfg = WorkerConfiguration()
        cfg.queues = ["default", DeliveryJobs.queue]
        cfg.concurrency = 16
        cfg.poolSize = 8
        let worker = Worker(url: dbURL, registry: registry, configuration: cfg, logger: logger)
        let running = Task { _ = try? await worker.run() }
        await worker.waitUntilStarted()

        let app = try await Connection.connect(url: dbURL, logger: logger)
        let interval = Duration.seconds(1 / rate)
        let start = ContinuousClock.now
        for (i, id) in targets.enumerated() {
            try await Task.sleep(until: start + interval * i, clock: .continuous)
            try await app.execute("""
                INSERT INTO cs.invoices (account_id, due_at, amount, failed_at, status)
                VALUES ($1, now() - interval '1 day', 59, now(), 'failed')
                """, [id])
        }
        await app.close()
        let offered = (ContinuousClock.now - start).seconds
        let deadline = ContinuousClock.now + .seconds(120)
        while try await db.query("SELECT count(*) FROM cs.deliveries WHERE status = 'sent'")[0].decode(Int.self, 0) < targets.count {
            guard ContinuousClock.now < deadline else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        worker.shutdown()
        await running.value
        await client.shutdown()

        let lat = try await db.query("""
            WITH s AS (SELECT s.account_id, s.occurred_at, h.created_at AS scored FROM cs.signals s
                       JOIN cs.health_scores h ON h.id = s.health_score_id WHERE s.rule = 'invoice_failed'),
                 d AS (SELECT s.account_id, x.sent_at FROM s JOIN cs.interventions i ON i.account_id = s.account_id
                       JOIN cs.deliveries x ON x.id = i.delivery_id WHERE x.status = 'sent')
            SELECT (SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM scored - occurred_at) * 1000) FROM s),
                   (SELECT percentile_cont(ARRAY[0.5, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM d.sent_at - s.occurred_at) * 1000)
                    FROM d JOIN s USING (account_id)),
                   (SELECT count(*) FROM s), (SELECT count(*) FROM d),
                   (SELECT count(*) FROM cs.jobs WHERE kind = 'score_account' AND state = 'completed')
            """)[0]
        let score = try lat.decodeIfPresent([Double].self, 0) ?? [0, 0]
        let delivery = try lat.decodeIfPresent([Double].self, 1) ?? [0, 0]
        result.events = targets.count
        result.ratePerSecond = Double(targets.count) / max(offered, 1e-9)
        (result.scoreP50Ms, result.scoreP99Ms) = (score.first ?? 0, score.last ?? 0)
        (result.deliveryP50Ms, result.deliveryP99Ms) = (delivery.first ?? 0, delivery.last ?? 0)
        result.slackMessages = slack.requestCount
        result.rescoreJobs = try lat.decode(Int.self, 4)
        let scored = try lat.decode(Int.self, 2), delivered = try lat.decode(Int.self, 3)
        print(String(format: "signals: %d failed invoices at %.1f/s; scored %d (p50 %.1f ms, p99 %.1f ms signal → score), "
                     + "sent %d (p50 %.1f ms, p99 %.1f ms signal → Slack), %d score_account jobs, Slack saw %d",
                     targets.count, result.ratePerSecond, scored, result.scoreP50Ms, result.scoreP99Ms, delivered,
                     result.deliveryP50Ms, result.deliveryP99Ms, result.rescoreJobs, result.slackMessages))
        if scored < targets.count || delivered < targets.count {
            throw BenchError("only \(scored) of \(targets.count) signals scored and \(delivered) delivered within 120 s")
        }
    }

    /// COPY of `rows` event-level activity rows (5,000 accounts, 10 days, 5 events, about 4 rows
    /// per account, day and event) into cs.activity, alternately with and without the rollup
    /// trigger, each run on days of its own and removed afterwards (untimed).
    static func measureCopy(db: Database, rows: Int, runs: Int, into result: inout EventsBenchmarkResult) async throws {
        let events = ["login", "form_sent", "message_sent", "booking_created", "invoice_sent"]
        func data(dayBase: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(rows * 48)
            var rng = SplitMix64(seed: UInt64(dayBase))
            let base = 1_924_992_000 + dayBase * 86_400 // 2031-01-01 UTC onwards
            for i in 0..<rows {
                let account = 1 + (i / 200) % 5_000
                let at = base + Int(rng.next() % UInt64(10 * 86_400))
                let line = "\(account)\t\(PGTime.format(Date(timeIntervalSince1970: TimeInterval(at))))\t\(events[Int(rng.next() % 5)])\t1\n"
                out.append(contentsOf: Array(line.utf8))
            }
            return out
        }
        var with: [Double] = [], without: [Double] = []
        try await db.withConnection { conn in
            for run in 0..<(2 * runs) {
                let triggered = run % 2 == 0
                let bytes = data(dayBase: 30 * run)
                try await conn.executeScript("CHECKPOINT")
                if !triggered { try await conn.executeScript("ALTER TABLE cs.activity DISABLE TRIGGER activity_rollup_insert") }
                let t0 = ContinuousClock.now
                let n = try await conn.copyIn("COPY cs.activity (account_id, occurred_at, event, quantity) FROM STDIN", data: bytes)
                let seconds = (ContinuousClock.now - t0).seconds
                if !triggered { try await conn.executeScript("ALTER TABLE cs.activity ENABLE TRIGGER activity_rollup_insert") }
                (triggered ? { with.append(seconds) } : { without.append(seconds) })()
                print(String(format: "copy %d activity rows %@ the rollup trigger: %.2f s", n, triggered ? "with" : "without", seconds))
                try await conn.executeScript("""
                    ALTER TABLE cs.activity DISABLE TRIGGER activity_rollup_delete;
                    DELETE FROM cs.activity WHERE occurred_at >= '2031-01-01';
                    ALTER TABLE cs.activity ENABLE TRIGGER activity_rollup_delete;
                    DELETE FROM cs.activity_daily WHERE day >= '2031-01-01';
                    """)
                try await conn.executeScript("VACUUM cs.activity, cs.activity_daily")
            }
        }
        result.copyRows = rows
        result.copyWithSeconds = BenchSupport.median(with)
        result.copyWithoutSeconds = BenchSupport.median(without)
    }
}
