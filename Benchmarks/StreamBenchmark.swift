// StreamBenchmark: the queue as a steady stream meets it — producers inserting batches at a
// fixed rate into a freshly migrated table, a fixed number of slots running short jobs,
// then a second session pinning the MVCC horizon, then recovery — and a capacity mode.
import Basics
import Foundation
import Logging
import PG
import Queue

/// The bench's job: sleeps `job_ms` and counts its runs, so "exactly once" is checked.
struct StreamJob: JobArgs {
    static let kind = "stream"
    var p: String?
}

/// One phase of the stream.
public struct StreamPhase: Sendable {
    public var name: String
    public var seconds: Double
    /// A second session holds `BEGIN; SELECT txid_current();` open for the whole phase.
    public var pinned: Bool
    public init(name: String, seconds: Double, pinned: Bool = false) { self.name = name; self.seconds = seconds; self.pinned = pinned }

    /// Warm-up 30 s, clean 60 s, pinned 120 s, recovery 90 s.
    public static let standard = [
        StreamPhase(name: "warmup", seconds: 30), StreamPhase(name: "clean", seconds: 60),
        StreamPhase(name: "pinned", seconds: 120, pinned: true), StreamPhase(name: "recovery", seconds: 90),
    ]
}

/// What one phase measured.
public struct StreamPhaseResult: Sendable {
    public var name: String
    public var offered: Int
    public var completed: Int
    public var ratio: Double { offered == 0 ? 1 : Double(completed) / Double(offered) }
    /// Created → attempted (claimed), ms.
    public var claimP50: Double, claimP95: Double, claimP99: Double
    /// Created → finalized, ms.
    public var endToEndP99: Double
    public var peakDepth: Int
    /// At the end of the phase.
    public var deadTuples: Int, tableMB: Double, indexesMB: Double, claimIndexMB: Double
}

public struct StreamResult: Sendable {
    public var rate: Double
    public var phases: [StreamPhaseResult]
    /// Seconds after the pin ended until the ready backlog was back to its clean-phase peak.
    public var recoverSeconds: Double?
    /// Jobs offered, jobs whose handler ran exactly once, and runs beyond the first.
    public var offered: Int, ranOnce: Int, duplicateRuns: Int, neverRan: Int
    public var workerCPUPerJobMicros: Double, postgresCPUPerJobMicros: Double

    func phase(_ name: String) -> StreamPhaseResult? { phases.first { $0.name == name } }

    /// `stream: rate=<r> clean_ratio=<c> pinned_ratio=<p> claim_p99_ms=<clean>/<pinned> recover_s=<s> peak_depth=<d>`.
    public var line: String {
        let clean = phase("clean"), pinned = phase("pinned")
        return String(format: "stream: rate=%.0f clean_ratio=%.3f pinned_ratio=%.3f claim_p99_ms=%.1f/%.1f recover_s=%@ peak_depth=%d",
                      rate, clean?.ratio ?? 0, pinned?.ratio ?? 0, clean?.claimP99 ?? 0, pinned?.claimP99 ?? 0,
                      recoverSeconds.map { String(format: "%.1f", $0) } ?? "never", phases.map(\.peakDepth).max() ?? 0)
    }
}

public struct StreamBenchmark: Sendable {
    public var url: String
    public var rate: Double = 2000
    public var batchMax = 128
    public var tick: Duration = .milliseconds(25)
    public var slots = 32
    public var jobMilliseconds = 1
    public var payloadBytes = 256
    public var phases = StreamPhase.standard
    /// Worker settings the stream is run with (concurrency is `slots`).
    public var configure: @Sendable (inout WorkerConfiguration) -> Void = { _ in }
    public var logger: Logger
    /// Progress lines (one per second while running).
    public var progress: @Sendable (String) -> Void = { _ in }

    public init(url: String, logger: Logger) { self.url = url; self.logger = logger }

    /// Runs per job id, so "exactly once" can be checked.
    typealias Runs = Locked<[Int64: Int]>

