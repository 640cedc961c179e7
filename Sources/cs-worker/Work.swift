// `cs-worker work`: run a worker until SIGTERM/SIGINT.
import ArgumentParser
import Basics
import Console
import Dispatch
import Foundation
import Logging
import PG
import Queue
import Web

struct Work: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Claim and run jobs until SIGTERM or SIGINT, then stop gracefully.",
        discussion: "A second signal cancels running jobs and releases them at once; a third exits, and the leader rescues what was left.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Comma-separated queues to work (`monitor` runs the health_check job).") var queues: String = "default,delivery,monitor"
    @Option(help: "Jobs run at once.") var concurrency: Int = 50
    @Option(help: "Most jobs taken per claim.") var batch: Int = 100
    @Option(help: "Claim loops, each with its own connection.") var claimLoops: Int = 2
    @Option(help: "Jobs claimed ahead of free slots while jobs are short (default: twice --batch; 0: never).") var claimAhead: Int?
    @Option(help: "Seconds running jobs get to finish on shutdown.") var grace: Double = 30
    @Option(help: "Seconds between polls when no NOTIFY arrives.") var poll: Double = 1
    @Option(help: "Seconds without a heartbeat before a worker's jobs are rescued.") var rescueAfter: Double = 15
    @Option(help: "Base of the retry backoff, seconds.") var retryBase: Double = 1
    @Option(help: "Hours to keep completed jobs.") var keepCompletedHours: Double = 1
    @Option(help: "Connections handlers share (default: concurrency ÷ 4, between 8 and 32).") var poolSize: Int?
    @Option(help: "Connections for heartbeats, elections and maintenance.") var controlPoolSize: Int = 3
    @Option(help: "URL to LISTEN on for instant pickup and cancel requests: direct or session-pooled, never a transaction pooler (default: $CS_LISTEN_URL, else the main URL unless --pooling transaction).")
    var listenURL: String?
    @Option(help: "At start, keep trying to reach the database for this many seconds instead of failing at once.")
    var waitForDatabase: Double = 0
    @Option(help: "Serve /metrics (Prometheus), /healthz and /readyz on HOST:PORT, e.g. 127.0.0.1:9464 (default: $CS_HTTP; off when unset).")
    var http: String?
    @Flag(help: "Do not take part in leader election (no maintenance, no cron).") var noMaintenance = false
    @Flag(help: "Exit once no job is available, running or due soon (batch mode, for demos and scripts).") var untilEmpty = false

    func validate() throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard (1...8).contains(claimLoops) else { throw ValidationError("--claim-loops must be 1…8") }
        if let claimAhead, claimAhead < 0 { throw ValidationError("--claim-ahead must be 0 or more") }
        guard !queues.split(separator: ",").isEmpty else { throw ValidationError("--queues needs at least one queue") }
        if let poolSize, poolSize < 1 { throw ValidationError("--pool-size must be at least 1") }
        guard controlPoolSize >= 1 else { throw ValidationError("--control-pool-size must be at least 1") }
        guard waitForDatabase >= 0, waitForDatabase <= 86_400 else { throw ValidationError("--wait-for-database must be 0…86400 seconds") }
        if let address = httpSetting { do { _ = try HTTPAddress(parsing: address) } catch let e as PGError { throw ValidationError(e.message) } }
    }

    /// `--http`, else `CS_HTTP`.
    var httpSetting: String? {
        http ?? ProcessInfo.processInfo.environment["CS_HTTP"].flatMap { $0.isEmpty ? nil : $0 }
    }

    func run() async throws {
        let logger = global.logger()
        let url = try global.url()
        var cfg = WorkerConfiguration()
        cfg.queues = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        cfg.concurrency = concurrency
        cfg.claimBatch = batch
        cfg.claimLoops = claimLoops
        cfg.claimAhead = claimAhead
        cfg.shutdownGrace = .milliseconds(Int64(grace * 1000))
        cfg.pollInterval = .milliseconds(Int64(poll * 1000))
        cfg.rescueAfter = .milliseconds(Int64(rescueAfter * 1000))
        cfg.retry = RetryPolicy(base: .milliseconds(Int64(retryBase * 1000)))
        cfg.keepCompleted = .seconds(Int64(keepCompletedHours * 3600))
        cfg.maintenance = !noMaintenance
        cfg.poolSize = poolSize ?? min(max(8, concurrency / 4), 32)
        cfg.controlPoolSize = controlPoolSize
        cfg.pooling = global.poolingMode
        let listenURL = self.listenURL ?? ProcessInfo.processInfo.environment["CS_LISTEN_URL"].flatMap { $0.isEmpty ? nil : $0 }
        cfg.listenURL = listenURL
        logger.notice("connection budget: at most \(cfg.connectionBudget) connections to the database",
                      metadata: ["pooling": "\(cfg.pooling)", "listen": "\(listenURL.map(DatabaseURL.redacted) ?? (cfg.pooling == .session ? "main url" : "none (polling)"))"])
        try await Self.reachDatabase(url: url, pooling: cfg.pooling, waitSeconds: waitForDatabase, logger: logger)
        // The metrics backend goes in before anything creates a metric.
        let metrics = httpSetting == nil ? nil : PrometheusMetrics.shared
        let registry = JobRegistry()
        let client = try JobKinds.registerAll(in: registry, workerID: cfg.workerID, logger: logger)
        let worker = Worker(url: url, registry: registry, configuration: cfg, logger: logger)
        let running = Task { try await worker.run() }
        var http: Task<Void, Never>?
        if let setting = httpSetting, let metrics {
            let pooling = cfg.pooling
            http = Task {
                do {
                    try await HTTPSide.serve(address: setting, url: url, pooling: pooling, metrics: metrics,
                                             isLeader: { worker.isLeader }, logger: logger)
                } catch {
                    logger.error("HTTP listener stopped", metadata: ["error": "\(error)", "address": "\(setting)"])
                }
            }
        }
        let signals = SignalWatcher { count in
            switch count {
            case 1:
                logger.notice("signal received: shutting down gracefully (again to release running jobs now)")
                worker.shutdown()
            case 2:
                logger.warning("second signal: cancelling running jobs and releasing them (again to exit at once)")
                running.cancel()
            default:
                logger.warning("third signal: exiting now")
                Foundation.exit(130)
            }
        }
        if untilEmpty {
            Task {
                await worker.waitUntilStarted()
                await UntilEmpty.wait(worker: worker, queues: cfg.queues, logger: logger)
                worker.shutdown()
            }
        }
        defer { http?.cancel() }
        try await running.value
        http?.cancel()
        await http?.value
        await client.shutdown()
        signals.cancel()
    }
}

