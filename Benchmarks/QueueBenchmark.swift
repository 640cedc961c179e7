// QueueBenchmark: enqueue and drain rates, enqueue-to-start latency and idle RSS of the
// queue engine, beside the raw-SQL ceiling of the same statements (pgbench), one run.
import Basics
import Foundation
import Logging
import Loopback
import PG
import Queue

public struct QueueBenchmarkResult: Sendable {
    public var enqueueRates: [Double] = []
    public var drainRates: [Double] = []
    public var ceilingRates: [Double] = []
    /// Drains through a PgBouncer transaction pool, when asked for (`--pgbouncer`).
    public var pooledRates: [Double] = []
    public var latenciesMs: [Double] = []
    public var idleRSSMiB: Double = 0

    public var drain: Double { BenchSupport.median(drainRates) }
    public var ceiling: Double { BenchSupport.median(ceilingRates) }
    public var ratio: Double { ceiling > 0 ? drain / ceiling : 0 }
    public var pooled: Double { BenchSupport.median(pooledRates) }

    /// The machine-readable last line.
    public var summaryLine: String {
        String(format: "queue: drain=%.0f ceiling=%.0f ratio=%.2f p50_ms=%.2f p99_ms=%.2f rss_mb=%.1f",
               drain, ceiling, ratio, BenchSupport.percentile(latenciesMs, 50), BenchSupport.percentile(latenciesMs, 99), idleRSSMiB)
    }
}

public struct QueueBenchmark: Sendable {
    let url: String
    let jobs: Int
    let workers: Int
    let concurrency: Int
    let batch: Int
    let runs: Int
    let latencySamples: Int
    /// Server connections of a PgBouncer transaction pool to drain through as well; nil: direct only.
    let pgbouncerPool: Int?
    /// Claim loops per worker (nil: the worker's default).
    public var claimLoops: Int?
    let logger: Logger

    public init(url: String, jobs: Int, workers: Int, concurrency: Int, batch: Int, runs: Int, latencySamples: Int,
                pgbouncerPool: Int? = nil, logger: Logger) {
        self.url = url; self.jobs = jobs; self.workers = workers; self.concurrency = concurrency
        self.batch = batch; self.runs = runs; self.latencySamples = latencySamples
        self.pgbouncerPool = pgbouncerPool; self.logger = logger
    }

    public func run() async throws -> QueueBenchmarkResult {
        let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_queue", url: url, logger: logger)
        let db = Database(url: dbURL, maxConnections: 4, logger: logger)
        var result = QueueBenchmarkResult()
        let settings = try await db.query("SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")
        print("server: PostgreSQL \(try settings[0].decode(String.self, 0)) fsync=\(try settings[0].decode(String.self, 1)) synchronous_commit=\(try settings[0].decode(String.self, 2))")
        print("jobs=\(jobs) workers=\(workers) concurrency=\(concurrency) batch=\(batch) runs=\(runs)")

        var bouncer: LoopbackPgBouncer?
        if let pgbouncerPool { bouncer = try await LoopbackPgBouncer(upstreamURL: url, poolMode: "transaction", poolSize: pgbouncerPool) }
        for run in 1...runs {
            let enqueueRate = try await fill(db)
            result.enqueueRates.append(enqueueRate)
            let drain = try await drainOnce(dbURL)
            result.drainRates.append(drain)
            if let bouncer {
                _ = try await fill(db)
                let pooled = try await drainOnce(bouncer.url(database: "cs_bench_queue"), pooling: .transaction)
                result.pooledRates.append(pooled)
                print(String(format: "run %d: through pgbouncer (transaction, %d server connections) %.0f jobs/s, %.2f of direct",
                             run, bouncer.poolSize, pooled, pooled / drain))
            }
            _ = try await fill(db)
            let ceiling = try ceilingOnce(dbURL)
            result.ceilingRates.append(ceiling)
            print(String(format: "run %d: enqueue %.0f jobs/s  drain %.0f jobs/s  ceiling %.0f jobs/s  ratio %.2f",
                         run, enqueueRate, drain, ceiling, ceiling > 0 ? drain / ceiling : 0))
        }
        await bouncer?.stop()
        try await db.execute("TRUNCATE cs.jobs")
        result.latenciesMs = try await latency(dbURL)
        result.idleRSSMiB = try await idleRSS(dbURL)
        await db.close()
        print(String(format: "enqueue (bulk, median): %.0f jobs/s", BenchSupport.median(result.enqueueRates)))
        print(String(format: "drain (median): %.0f jobs/s; ceiling (median): %.0f jobs/s", result.drain, result.ceiling))
        if !result.pooledRates.isEmpty {
            print(String(format: "drain through pgbouncer (median): %.0f jobs/s, %.2f of direct", result.pooled, result.pooled / result.drain))
        }
        print(String(format: "enqueue-to-start latency over %d single INSERTs: p50 %.2f ms, p99 %.2f ms",
                     result.latenciesMs.count, BenchSupport.percentile(result.latenciesMs, 50), BenchSupport.percentile(result.latenciesMs, 99)))
        print(String(format: "idle worker process RSS: %.1f MiB", result.idleRSSMiB))
        return result
    }

