// Worker: one worker process's engine — claim, run, complete, heartbeat, lead, stop cleanly.
import Basics
import Foundation
import Logging
import PG
import ServiceLifecycle

/// Runs jobs from PostgreSQL until shut down or cancelled — a swift-service-lifecycle
/// `Service`, so a `ServiceGroup` turns SIGTERM into a graceful shutdown.
///
/// Inside, River's split: the producer (this file) claims batches with
/// `FOR UPDATE SKIP LOCKED` and starts one task per job; `JobExecutor` runs a job and
/// maps its outcome; `Completer` writes outcomes in batches; `Elector` and the
/// maintenance services run on the leader only. The producer and completer each own a
/// connection, so claiming and completing overlap.
///
/// Graceful shutdown (`shutdown()`, or the service group's): stop claiming, give running
/// jobs `shutdownGrace` to finish, cancel and release the rest, write every outcome,
/// deregister, resign leadership. Cancelling the task that runs `run()` does the same
/// with no grace: running jobs are cancelled and released at once.
///
/// `@unchecked Sendable`: the mutable state is in `state` (a lock box); the rest is
/// immutable or Sendable.
public final class Worker: Service, @unchecked Sendable {
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
    private let started = WakeSignal()

    private struct State {
        var stopping = false
        var releaseNow = false
        var isStarted = false
        var claimed = 0
        /// Jobs started whose outcome has not reached the completer yet.
        var unrecorded = 0
        var producer: Task<Void, Never>?
        var grace: Task<Bool, Never>?
    }
    private let state = Locked(State())

    public init(url: String, registry: JobRegistry, configuration: WorkerConfiguration = WorkerConfiguration(), logger: Logger) {
        var logger = logger
        logger[metadataKey: "worker_id"] = "\(configuration.workerID)"
        self.url = url
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        database = Database(url: url, maxConnections: configuration.poolSize, pooling: configuration.pooling, logger: logger)
        control = Database(url: url, maxConnections: configuration.controlPoolSize, applicationName: "cs-worker-control",
                           pooling: configuration.pooling, logger: logger)
        completer = Completer(url: url, pooling: configuration.pooling, logger: logger)
        elector = Elector(candidateID: configuration.workerID, ttl: configuration.leaderTTL,
                          interval: configuration.electionInterval, database: control, logger: logger)
        executor = JobExecutor(registry: registry, database: database, enqueuer: Enqueuer(database: database),
                               retryPolicy: configuration.retry, logger: logger)
    }

    /// Begins a graceful shutdown; `run()` returns when it is complete.
    public func shutdown() { stop(releasingNow: false) }

    /// True while this process holds the leader lease.
    public var isLeader: Bool { elector.isLeader }

    /// Jobs claimed so far, and what the completer has written.
    public var stats: WorkerStats {
        WorkerStats(claimed: state.withLock { $0.claimed }, running: tracker.count, outcomes: completer.snapshot)
    }

    /// Returns once the worker has registered and is about to claim (tests and benchmarks).
    public func waitUntilStarted() async {
        if state.withLock({ $0.isStarted }) { return }
        await started.wait()
    }