    func makeWorker(runs: Runs, slots: Int) -> Worker {
        var cfg = WorkerConfiguration()
        cfg.queues = ["stream"]
        cfg.concurrency = slots
        cfg.poolSize = 2
        configure(&cfg)
        cfg.concurrency = slots
        let registry = JobRegistry()
        let sleep = Duration.milliseconds(jobMilliseconds)
        registry.register(StreamJob.self, timeout: .seconds(30)) { _, ctx in
            runs.withLock { $0[ctx.job.id, default: 0] += 1 }
            if sleep > .zero { try await Task.sleep(for: sleep) }
        }
        var quiet = logger
        quiet.logLevel = .warning
        return Worker(url: url, registry: registry, configuration: cfg, logger: quiet)
    }

    public func run() async throws -> StreamResult {
        let runs = Runs([:])
        let worker = makeWorker(runs: runs, slots: slots)
        let working = Task { try await worker.run() }
        await worker.waitUntilStarted()
        let monitor = try await Connection.connect(url: url, applicationName: "cs-bench-monitor", logger: logger)
        let producerConn = try await Connection.connect(url: url, applicationName: "cs-bench-producer", logger: logger)
        let payload = String(repeating: "x", count: max(0, payloadBytes - 8))
        let cpu0 = BenchSupport.processCPUSeconds(), pg0 = BenchSupport.postgresCPUSeconds()

        // The producer: at each tick, insert what the fixed rate has made due, in batches of
        // at most `batchMax`, each its own statement (a plain INSERT, as an application does).
        let offered = Locked(0)
        let stopProducing = Locked(false)
        let producing = Task { [rate, batchMax, tick] in
            let start = ContinuousClock.now
            var next = start
            while !stopProducing.withLock({ $0 }) {
                let due = Int(rate * (ContinuousClock.now - start).seconds) - offered.withLock { $0 }
                var left = due
                while left > 0 {
                    let n = min(left, batchMax)
                    try await producerConn.execute(BenchStreamStatements.Insert(count: n, payload: payload))
                    offered.withLock { $0 += n }
                    left -= n
                }
                next = next + tick
                let now = ContinuousClock.now
                if next > now { try await Task.sleep(until: next, clock: .continuous) } else { next = now }
            }
        }

        // The phases, with a sample of the backlog every second.
        var boundaries: [Date] = [try await monitor.one(BenchStreamStatements.Now())]
        var peaks: [Int] = []
        var sizes: [BenchStreamStatements.Sizes.Figures] = []
        var samples: [(at: Double, depth: Int)] = []
        let t0 = ContinuousClock.now
        var pinEnded: Double?
        for phase in phases {
            var pin: Connection?
            if phase.pinned {
                let c = try await Connection.connect(url: url, applicationName: "cs-bench-pin", logger: logger)
                try await c.executeScript("BEGIN; SELECT txid_current();")
                pin = c
            }
            let end = ContinuousClock.now + .milliseconds(Int64(phase.seconds * 1000))
            var peak = 0
            while ContinuousClock.now < end {
                let depth = try await monitor.one(BenchStreamStatements.Depth())
                peak = max(peak, depth)
                samples.append(((ContinuousClock.now - t0).seconds, depth))
                progress(String(format: "  %@ %5.1f s: offered %d, completed %d, ready %d", phase.name, (ContinuousClock.now - t0).seconds,
                                offered.withLock { $0 }, worker.stats.outcomes.completed, depth))
                let wait = min(.seconds(1), end - ContinuousClock.now)
                if wait > .zero { try await Task.sleep(for: wait) }
            }
            if let pin {
                try await pin.executeScript("ROLLBACK")
                await pin.close()
                pinEnded = (ContinuousClock.now - t0).seconds
            }
            peaks.append(peak)
            sizes.append(try await monitor.one(BenchStreamStatements.Sizes()))
            boundaries.append(try await monitor.one(BenchStreamStatements.Now()))
        }
        stopProducing.withLock { $0 = true }
        try await producing.value
        let total = offered.withLock { $0 }
        // Let the backlog drain, then check every job ran exactly once.
        let drainDeadline = ContinuousClock.now + .seconds(300)
        while worker.stats.outcomes.completed < total && ContinuousClock.now < drainDeadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let cpu = BenchSupport.processCPUSeconds() - cpu0, pg = BenchSupport.postgresCPUSeconds() - pg0
        worker.shutdown()
        try await working.value
        await producerConn.close()

        var results: [StreamPhaseResult] = []
        for (i, phase) in phases.enumerated() {
            let f = try await monitor.one(BenchStreamStatements.PhaseFigures(from: boundaries[i], to: boundaries[i + 1]))
            results.append(StreamPhaseResult(name: phase.name, offered: f.offered, completed: f.completed, claimP50: f.claimP50,
                                             claimP95: f.claimP95, claimP99: f.claimP99, endToEndP99: f.endToEndP99,
                                             peakDepth: peaks[i], deadTuples: sizes[i].deadTuples, tableMB: sizes[i].tableMB,
                                             indexesMB: sizes[i].indexesMB, claimIndexMB: sizes[i].claimIndexMB))
        }
        await monitor.close()

        // Recovered: the first sample after the pin at or below the clean phase's peak backlog.
        var recover: Double?
        if let ended = pinEnded, let cleanIndex = phases.firstIndex(where: { !$0.pinned && $0.name == "clean" }) {
            let bar = max(peaks[cleanIndex], Int(rate * 0.05))
            recover = samples.first { $0.at >= ended && $0.depth <= bar }.map { max(0, $0.at - ended) }
        }
        let counts = runs.withLock { $0 }
        let once = counts.values.filter { $0 == 1 }.count
        let dup = counts.values.reduce(0) { $0 + max(0, $1 - 1) }
        return StreamResult(rate: rate, phases: results, recoverSeconds: recover, offered: total, ranOnce: once,
                            duplicateRuns: dup, neverRan: max(0, total - counts.count),
                            workerCPUPerJobMicros: cpu / Double(max(total, 1)) * 1e6,
                            postgresCPUPerJobMicros: pg / Double(max(total, 1)) * 1e6)
    }