    private func fill(_ db: Database) async throws -> Double {
        try await BenchSupport.fillNoopJobs(db, jobs: jobs, queue: "bench")
    }

    /// Starts `workers` in-process workers on the filled queue; returns jobs/s until the
    /// last completion is written.
    private func drainOnce(_ dbURL: String, pooling: PoolingMode = .session) async throws -> Double {
        var cfg = WorkerConfiguration()
        cfg.pooling = pooling
        cfg.queues = ["bench"]
        cfg.concurrency = concurrency
        cfg.claimBatch = batch
        cfg.maintenance = false
        cfg.poolSize = 2
        if let claimLoops { cfg.claimLoops = claimLoops }
        var quiet = logger
        quiet.logLevel = .warning
        let pool = (0..<workers).map { i -> Worker in
            var c = cfg
            c.workerID = "bench-\(i)-\(UInt32.random(in: 0...UInt32.max))"
            let registry = JobRegistry()
            DiagnosticJobs.register(in: registry, workerID: c.workerID)
            return Worker(url: dbURL, registry: registry, configuration: c, logger: quiet)
        }
        let cpu0 = BenchSupport.processCPUSeconds(), pg0 = BenchSupport.postgresCPUSeconds()
        let start = ContinuousClock.now
        let tasks = pool.map { w in Task { try await w.run() } }
        var end = ContinuousClock.now
        while true {
            let completed = pool.reduce(0) { $0 + $1.stats.outcomes.completed }
            end = .now
            if completed >= jobs { break }
            if end - start > .seconds(600) { throw BenchError("drain did not finish in 10 minutes (\(completed)/\(jobs))") }
            try await Task.sleep(for: .milliseconds(2))
        }
        let cpu = BenchSupport.processCPUSeconds() - cpu0, pg = BenchSupport.postgresCPUSeconds() - pg0
        let wall = (end - start).seconds
        print(String(format: "  drain: %.2f s wall; CPU: worker %.2f s (%.1f µs/job), postgres %.2f s (%.1f µs/job)",
                     wall, cpu, cpu / Double(jobs) * 1e6, pg, pg / Double(jobs) * 1e6))
        pool.forEach { $0.shutdown() }
        for t in tasks { try await t.value }
        return Double(jobs) / wall
    }

