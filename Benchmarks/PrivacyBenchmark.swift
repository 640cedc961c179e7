// PrivacyBenchmark: the retention purge of 10 million expired activity rows while a worker
// keeps draining jobs and the host application keeps writing; erasure and export of one
// account on a 100,000-account database.
import Basics
import Demo
import Foundation
import Logging
import PG
import Privacy
import Queue

public struct PrivacyBenchmarkResult: Sendable {
    public var purgedRows: Int
    public var purgeSeconds: Double
    public var purgeRowsPerSecond: Double { purgeSeconds > 0 ? Double(purgedRows) / purgeSeconds : 0 }
    /// The slowest single statement of the concurrent writer during the purge (an upper bound
    /// on any lock wait it met), and its median.
    public var maxWriterMs: Double
    public var medianWriterMs: Double
    /// Jobs per second drained during the purge, and without it.
    public var drainDuring: Double
    public var drainAlone: Double
    public var drainRatio: Double { drainAlone > 0 ? drainDuring / drainAlone : 0 }
    public var eraseSeconds: Double
    public var exportSeconds: Double
    /// `privacy: purge_rows_per_s=<r> max_lock_wait_ms=<w> drain_ratio=<q> erase_s=<e> export_s=<x>`.
    public var line: String {
        String(format: "privacy: purge_rows_per_s=%.0f max_lock_wait_ms=%.1f drain_ratio=%.2f erase_s=%.3f export_s=%.3f",
               purgeRowsPerSecond, maxWriterMs, drainRatio, eraseSeconds, exportSeconds)
    }
}