    /// Capacity: keep about `depth` jobs ready and measure completions per second over
    /// `seconds` (after a short warm-up).
    public func capacity(depth: Int = 2000, seconds: Double = 20) async throws -> Double {
        let runs = Runs([:])
        let worker = makeWorker(runs: runs, slots: slots)
        let working = Task { try await worker.run() }
        await worker.waitUntilStarted()
        let feeder = try await Connection.connect(url: url, applicationName: "cs-bench-feeder", logger: logger)
        let payload = String(repeating: "x", count: max(0, payloadBytes - 8))
        var inserted = 0
        func topUp() async throws {
            let ready = inserted - worker.stats.claimed
            var missing = depth - ready
            while missing > 0 {
                let n = min(missing, 1000)
                try await feeder.execute(BenchStreamStatements.Insert(count: n, payload: payload))
                inserted += n
                missing -= n
            }
        }
        let warm = ContinuousClock.now + .seconds(3)
        while ContinuousClock.now < warm { try await topUp(); try await Task.sleep(for: .milliseconds(5)) }
        let s0 = worker.stats
        let c0 = s0.outcomes.completed, t0 = ContinuousClock.now
        let cpu0 = BenchSupport.processCPUSeconds(), pg0 = BenchSupport.postgresCPUSeconds()
        let end = t0 + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < end { try await topUp(); try await Task.sleep(for: .milliseconds(5)) }
        let done = worker.stats.outcomes.completed - c0, wall = (ContinuousClock.now - t0).seconds
        let rate = Double(done) / wall
        let cpu = BenchSupport.processCPUSeconds() - cpu0, pg = BenchSupport.postgresCPUSeconds() - pg0
        let s1 = worker.stats
        let claims = s1.claims - s0.claims
        progress(String(format: "capacity: %d jobs in %.1f s; CPU: worker %.2f cores (%.1f µs/job), postgres %.2f cores (%.1f µs/job); "
                        + "%d claims of %.1f jobs, %.2f ms each; %d completion batches",
                        done, wall, cpu / wall, cpu / Double(max(done, 1)) * 1e6, pg / wall, pg / Double(max(done, 1)) * 1e6,
                        claims, Double(s1.claimed - s0.claimed) / Double(max(claims, 1)),
                        (s1.claimSeconds - s0.claimSeconds) / Double(max(claims, 1)) * 1000, s1.outcomes.batches - s0.outcomes.batches))
        worker.shutdown()
        try await working.value
        await feeder.close()
        return rate
    }
}