    /// pgbench running the worker's own claim and complete statements, `workers` clients.
    private func ceilingOnce(_ dbURL: String) throws -> Double {
        guard let pgbench = BenchSupport.postgresTool("pgbench") else { throw BenchError("pgbench not found (apt-get install postgresql-contrib)") }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("cs-bench-claim-\(getpid()).sql")
        try QueueBenchmark.ceilingScript.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let clients = max(1, workers)
        let perClient = (jobs + batch * clients - 1) / (batch * clients)
        let pg0 = BenchSupport.postgresCPUSeconds()
        let start = ContinuousClock.now
        // Plans as the worker's sessions make them; for pgbench only (a process-wide
        // PGOPTIONS would reach our own connections too, and PgBouncer refuses it).
        _ = try BenchSupport.run(pgbench, ["-n", "-M", "prepared", "-c", "\(clients)", "-j", "\(clients)", "-t", "\(perClient)",
                                           "-D", "batch=\(batch)", "-f", script.path, dbURL],
                                 environment: ["PGOPTIONS": "-c plan_cache_mode=force_generic_plan"])
        let secs = (ContinuousClock.now - start).seconds
        let pg = BenchSupport.postgresCPUSeconds() - pg0
        print(String(format: "  ceiling: %.2f s wall; postgres CPU %.2f s (%.1f µs/job)", secs, pg, pg / Double(jobs) * 1e6))
        let done = try BenchSupport.run(BenchSupport.postgresTool("psql") ?? "psql",
                                        ["-XtAc", "SELECT count(*) FROM cs.jobs WHERE state = 'completed'", dbURL])
        let n = Double(done.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return n / secs
    }

    /// The worker's own claim and completion statements (QueueStatements), as a pgbench script:
    /// claim a batch, then mark it completed, two transactions as in the worker.
    static var ceilingScript: String {
        let claim = QueueStatements.Claim(queue: "", limit: 0, workerID: "").sql
            .replacingOccurrences(of: "$1", with: "'bench'")
            .replacingOccurrences(of: "$2", with: ":batch")
            .replacingOccurrences(of: "$3", with: "'pgbench'")
        let complete = QueueStatements.CompleteMany(ids: [], attempts: []).sql
            .replacingOccurrences(of: "$1", with: ":ids")
            .replacingOccurrences(of: "$2", with: ":atts")
        return """
            WITH claimed AS (
            \(claim)
            )
            SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(attempt), '{}') AS atts FROM claimed \\gset
            \(complete);

            """
    }

    /// Times single INSERTs until their job starts in an idle, listening worker.
    private func latency(_ dbURL: String) async throws -> [Double] {
        let starts = StartTimes()
        var cfg = WorkerConfiguration()
        cfg.queues = ["latency"]
        cfg.concurrency = 10
        cfg.maintenance = false
        cfg.pollInterval = .seconds(5)
        cfg.poolSize = 2
        let registry = JobRegistry()
        registry.register(LatencyProbe.self) { _, ctx in starts.record(ctx.job.id) }
        var quiet = logger
        quiet.logLevel = .warning
        let worker = Worker(url: dbURL, registry: registry, configuration: cfg, logger: quiet)
        let task = Task { try await worker.run() }
        await worker.waitUntilStarted()
        try await Task.sleep(for: .milliseconds(300))
        let conn = try await Connection.connect(url: dbURL, logger: logger)
        var samples: [Double] = []
        for _ in 0..<latencySamples {
            let sent = ContinuousClock.now
            let r = try await conn.query("INSERT INTO cs.jobs (kind, queue) VALUES ('latency_probe', 'latency') RETURNING id")
            let id = try r[0].decode(Int64.self, 0)
            let started = try await starts.wait(for: id)
            samples.append((started - sent).seconds * 1000)
            try await Task.sleep(for: .milliseconds(5))
        }
        await conn.close()
        worker.shutdown()
        try await task.value
        return samples
    }

    /// Starts a real `cs-worker work` process, lets it settle idle, and reads its RSS.
    private func idleRSS(_ dbURL: String) async throws -> Double {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let p = Process()
        p.executableURL = exe
        p.arguments = ["work", "--queues", "idle", "--database-url", dbURL, "--log-level", "error"]
        try p.run()
        try await Task.sleep(for: .seconds(3))
        let rss = BenchSupport.memoryMiB(pid: p.processIdentifier).rss
        p.terminate()
        p.waitUntilExit()
        return rss
    }
}

/// When each latency probe started, and a way to wait for one without spinning.
final class StartTimes: @unchecked Sendable {
    // Safe: `times` and `waiters` are only touched under `lock`.
    private let lock = NSLock()
    private var times: [Int64: ContinuousClock.Instant] = [:]
    private var waiters: [Int64: CheckedContinuation<ContinuousClock.Instant, Never>] = [:]

    func record(_ id: Int64) {
        let now = ContinuousClock.now
        let waiter: CheckedContinuation<ContinuousClock.Instant, Never>? = lock.withLock {
            if let w = waiters.removeValue(forKey: id) { return w }
            times[id] = now
            return nil
        }
        waiter?.resume(returning: now)
    }

    func wait(for id: Int64) async throws -> ContinuousClock.Instant {
        await withCheckedContinuation { c in
            let t: ContinuousClock.Instant? = lock.withLock {
                if let t = times.removeValue(forKey: id) { return t }
                waiters[id] = c
                return nil
            }
            if let t { c.resume(returning: t) }
        }
    }
}

/// The latency benchmark's job: records when it started.
struct LatencyProbe: JobArgs {
    static let kind = "latency_probe"
}