public enum PrivacyBenchmark {
    public static func run(url: String, accounts: Int, expiredRows: Int, logger: Logger, progress: (String) -> Void) async throws -> PrivacyBenchmarkResult {
        let database = Database(url: url, maxConnections: 6, logger: logger)
        defer { Task { await database.close() } }
        let seeded = try await DemoSeeder(database: database, logger: logger).seed(accounts: accounts, seed: 1)
        progress(String(format: "seeded %d accounts (%d activity rows) in %.1f s", seeded.accounts, seeded.rows["activity", default: 0], seeded.seconds))

        // Export and erasure of one account of the 100,000.
        let requests = PrivacyRequests(database: database, logger: logger)
        let subject = try await database.one(Statements.SomeAccount())
        let exportPath = FileManager.default.temporaryDirectory.appendingPathComponent("cs-bench-export-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: exportPath) }
        let ex = try await requests.file("export", .account(subject), basis: "benchmark")
        var t = ContinuousClock.now
        let bytes = try await requests.export(request: ex, to: exportPath, actor: "bench")
        let exportSeconds = (ContinuousClock.now - t).seconds
        let er = try await requests.file("erase", .account(subject), basis: "benchmark")
        t = ContinuousClock.now
        _ = try await requests.erase(request: er, actor: "bench")
        let eraseSeconds = (ContinuousClock.now - t).seconds
        progress(String(format: "account %lld: export %.3f s (%d bytes), erasure %.3f s", subject, exportSeconds, bytes, eraseSeconds))

        // Ten million activity rows past the two-year policy.
        t = ContinuousClock.now
        var inserted = 0
        while inserted < expiredRows {
            let n = min(1_000_000, expiredRows - inserted)
            try await database.execute(Statements.ExpiredActivity(offset: inserted, count: n, accounts: accounts))
            inserted += n
        }
        try await database.withConnection { try await $0.executeScript("VACUUM ANALYZE cs.activity") }
        progress(String(format: "inserted %d expired activity rows in %.1f s", inserted, (ContinuousClock.now - t).seconds))

        let alone = try await drainRate(url: url, seconds: 8, logger: logger)
        progress(String(format: "drain without the purge: %.0f jobs/s", alone))

        // The purge, with the drain and the writer going on beside it.
        let stop = Locked(false)
        let writer = Task { try await Self.writer(database: database, until: stop) }
        let drains = Task { () -> [Double] in
            var rates: [Double] = []
            while !stop.withLock({ $0 }) { rates.append(try await Self.drainRate(url: url, seconds: 5, logger: logger)) }
            return rates
        }
        t = ContinuousClock.now
        let results = try await RetentionPurger(database: database, actor: "bench", logger: logger).purge(only: ["activity"])
        let purgeSeconds = (ContinuousClock.now - t).seconds
        stop.withLock { $0 = true }
        let latencies = try await writer.value
        let during = try await drains.value
        let purged = results.first?.rows ?? 0
        progress(String(format: "purged %d rows in %.1f s (%d batches); writer max %.1f ms; drain during %@ jobs/s",
                        purged, purgeSeconds, results.first?.batches ?? 0, (latencies.max() ?? 0) * 1000,
                        during.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        return PrivacyBenchmarkResult(purgedRows: purged, purgeSeconds: purgeSeconds, maxWriterMs: (latencies.max() ?? 0) * 1000,
                                      medianWriterMs: BenchSupport.median(latencies) * 1000,
                                      drainDuring: BenchSupport.median(during), drainAlone: alone,
                                      eraseSeconds: eraseSeconds, exportSeconds: exportSeconds)
    }

    /// Jobs per second a 64-slot worker completes over `seconds`, with a ready backlog kept topped up.
    static func drainRate(url: String, seconds: Double, logger: Logger) async throws -> Double {
        let db = Database(url: url, maxConnections: 2, logger: logger)
        let enqueuer = Enqueuer(database: db)
        let args = [String](repeating: "{}", count: 5000)
        for _ in 0..<10 { _ = try await enqueuer.enqueueMany(kind: Noop.kind, argsJSON: args, queue: "privacy-bench") }
        let registry = JobRegistry()
        DiagnosticJobs.register(in: registry, workerID: "bench")
        var cfg = WorkerConfiguration()
        cfg.queues = ["privacy-bench"]
        cfg.concurrency = 64
        cfg.maintenance = false
        var quiet = logger
        quiet.logLevel = .warning
        let worker = Worker(url: url, registry: registry, configuration: cfg, logger: quiet)
        let task = Task { try await worker.run() }
        await worker.waitUntilStarted()
        let start = ContinuousClock.now, before = worker.stats.outcomes.completed
        while (ContinuousClock.now - start).seconds < seconds {
            try await Task.sleep(for: .milliseconds(250))
            if try await db.one(Statements.Ready()) < 20_000 { _ = try await enqueuer.enqueueMany(kind: Noop.kind, argsJSON: args, queue: "privacy-bench") }
        }
        let rate = Double(worker.stats.outcomes.completed - before) / (ContinuousClock.now - start).seconds
        worker.shutdown()
        try await task.value
        try await db.execute(Statements.ClearBench())
        await db.close()
        return rate
    }

    /// The host application's writes during the purge: an activity insert and an account
    /// update every 10 ms; returns each statement pair's seconds.
    static func writer(database: Database, until stop: Locked<Bool>) async throws -> [Double] {
        var out: [Double] = []
        while !stop.withLock({ $0 }) {
            let t = ContinuousClock.now
            try await database.execute(Statements.Write())
            out.append((ContinuousClock.now - t).seconds)
            try await Task.sleep(for: .milliseconds(10))
        }
        return out
    }

    enum Statements {
        struct SomeAccount: Statement {
            var sql: String { "SELECT id FROM cs.accounts WHERE status = 'active' ORDER BY id LIMIT 1 OFFSET 500" }
            func decode(_ r: Row) throws -> Int64 { try r.decode(Int64.self, 0) }
        }
        struct ExpiredActivity: Statement {
            var offset: Int
            var count: Int
            var accounts: Int
            var sql: String {
                """
                INSERT INTO cs.activity (account_id, event, occurred_at)
                SELECT 1 + (g % $3), 'login', now() - interval '3 years' - make_interval(secs => g % 31536000)
                FROM generate_series($1::bigint, $1::bigint + $2 - 1) g
                """
            }
            var bindings: [any SQLParameter] { [offset, count, accounts] }
        }
        struct Ready: Statement {
            var sql: String { "SELECT count(*) FROM cs.jobs WHERE state = 'available' AND queue = 'privacy-bench'" }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
        struct ClearBench: Statement {
            var sql: String { "DELETE FROM cs.jobs WHERE queue = 'privacy-bench'" }
        }
        struct Write: Statement {
            var sql: String {
                """
                WITH a AS (INSERT INTO cs.activity (account_id, event, occurred_at) VALUES (1, 'login', now()) RETURNING 1)
                UPDATE cs.accounts SET updated_at = now() WHERE id = (SELECT min(id) FROM cs.accounts)
                """
            }
        }
    }
}