enum BenchStreamStatements {
    /// A batch of stream jobs with a payload, as an application would enqueue them.
    struct Insert: Statement {
        var count: Int
        var payload: String
        var sql: String {
            "INSERT INTO cs.jobs (kind, queue, args) SELECT 'stream', 'stream', jsonb_build_object('p', $2::text) FROM generate_series(1, $1)"
        }
        var bindings: [any SQLParameter] { [count, payload] }
    }

    struct Now: Statement {
        var sql: String { "SELECT clock_timestamp()" }
        func decode(_ row: Row) throws -> Date { try row.decode(Date.self, 0) }
    }

    struct Depth: Statement {
        var sql: String { "SELECT count(*) FROM cs.jobs WHERE state = 'available' AND queue = 'stream'" }
        func decode(_ row: Row) throws -> Int { try row.decode(Int.self, 0) }
    }

    struct Sizes: Statement {
        struct Figures: Sendable { let deadTuples: Int, tableMB: Double, indexesMB: Double, claimIndexMB: Double }
        var sql: String {
            """
            SELECT coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'cs.jobs'::regclass), 0),
                   pg_table_size('cs.jobs') / 1048576.0, pg_indexes_size('cs.jobs') / 1048576.0,
                   pg_relation_size('cs.jobs_claim') / 1048576.0
            """
        }
        func decode(_ r: Row) throws -> Figures {
            Figures(deadTuples: try r.decode(Int.self, 0), tableMB: try r.decode(Double.self, 1),
                    indexesMB: try r.decode(Double.self, 2), claimIndexMB: try r.decode(Double.self, 3))
        }
    }

    /// Jobs created in [from, to): how many, their claim and end-to-end latencies; and jobs
    /// finalized in [from, to).
    struct PhaseFigures: Statement {
        struct Figures: Sendable { let offered: Int, completed: Int, claimP50: Double, claimP95: Double, claimP99: Double, endToEndP99: Double }
        var from: Date
        var to: Date
        var sql: String {
            """
            WITH c AS (
                SELECT extract(epoch FROM attempted_at - created_at) * 1000 AS claim_ms,
                       extract(epoch FROM finalized_at - created_at) * 1000 AS e2e_ms
                FROM cs.jobs WHERE queue = 'stream' AND created_at >= $1 AND created_at < $2
            )
            SELECT (SELECT count(*) FROM c),
                   (SELECT count(*) FROM cs.jobs WHERE queue = 'stream' AND state = 'completed' AND finalized_at >= $1 AND finalized_at < $2),
                   coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_ms), 0),
                   coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY claim_ms), 0),
                   coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY claim_ms), 0),
                   coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY e2e_ms), 0)
            FROM c
            """
        }
        var bindings: [any SQLParameter] { [from, to] }
        func decode(_ r: Row) throws -> Figures {
            Figures(offered: try r.decode(Int.self, 0), completed: try r.decode(Int.self, 1), claimP50: try r.decode(Double.self, 2),
                    claimP95: try r.decode(Double.self, 3), claimP99: try r.decode(Double.self, 4), endToEndP99: try r.decode(Double.self, 5))
        }
    }
}