    /// Runs until a graceful shutdown or cancellation, and returns once every outcome is
    /// written. Rides out database outages: every loop reconnects with backoff.
    public func run() async throws {
        await withGracefulShutdownHandler {
            // The engine runs in a task of its own, so cancelling `run()` turns into a quick,
            // orderly stop (release, write outcomes, deregister) instead of abandoning it.
            let engine = Task { await self.runEngine() }
            await withTaskCancellationHandler {
                await engine.value
            } onCancel: {
                self.stop(releasingNow: true)
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
    }

    private func stop(releasingNow: Bool) {
        let (producer, grace): (Task<Void, Never>?, Task<Bool, Never>?) = state.withLock {
            $0.stopping = true
            if releasingNow { $0.releaseNow = true }
            return ($0.producer, releasingNow ? $0.grace : nil)
        }
        producer?.cancel()
        grace?.cancel()
        producerWake.signal()
    }

    private func runEngine() async {
        let cfg = configuration
        let listenURL = cfg.listenURL ?? (cfg.listensThroughMainURL ? url : nil)
        let listener = listenURL.map { Listener(url: $0, channels: ["cs_jobs", "cs_job_cancel"], logger: logger) }
        if cfg.pooling == .transaction, listenURL == url {
            logger.warning("CS_LISTEN_URL is the transaction-pooled URL: LISTEN through a transaction pooler loses notifications; point it at the server or a session pooler")
        }
        if listenURL == nil {
            logger.warning("no LISTEN through a transaction pooler (its notifications are dropped): new jobs are found by polling; set CS_LISTEN_URL to a direct or session-pooled URL for instant pickup",
                           metadata: ["poll_s": "\(cfg.pollInterval.seconds)"])
        }
        let completing = Task { await self.completer.run() }
        let producer = Task {
            guard await self.register() else { return }
            self.state.withLock { $0.isStarted = true }
            self.started.signal()
            self.logger.notice("worker started", metadata: [
                "queues": "\(cfg.queues.joined(separator: ","))", "concurrency": "\(cfg.concurrency)",
                "kinds": "\(self.registry.kinds.joined(separator: ","))", "pooling": "\(cfg.pooling)",
                "max_connections": "\(cfg.connectionBudget.total)"])
            await self.produce()
        }
        if state.withLock({ s in s.producer = producer; return s.stopping }) { producer.cancel() }

        let services: [any MaintenanceService] = [
            JobPromoter(interval: cfg.promoteInterval, logger: logger),
            JobRescuer(interval: cfg.rescueInterval, rescueAfter: cfg.rescueAfter, logger: logger),
            CronEnqueuer(interval: cfg.cronInterval, logger: logger),
            JobPruner(interval: cfg.pruneInterval, keepCompleted: cfg.keepCompleted, keepDiscarded: cfg.keepDiscarded, logger: logger),
        ]
        let sideLoops = Task {
            await withTaskGroup(of: Void.self) { group in
                if let listener { group.addTask { await self.listen(listener) } }
                group.addTask { await self.tick() }
                group.addTask { await self.heartbeat() }
                group.addTask { await self.watchTimeouts() }
                if cfg.maintenance {
                    group.addTask { await self.elector.run() }
                    for service in services {
                        group.addTask { await service.run(database: self.control, elector: self.elector, logger: self.logger) }
                    }
                }
            }
        }

        await producer.value

        // Shutdown: let running jobs finish within the grace period (none when cancelled).
        logger.notice("stopping: no more claims; waiting for running jobs", metadata: ["running": "\(tracker.count)"])
        let grace = Task { await self.tracker.waitUntilIdle(deadline: .now + cfg.shutdownGrace) }
        if state.withLock({ s in s.grace = grace; return s.releaseNow }) { grace.cancel() }
        if !(await grace.value) {
            logger.warning("releasing unfinished jobs", metadata: ["running": "\(tracker.count)"])
            tracker.stopAll(reason: .shutdown)
            _ = await tracker.waitUntilIdle(deadline: .now + .seconds(5))
        }
        // Every finished job's outcome must be in the completer before it is told to finish.
        let handOver = ContinuousClock.now + .seconds(5)
        while state.withLock({ $0.unrecorded }) > 0 && ContinuousClock.now < handOver {
            try? await Task.sleep(for: .milliseconds(5))
        }
        completer.finish()
        await completing.value
        listener?.stop()
        sideLoops.cancel()
        await sideLoops.value
        await elector.resign()
        _ = try? await control.execute(QueueStatements.DeregisterWorker(workerID: cfg.workerID))
        await database.close()
        await control.close()
        logger.notice("worker stopped", metadata: ["claimed": "\(stats.claimed)"])
    }

    // MARK: - Producer

    /// Claims while there are free slots, then waits to be woken (a slot freed, a NOTIFY,
    /// the poll timer). Ends when its task is cancelled (shutdown).
    private func produce() async {
        var conn: Connection?
        var failures = 0
        var nextQueue = 0
        let cfg = configuration
        let threshold = max(1, min(cfg.claimBatch, cfg.concurrency) / 4)
        let maxBacklog = max(cfg.claimBatch * 8, 2000)
        while !Task.isCancelled {
            let running = tracker.count
            let free = cfg.concurrency - running
            if free > 0 && (free >= threshold || running == 0) && completer.backlog < maxBacklog {
                let want = min(free, cfg.claimBatch)
                do {
                    if conn == nil {
                        let c = try await Connection.connect(url: url, applicationName: "cs-worker-producer",
                                                               pooling: cfg.pooling, logger: logger)
                        try await QueueStatements.prepareHotPathSession(c)
                        conn = c
                    }
                    guard let c = conn else { continue }
                    // Visit the queues in turn, starting one further each time, so a busy
                    // queue listed first cannot starve the others.
                    var claimed = 0
                    for k in 0..<cfg.queues.count where claimed < want && !Task.isCancelled {
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
                    do { try await Task.sleep(for: Backoff(base: .milliseconds(100), cap: .seconds(5)).delay(attempt: failures)) } catch { break }
                    continue
                }
            }
            await producerWake.wait()
        }
        if let c = conn { await c.close() }
    }

    private func claim(_ conn: Connection, queue: String, limit: Int) async throws -> [Job] {
        let rows = try await conn.rows(QueueStatements.Claim(queue: queue, limit: limit, workerID: configuration.workerID))
        var jobs: [Job] = []
        jobs.reserveCapacity(rows.count)
        for row in rows {
            switch row {
            case .job(let job): jobs.append(job)
            case .unreadable(let id, let attempt, let reason):
                logger.warning("discarding a job whose row cannot be read", metadata: ["job_id": "\(id)", "reason": "\(reason)"])
                completer.add(Outcome(id: id, attempt: attempt, result: .discard(error: reason)))
            }
        }
        state.withLock { $0.claimed += rows.count }
        return jobs
    }

    private func start(_ job: Job) {
        let handler = registry.handler(for: job.kind)
        tracker.begin(job.id, timeout: handler?.timeout ?? .seconds(60))
        // Counted until its outcome is handed to the completer (the tracker forgets the job a
        // moment earlier), so shutdown never closes the completer with an outcome still to come.
        state.withLock { $0.unrecorded += 1 }
        let task = Task { [executor, completer, tracker, producerWake, state] in
            let outcome = await executor.execute(job, handler: handler, tracker: tracker)
            completer.add(outcome)
            state.withLock { $0.unrecorded -= 1 }
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
        while true {
            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
            producerWake.signal()
        }
    }

    /// Registers with a first heartbeat, retrying with backoff; false when stopped first.
    private func register() async -> Bool {
        var attempt = 0
        while !Task.isCancelled {
            do {
                _ = try await heartbeatOnce()
                return true
            } catch {
                attempt += 1
                logger.warning("cannot register worker; retrying", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: Backoff(base: .milliseconds(200), cap: .seconds(5)).delay(attempt: attempt)) } catch { return false }
            }
        }
        return false
    }

    private func heartbeatOnce() async throws -> [Int64] {
        let cfg = configuration
        return try await control.rows(QueueStatements.Heartbeat(workerID: cfg.workerID, host: ProcessInfo.processInfo.hostName,
                                                                pid: Int(getpid()), queues: cfg.queues, concurrency: cfg.concurrency))
    }

    private func heartbeat() async {
        while true {
            do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
            do {
                for id in try await heartbeatOnce() where tracker.stop(id, reason: .cancelRequested) {
                    logger.notice("cancelling running job on request", metadata: ["job_id": "\(id)"])
                }
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Cancels jobs past their timeout, checked ten times a second.
    private func watchTimeouts() async {
        while true {
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
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