extension Work {
    /// A wrong password or a closed port at start-up is a mistake to report, not an outage
    /// to ride out: fail with libpq's reason, unless told to wait (`--wait-for-database`,
    /// for a worker started beside its database). Once running, outages are ridden out.
    static func reachDatabase(url: String, pooling: PoolingMode, waitSeconds: Double, logger: Logger) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int64(waitSeconds * 1000))
        var attempt = 0
        while true {
            do {
                let conn = try await Connection.connect(url: url, applicationName: "cs-worker-start", pooling: pooling, logger: logger)
                await conn.close()
                return
            } catch let e as PGError {
                attempt += 1
                guard ContinuousClock.now < deadline else {
                    throw CommandFailure(description: "cannot reach the database: \(e.message)"
                                         + (waitSeconds > 0 ? " (waited \(Int(waitSeconds)) s)" : " (--wait-for-database SECONDS to keep trying)"))
                }
                logger.warning("database not reachable yet; waiting", metadata: ["error": "\(e.message)", "try": "\(attempt)"])
                try await Task.sleep(for: Backoff(base: .milliseconds(200), cap: .seconds(5)).delay(attempt: attempt))
            }
        }
    }
}

/// Turns SIGTERM/SIGINT into calls of `handler` with the count so far.
final class SignalWatcher: @unchecked Sendable {
    // Safe: sources are created once and only cancelled; `count` is under `lock`.
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(_ handler: @escaping @Sendable (Int) -> Void) {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                guard let self else { return }
                let n = self.lock.withLock { self.count += 1; return self.count }
                handler(n)
            }
            s.resume()
            sources.append(s)
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}

/// The HTTP side of a process — the listener (and the console's pages when given) with the
/// sampler of the database gauges — for `work --http` and `serve` alike.
enum HTTPSide {
    /// Serves until cancelled, on a pool of its own (2 connections: probes and samples must
    /// answer while handlers hold every connection of theirs). Throws when it cannot serve
    /// (the address is taken, say).
    static func serve(address: String, url: String, pooling: PoolingMode, metrics: PrometheusMetrics,
                      isLeader: @escaping @Sendable () -> Bool, console: Console? = nil, logger: Logger) async throws {
        let db = Database(url: url, maxConnections: 2, applicationName: "cs-worker-http", pooling: pooling, logger: logger)
        let expected = Migrator.locateDirectory().flatMap { try? Migrator(directory: $0, logger: logger) }?.migrations.last?.version
        do {
            let listener = HTTPListener(address: try HTTPAddress(parsing: address), metrics: metrics,
                                        readiness: Readiness(database: db, expectedVersion: expected), logger: logger,
                                        addRoutes: { router in console?.addRoutes(to: router) })
            let sampler = StateSampler(database: db, metrics: metrics, shouldSample: isLeader, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await listener.run() }
                group.addTask { await sampler.run() }
                try await group.next()
                group.cancelAll()
            }
        } catch is CancellationError {
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}
