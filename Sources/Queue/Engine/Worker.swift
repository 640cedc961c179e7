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
    /// One per claim loop: a slot freed, a NOTIFY, the poll timer wakes them all.
    private let producerWakes: [WakeSignal]
    private let elector: Elector
    private let executor: JobExecutor
    private let started = WakeSignal()

    private struct State {
        var stopping = false
        var releaseNow = false
        var isStarted = false
        var claimed = 0
        /// Claim statements run, and the time they took (seconds).
        var claims = 0
        var claimSeconds = 0.0
        /// Jobs started whose outcome has not reached the completer yet.
        var unrecorded = 0
        /// Claimed ahead of a free slot, not started yet (claim-ahead; see `claimAhead`).
        var buffer: [Job] = []
        /// Room the claim loops have set aside for claims in flight.
        var reserved = 0
        /// Jobs started and not finished.
        var active = 0
        /// Moving average of how long a job runs, in seconds: claim-ahead is for short jobs.
        var averageRun = 0.0
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
        producerWakes = (0..<max(1, configuration.claimLoops)).map { _ in WakeSignal() }
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
        let (claimed, claims, seconds, buffered) = state.withLock { ($0.claimed, $0.claims, $0.claimSeconds, $0.buffer.count) }
        return WorkerStats(claimed: claimed, running: tracker.count, outcomes: completer.snapshot, claims: claims,
                           claimSeconds: seconds, claimedAhead: buffered)
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
        wakeProducers()
    }

    private func runEngine() async {
        let cfg = configuration
        let listenURL = cfg.listenURL ?? (cfg.listensThroughMainURL ? url : nil)
        let listener = listenURL.map { Listener(url: $0, channels: ["cs_jobs", "cs_job_cancel", "cs_queues"], logger: logger) }
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
            await withTaskGroup(of: Void.self) { group in
                for loop in 0..<max(1, cfg.claimLoops) { group.addTask { await self.produce(loop: loop) } }
            }
        }
        if state.withLock({ s in s.producer = producer; return s.stopping }) { producer.cancel() }

        let services: [any MaintenanceService] = [
            JobPromoter(interval: cfg.promoteInterval, logger: logger),
            JobRescuer(interval: cfg.rescueInterval, rescueAfter: cfg.rescueAfter, logger: logger),
            CronEnqueuer(interval: cfg.cronInterval, logger: logger),
            JobPruner(interval: cfg.pruneInterval, keepCompleted: cfg.keepCompleted, keepDiscarded: cfg.keepDiscarded, logger: logger),
            ClaimIndexKeeper(interval: cfg.claimIndexCheckInterval, logger: logger),
            ThroughputRecorder(interval: .seconds(60)),
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
        // Jobs claimed ahead and never started go back at once, attempt returned.
        for job in state.withLock({ s -> [Job] in defer { s.buffer = [] }; return s.buffer }) {
            completer.add(Outcome(id: job.id, attempt: job.attempt, result: .release(error: "worker stopping before the job started")))
        }

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

    /// Claims while there is room — free slots, plus up to `claimAhead` jobs beyond them
    /// while jobs are short, so a slot that frees starts its next job at once instead of
    /// waiting for a claim — then waits to be woken (a slot freed, a NOTIFY, the poll
    /// timer). Ends when its task is cancelled (shutdown).
    private func produce(loop: Int) async {
        var conn: Connection?
        var failures = 0
        var nextQueue = 0
        var cursors: [String: ClaimCursor] = [:]
        let cfg = configuration
        let maxBacklog = max(cfg.claimBatch * 8, 2000)
        while !Task.isCancelled {
            // Room is reserved under the lock, so claim loops running side by side never
            // claim more than the slots and the claim-ahead allowance together.
            let want = completer.backlog >= maxBacklog ? 0 : state.withLock { s -> Int in
                let ahead = cfg.claimAhead(averageRunSeconds: s.averageRun)
                let held = s.active + s.buffer.count + s.reserved
                let room = cfg.concurrency + ahead - held
                guard room > 0, room >= cfg.claimThreshold(buffered: s.buffer.count) || held == 0 else { return 0 }
                let w = min(room, cfg.claimBatch)
                s.reserved += w
                return w
            }
            if want > 0 {
                var claimed = 0
                do {
                    if conn == nil {
                        let c = try await Connection.connect(url: url, applicationName: "cs-worker-producer",
                                                               pooling: cfg.pooling, logger: logger)
                        try await QueueStatements.prepareHotPathSession(c)
                        conn = c
                    }
                    guard let c = conn else { state.withLock { $0.reserved -= want }; continue }
                    // Visit the queues in turn, starting one further each time, so a busy
                    // queue listed first cannot starve the others.
                    for k in 0..<cfg.queues.count where claimed < want && !Task.isCancelled {
                        let queue = cfg.queues[(nextQueue + k) % cfg.queues.count]
                        var cursor = cursors[queue] ?? ClaimCursor()
                        let asked = want - claimed
                        let jobs = try await claim(c, queue: queue, limit: asked, cursor: &cursor)
                        claimed += jobs.count
                        state.withLock { $0.buffer.append(contentsOf: jobs); $0.reserved -= jobs.count }
                        startBuffered()
                        // Kinds under a concurrency limit: when the ordinary claim came back
                        // short, and every `limitedClaimEvery` in any case.
                        let now = ContinuousClock.now
                        if claimed < want, jobs.count < asked || cursor.lastLimited.map({ now - $0 >= cfg.limitedClaimEvery }) ?? true {
                            cursor.lastLimited = now
                            let limited = try await claimLimited(c, queue: queue, limit: want - claimed)
                            claimed += limited.count
                            state.withLock { $0.buffer.append(contentsOf: limited); $0.reserved -= limited.count }
                            startBuffered()
                        }
                        cursors[queue] = cursor
                    }
                    state.withLock { $0.reserved -= want - claimed }
                    nextQueue = (nextQueue + 1) % cfg.queues.count
                    failures = 0
                    if claimed == want { continue }
                } catch {
                    state.withLock { $0.reserved -= want - claimed }
                    failures += 1
                    logger.warning("claim failed; retrying", metadata: ["error": "\(error)", "try": "\(failures)"])
                    if let c = conn { await c.close() }
                    conn = nil
                    do { try await Task.sleep(for: Backoff(base: .milliseconds(100), cap: .seconds(5)).delay(attempt: failures)) } catch { break }
                    continue
                }
            }
            await producerWakes[loop].wait()
        }
        if let c = conn { await c.close() }
    }

    /// Where the next claim of a queue starts. Claims start at the top of the claim order
    /// while that is cheap; when a claim from the top is slow (the MVCC horizon held back
    /// keeps every claimed job's index entry, and the walk over them grows), claims start
    /// after the last job claimed, and from the top again every `claimFromTopEvery`.
    struct ClaimCursor {
        var after: QueueStatements.ClaimPosition?
        var slow = false
        var lastFromTop: ContinuousClock.Instant?
        /// When kinds under a concurrency limit were last claimed from this queue.
        var lastLimited: ContinuousClock.Instant?
    }

    private func claim(_ conn: Connection, queue: String, limit: Int, cursor: inout ClaimCursor) async throws -> [Job] {
        let cfg = configuration
        let now = ContinuousClock.now
        let after = cursor.slow ? cursor.after : nil
        let fromTop = after == nil || cursor.lastFromTop.map { now - $0 >= cfg.claimFromTopEvery } ?? true
        let result: QueryResult
        if !fromTop, let after {
            let s = QueueStatements.ClaimAfter(queue: queue, limit: limit, workerID: cfg.workerID, after: after)
            result = try await conn.query(s.sql, s.bindings)
        } else {
            let s = QueueStatements.Claim(queue: queue, limit: limit, workerID: cfg.workerID)
            result = try await conn.query(s.sql, s.bindings)
            cursor.slow = ContinuousClock.now - now > cfg.slowClaim
            cursor.lastFromTop = now
        }
        // Positions matter only while claims start after the last one (`slow`).
        var last = cursor.slow ? cursor.after : nil
        if cursor.slow {
            for row in result {
                if let p = QueueStatements.Claim.position(row), last.map({ $0 < p }) ?? true { last = p }
            }
        }
        cursor.after = last
        let jobs = try claimedJobs(result, since: now)
        QueueMetrics.claimed(jobs, queue: queue)
        return jobs
    }

    private func claimLimited(_ conn: Connection, queue: String, limit: Int) async throws -> [Job] {
        let now = ContinuousClock.now
        let s = QueueStatements.ClaimLimited(queue: queue, limit: limit, workerID: configuration.workerID)
        let jobs = try claimedJobs(try await conn.query(s.sql, s.bindings), since: now)
        if !jobs.isEmpty { QueueMetrics.claimed(jobs, queue: queue) }
        return jobs
    }

    /// The jobs of a claim's rows, most urgent first; a row that cannot be read is discarded
    /// alone with the reason.
    private func claimedJobs(_ result: QueryResult, since start: ContinuousClock.Instant) throws -> [Job] {
        var jobs: [Job] = []
        jobs.reserveCapacity(result.count)
        for row in result {
            switch try QueueStatements.Claim.decodeClaimed(row) {
            case .job(let job): jobs.append(job)
            case .unreadable(let id, let attempt, let reason):
                logger.warning("discarding a job whose row cannot be read", metadata: ["job_id": "\(id)", "reason": "\(reason)"])
                completer.add(Outcome(id: id, attempt: attempt, result: .discard(error: reason)))
            }
        }
        // Jobs come back in no particular order: run them most urgent first.
        jobs.sort { ($0.priority, $0.id) < ($1.priority, $1.id) }
        let took = (ContinuousClock.now - start).seconds
        state.withLock { $0.claimed += result.count; $0.claims += 1; $0.claimSeconds += took }
        return jobs
    }

    /// Starts buffered jobs while slots are free (not once stopping: those go back).
    private func startBuffered() {
        while let job = state.withLock({ Self.takeNext(&$0, concurrency: configuration.concurrency) }) {
            start(job)
        }
    }

    /// The next job claimed ahead, if a slot is free and the worker is not stopping, with the
    /// slot taken. Counted in `unrecorded` until its outcome is handed to the completer (the
    /// tracker forgets the job a moment earlier), so shutdown never closes the completer with
    /// an outcome still to come.
    private static func takeNext(_ s: inout State, concurrency: Int) -> Job? {
        guard !s.stopping, s.active < concurrency, !s.buffer.isEmpty else { return nil }
        s.active += 1
        s.unrecorded += 1
        return s.buffer.removeFirst()
    }

    private func start(_ job: Job) {
        let handler = registry.handler(for: job.kind)
        tracker.begin(job.id, timeout: handler?.timeout ?? .seconds(60))
        let task = Task { [executor, completer, tracker, state] in
            let began = ContinuousClock.now
            let outcome = await executor.execute(job, handler: handler, tracker: tracker)
            let took = (ContinuousClock.now - began).seconds
            completer.add(outcome)
            QueueMetrics.finished(queue: job.queue, kind: job.kind, outcome: outcome.result, seconds: took)
            // One lock for the slot's hand-over: the next job claimed ahead takes the freed slot,
            // and the claim loops are woken only when a claim would now be made (waking them
            // on every finished job cost a context switch per job for nothing).
            let cfg = self.configuration
            let (next, wake) = state.withLock { s -> (Job?, Bool) in
                s.unrecorded -= 1
                s.active -= 1
                s.averageRun = s.averageRun == 0 ? took : 0.9 * s.averageRun + 0.1 * took
                let next = Self.takeNext(&s, concurrency: cfg.concurrency)
                let held = s.active + s.buffer.count + s.reserved
                let room = cfg.concurrency + cfg.claimAhead(averageRunSeconds: s.averageRun) - held
                return (next, held == 0 || room >= cfg.claimThreshold(buffered: s.buffer.count))
            }
            if let next { self.start(next) }
            if wake { self.wakeProducers() }
        }
        tracker.attach(job.id, task: task)
    }

    private func wakeProducers() { for w in producerWakes { w.signal() } }

    /// Cancels a job claimed ahead and not started yet (an operator's cancel request).
    private func cancelBuffered(_ id: Int64) -> Bool {
        guard let job = state.withLock({ s -> Job? in
            guard let i = s.buffer.firstIndex(where: { $0.id == id }) else { return nil }
            return s.buffer.remove(at: i)
        }) else { return false }
        completer.add(Outcome(id: job.id, attempt: job.attempt, result: .cancelled(error: "cancelled on request before it started")))
        return true
    }

    /// Hands back the jobs of `queue` claimed ahead and not started, attempt returned.
    private func releaseBuffered(queue: String) {
        let jobs = state.withLock { s -> [Job] in
            let (mine, rest) = (s.buffer.filter { $0.queue == queue }, s.buffer.filter { $0.queue != queue })
            s.buffer = rest
            return mine
        }
        for job in jobs {
            completer.add(Outcome(id: job.id, attempt: job.attempt, result: .release(error: nil)))
        }
        if !jobs.isEmpty { logger.notice("queue paused: handed back jobs claimed ahead", metadata: ["queue": "\(queue)", "jobs": "\(jobs.count)"]) }
    }

    // MARK: - Side loops

    private func listen(_ listener: Listener) async {
        let queues = Set(configuration.queues)
        for await event in listener.events {
            switch event {
            case .connected:
                wakeProducers()
            case .notification(let channel, let payload):
                if channel == "cs_jobs" {
                    if queues.contains(payload) || payload.isEmpty { wakeProducers() }
                } else if channel == "cs_queues", queues.contains(payload) {
                    // Paused or resumed: jobs of it claimed ahead and not started go back (the
                    // claim itself no longer takes any of a paused queue).
                    releaseBuffered(queue: payload)
                } else if channel == "cs_job_cancel", let id = Int64(payload) {
                    if tracker.stop(id, reason: .cancelRequested) || cancelBuffered(id) {
                        logger.notice("cancelling running job on request", metadata: ["job_id": "\(id)"])
                    }
                }
            }
        }
    }

    private func tick() async {
        while true {
            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
            wakeProducers()
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
                for id in try await heartbeatOnce() where tracker.stop(id, reason: .cancelRequested) || cancelBuffered(id) {
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
    /// Claim statements run and the seconds they took (their mean batch: claimed ÷ claims).
    public var claims = 0
    public var claimSeconds = 0.0
    /// Claimed ahead of a free slot, waiting to start.
    public var claimedAhead = 0
}
