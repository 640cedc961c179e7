// Worker: one worker process's engine — claim, run, complete, heartbeat, lead, stop cleanly.
import Basics
import Foundation
import Logging
import PG

/// Runs jobs from PostgreSQL until `shutdown()`.
///
/// Inside, River's split: the producer (this file) claims batches with
/// `FOR UPDATE SKIP LOCKED` and starts one task per job; `JobExecutor` runs a job and
/// maps its outcome; `Completer` writes outcomes in batches; `Elector` and the
/// maintenance services run on the leader only. The producer and completer each own a
/// connection, so claiming and completing overlap.
///
/// Shutdown: stop claiming, give running jobs `shutdownGrace` to finish, cancel and
/// release the rest, write every outcome, deregister, resign leadership.
///
/// `@unchecked Sendable`: the flags are under `lock`; the rest is immutable or Sendable.
public final class Worker: @unchecked Sendable {
    public let configuration: WorkerConfiguration
    /// The pool handlers borrow from.
    public let database: Database
    /// Heartbeats, elections and maintenance have their own small pool, so busy handlers
    /// holding every connection cannot delay a heartbeat into a false "worker died".
    private let control: Database
    private let url: String
    private let registry: JobRegistry
    private let logger: Logger
    private let tracker = JobTracker()
    private let completer: Completer
    private let producerWake = WakeSignal()
    private let elector: Elector
    private let executor: JobExecutor
    private let lock = NSLock()
    private var claimingStopped = false
    private var stopped = false
    private var claimedCount = 0
    private let started = WakeSignal()
    private var isStarted = false

    public init(url: String, registry: JobRegistry, configuration: WorkerConfiguration = WorkerConfiguration(), logger: Logger) {
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(configuration.workerID)"
        self.url = url
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        database = Database(url: url, maxConnections: configuration.poolSize, logger: logger)
        control = Database(url: url, maxConnections: 3, applicationName: "cs-worker-control", logger: logger)
        completer = Completer(url: url, logger: logger)
        elector = Elector(candidateID: configuration.workerID, ttl: configuration.leaderTTL,
                          interval: configuration.electionInterval, database: control, logger: logger)
        executor = JobExecutor(registry: registry, database: database, enqueuer: Enqueuer(database: database),
                               retryPolicy: configuration.retry, logger: logger)
    }

    /// Begins a graceful shutdown; `run()` returns when it is complete.
    public func shutdown() {
        lock.withLock { claimingStopped = true }
        producerWake.signal()
    }

    /// True while this process holds the leader lease.
    public var isLeader: Bool { elector.isLeader }

    /// Jobs claimed so far, and what the completer has written.
    public var stats: WorkerStats {
        WorkerStats(claimed: lock.withLock { claimedCount }, running: tracker.count, outcomes: completer.snapshot)
    }

    /// Returns once the worker has registered and is about to claim (tests and benchmarks).
    public func waitUntilStarted() async {
        if lock.withLock({ isStarted }) { return }
        await started.wait()
    }

    private var isClaimingStopped: Bool { lock.withLock { claimingStopped } }
    private var isStopped: Bool { lock.withLock { stopped } }

    /// Runs until `shutdown()`. Rides out database outages: every loop reconnects with backoff.
    public func run() async throws {
        let listener = Listener(url: url, channels: ["cs_jobs", "cs_job_cancel"], logger: logger)
        await register()
        lock.withLock { isStarted = true }
        started.signal()
        logger.notice("worker started", metadata: [
            "queues": "\(configuration.queues.joined(separator: ","))", "concurrency": "\(configuration.concurrency)",
            "kinds": "\(registry.kinds.joined(separator: ","))"])

        let cfg = configuration
        let maintenance = MaintenanceLoop(services: [
            JobPromoter(interval: cfg.promoteInterval, logger: logger),
            JobRescuer(interval: cfg.rescueInterval, rescueAfter: cfg.rescueAfter, logger: logger),
            CronEnqueuer(interval: cfg.cronInterval, logger: logger),
            JobPruner(interval: cfg.pruneInterval, keepCompleted: cfg.keepCompleted, keepDiscarded: cfg.keepDiscarded, logger: logger),
        ], database: control, logger: logger)

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.completer.run() }
            group.addTask { await self.listen(listener) }
            group.addTask { await self.tick() }
            group.addTask { await self.heartbeat() }
            group.addTask { await self.watchTimeouts() }
            if cfg.maintenance {
                group.addTask { await self.elector.run(isStopping: { self.isStopped }) }
                group.addTask { await maintenance.run(isLeader: { self.elector.isLeader }, isStopping: { self.isStopped }) }
            }
            await self.produce()

