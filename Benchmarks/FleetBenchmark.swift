// FleetBenchmark: many worker processes through a PgBouncer transaction pool against the
// same processes connected directly, draining the same queue in the same run.
import Basics
import Foundation
import Logging
import Loopback
import PG
import Queue

public struct FleetBenchmarkResult: Sendable {
    public var processes = 0
    public var serverPool = 0
    public var directRates: [Double] = []
    public var pooledRates: [Double] = []
    public var directPeakConnections = 0
    public var pooledPeakConnections = 0

    public var direct: Double { BenchSupport.median(directRates) }
    public var pooled: Double { BenchSupport.median(pooledRates) }
    public var ratio: Double { direct > 0 ? pooled / direct : 0 }

    /// The machine-readable last line.
    public var summaryLine: String {
        String(format: "fleet: processes=%d server_conns=%d drain=%.0f ratio_to_direct=%.2f",
               processes, pooledPeakConnections, pooled, ratio)
    }
}

/// `processes` real `cs-worker work` processes drain `jobs` no-op jobs, once connected
/// straight to the server and once through a private PgBouncer in transaction mode with
/// `serverPool` server connections (`CS_POOLING=transaction`, no listener: polling).
/// Runs alternate, medians are reported; server connections are counted on the server
/// (`pg_stat_activity`) every 50 ms.
public struct FleetBenchmark: Sendable {
    let url: String
    let jobs: Int
    let processes: Int
    let serverPool: Int
    let concurrency: Int
    let batch: Int
    let runs: Int
    let logger: Logger

    public init(url: String, jobs: Int, processes: Int, serverPool: Int, concurrency: Int, batch: Int, runs: Int, logger: Logger) {
        self.url = url; self.jobs = jobs; self.processes = processes; self.serverPool = serverPool
        self.concurrency = concurrency; self.batch = batch; self.runs = runs; self.logger = logger
    }

    public func run() async throws -> FleetBenchmarkResult {
        let name = "cs_bench_fleet"
        let dbURL = try await BenchSupport.privateDatabase(named: name, url: url, logger: logger)
        let bouncer = try await LoopbackPgBouncer(upstreamURL: url, poolMode: "transaction", poolSize: serverPool)
        let db = Database(url: dbURL, maxConnections: 2, logger: logger)
        var result = FleetBenchmarkResult()
        result.processes = processes
        result.serverPool = serverPool
        print("jobs=\(jobs) processes=\(processes) concurrency=\(concurrency) batch=\(batch) pgbouncer pool_mode=transaction default_pool_size=\(serverPool) runs=\(runs)")
        do {
            for run in 1...runs {
                let direct = try await drain(db, workerURL: dbURL, pooling: .session, label: "direct")
                let pooled = try await drain(db, workerURL: bouncer.url(database: name), pooling: .transaction, label: "pgbouncer")
                result.directRates.append(direct.rate)
                result.pooledRates.append(pooled.rate)
                result.directPeakConnections = max(result.directPeakConnections, direct.peakConnections)
                result.pooledPeakConnections = max(result.pooledPeakConnections, pooled.peakConnections)
                print(String(format: "run %d: direct %.0f jobs/s (%d server connections)  pgbouncer %.0f jobs/s (%d)  ratio %.2f",
                             run, direct.rate, direct.peakConnections, pooled.rate, pooled.peakConnections, pooled.rate / direct.rate))
            }
        } catch {
            await db.close()
            await bouncer.stop()
            throw error
        }
        await db.close()
        await bouncer.stop()
        print(String(format: "median: direct %.0f jobs/s, through pgbouncer %.0f jobs/s (%.2f of direct)", result.direct, result.pooled, result.ratio))
        return result
    }

    private struct Drain { var rate: Double; var peakConnections: Int }

    private func drain(_ db: Database, workerURL: String, pooling: PoolingMode, label: String) async throws -> Drain {
        _ = try await BenchSupport.fillNoopJobs(db, jobs: jobs, queue: "fleet")
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let cpu0 = BenchSupport.postgresCPUSeconds(), bouncer0 = BenchSupport.cpuSeconds(ofProcessesNamed: "pgbouncer")
        let workers0 = BenchSupport.cpuSeconds(ofProcessesNamed: "cs-worker") - BenchSupport.processCPUSeconds()
        let start = ContinuousClock.now
        var children: [Process] = []
        for _ in 0..<processes {
            let p = Process()
            p.executableURL = exe
            p.arguments = ["work", "--queues", "fleet", "--concurrency", "\(concurrency)", "--batch", "\(batch)",
                           "--pool-size", "1", "--control-pool-size", "1", "--no-maintenance", "--log-level", "error",
                           "--database-url", workerURL, "--pooling", pooling.rawValue]
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "CS_LISTEN_URL")
            p.environment = env
            try p.run()
            children.append(p)
        }
        var peak = 0
        var end = start
        defer { children.forEach { if $0.isRunning { $0.terminate() } } }
        while true {
            let row = try await db.one(FleetStatements.Progress())
            peak = max(peak, row.connections)
            end = .now
            if !row.busy { break }
            if end - start > .seconds(900) { throw BenchError("\(label) drain did not finish in 15 minutes") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let cpuPG = BenchSupport.postgresCPUSeconds() - cpu0, cpuBouncer = BenchSupport.cpuSeconds(ofProcessesNamed: "pgbouncer") - bouncer0
        let cpuWorkers = BenchSupport.cpuSeconds(ofProcessesNamed: "cs-worker") - BenchSupport.processCPUSeconds() - workers0
        children.forEach { $0.terminate() }
        for p in children { p.waitUntilExit() }
        let completed = try await db.one(FleetStatements.Completed())
        guard completed == jobs else { throw BenchError("\(label): \(completed) of \(jobs) jobs completed") }
        let wall = (end - start).seconds
        print(String(format: "  %@: %.2f s wall; CPU µs/job: workers %.1f, postgres %.1f, pgbouncer %.1f; peak server connections %d",
                     label, wall, cpuWorkers / Double(jobs) * 1e6, cpuPG / Double(jobs) * 1e6, cpuBouncer / Double(jobs) * 1e6, peak))
        return Drain(rate: Double(jobs) / wall, peakConnections: peak)
    }
}

/// The fleet benchmark's own monitoring SQL (read on a direct connection).
enum FleetStatements {
    /// Whether any job is still available or running (both by partial index), and the
    /// server connections to this database other than ours.
    struct Progress: Statement {
        var sql: String {
            """
            SELECT EXISTS (SELECT 1 FROM cs.jobs WHERE state = 'available')
                   OR EXISTS (SELECT 1 FROM cs.jobs WHERE worker_id IS NOT NULL),
                   (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
                      AND backend_type = 'client backend')
            """
        }
        func decode(_ row: Row) throws -> (busy: Bool, connections: Int) { (try row.decode(Bool.self, 0), try row.decode(Int.self, 1)) }
    }

    struct Completed: Statement {
        var sql: String { "SELECT count(*) FROM cs.jobs WHERE state = 'completed'" }
        func decode(_ row: Row) throws -> Int { try row.decode(Int.self, 0) }
    }
}