            // Graceful shutdown.
            logger.notice("stopping: no more claims; waiting for running jobs", metadata: ["running": "\(tracker.count)"])
            if !(await tracker.waitUntilIdle(deadline: .now + cfg.shutdownGrace)) {
                logger.warning("grace period over; releasing unfinished jobs", metadata: ["running": "\(tracker.count)"])
                tracker.stopAll(reason: .shutdown)
                _ = await tracker.waitUntilIdle(deadline: .now + .seconds(5))
            }
            completer.finish()
            lock.withLock { stopped = true }
            listener.stop()
            producerWake.signal()
        }
        await elector.resign()
        _ = try? await control.execute(QueueSQL.deregisterWorker, [configuration.workerID])
        await database.close()
        await control.close()
        logger.notice("worker stopped", metadata: ["claimed": "\(stats.claimed)"])
    }

    // MARK: - Producer

    private func produce() async {
        var conn: Connection?
        var failures = 0
        var nextQueue = 0
        let cfg = configuration
        let threshold = max(1, min(cfg.claimBatch, cfg.concurrency) / 4)
        let maxBacklog = max(cfg.claimBatch * 8, 2000)
        while !isClaimingStopped {
            let running = tracker.count
            let free = cfg.concurrency - running
            if free > 0 && (free >= threshold || running == 0) && completer.backlog < maxBacklog {
                let want = min(free, cfg.claimBatch)
                do {
                    if conn == nil {
                        let c = try await Connection.connect(url: url, applicationName: "cs-worker-producer", logger: logger)
                        try await QueueSQL.prepareHotPathSession(c)
                        conn = c
                    }
                    guard let c = conn else { continue }
                    // Visit the queues in turn, starting one further each time, so a busy
                    // queue listed first cannot starve the others.
                    var claimed = 0
                    for k in 0..<cfg.queues.count where claimed < want {
                        let queue = cfg.queues[(nextQueue + k) % cfg.queues.count]
                        let jobs = try await claim(c, queue: queue, limit: want - claimed)
                        claimed += jobs.count
                        for job in jobs { start(job) }
                    }
                    nextQueue = (nextQueue + 1) % cfg.queues.count
                    failures = 0
                    if claimed == want { continue }
                } catch {
                    failures += 1
                    logger.warning("claim failed; retrying", metadata: ["error": "\(error)", "try": "\(failures)"])
                    if let c = conn { await c.close() }
                    conn = nil
                    try? await Task.sleep(for: Backoff(base: .milliseconds(100), cap: .seconds(5)).delay(attempt: failures))
                    continue
                }
            }
            await producerWake.wait()
        }
        if let c = conn { await c.close() }
    }

    private func claim(_ conn: Connection, queue: String, limit: Int) async throws -> [Job] {
        let r = try await conn.query(QueueSQL.claim, [queue, limit, configuration.workerID])
        var jobs: [Job] = []
        jobs.reserveCapacity(r.count)
        for row in r {
            jobs.append(Job(id: try row.decode(Int64.self, 0), queue: try row.decode(String.self, 1),
                            kind: try row.decode(String.self, 2), args: row.bytes(3) ?? Array("{}".utf8),
                            attempt: try row.decode(Int.self, 4), maxAttempts: try row.decode(Int.self, 5),
                            priority: try row.decode(Int.self, 6), createdAt: try row.decode(Date.self, 7)))
        }
        lock.withLock { claimedCount += jobs.count }
        return jobs
    }

    private func start(_ job: Job) {
        let handler = registry.handler(for: job.kind)
        tracker.begin(job.id, timeout: handler?.timeout ?? .seconds(60))
        let task = Task { [executor, completer, tracker, producerWake] in
            let outcome = await executor.execute(job, handler: handler, tracker: tracker)
            completer.add(outcome)
            producerWake.signal()
        }
        tracker.attach(job.id, task: task)
    }

    // MARK: - Side loops

    private func listen(_ listener: Listener) async {
        let queues = Set(configuration.queues)
        for await event in listener.events {
            switch event {
            case .connected:
                producerWake.signal()
            case .notification(let channel, let payload):
                if channel == "cs_jobs" {
                    if queues.contains(payload) || payload.isEmpty { producerWake.signal() }
                } else if channel == "cs_job_cancel", let id = Int64(payload) {
                    if tracker.stop(id, reason: .cancelRequested) {
                        logger.notice("cancelling running job on request", metadata: ["job_id": "\(id)"])
                    }
                }
            }
        }
    }

    private func tick() async {
        while !isStopped {
            await pause(configuration.pollInterval) { self.isStopped }
            producerWake.signal()
        }
    }



    private func register() async {
        var attempt = 0
        while !isClaimingStopped {
            do {
                _ = try await heartbeatOnce()
                return
            } catch {
                attempt += 1
                logger.warning("cannot register worker; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: Backoff(base: .milliseconds(200), cap: .seconds(5)).delay(attempt: attempt))
            }
        }
    }

    private func heartbeatOnce() async throws -> [Int64] {
        let cfg = configuration
        let host = ProcessInfo.processInfo.hostName
        let r = try await control.query(QueueSQL.heartbeat, [cfg.workerID, host, Int(getpid()), cfg.queues, cfg.concurrency])
        return try r.map { try $0.decode(Int64.self, 0) }
    }

    private func heartbeat() async {
        while !isStopped {
            await pause(configuration.heartbeatInterval) { self.isStopped }
            if isStopped { return }
            do {
                for id in try await heartbeatOnce() where tracker.stop(id, reason: .cancelRequested) {
                    logger.notice("cancelling running job on request", metadata: ["job_id": "\(id)"])
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func watchTimeouts() async {
        while !isStopped {
            try? await Task.sleep(for: .milliseconds(100))
            tracker.expire()
        }
    }
}

/// A snapshot of a worker's counters.
public struct WorkerStats: Sendable {
    public let claimed: Int
    public let running: Int
    public let outcomes: CompletionStats
}
