// Completer: writes finished jobs' new states in batches, on its own connection.
import Basics
import Foundation
import Logging
import PG

/// How one run of a job ended, as the database will record it.
struct Outcome: Sendable {
    enum Result: Sendable {
        case completed
        case retry(afterSeconds: Double, error: String)
        case discard(error: String)
        case cancelled(error: String)
        /// Handed back untried (shutdown): available again, attempt returned.
        case release(error: String?)
        /// Put off without fault (`SnoozeJobError`): scheduled again, attempt returned.
        case snooze(afterSeconds: Double, reason: String)
    }
    let id: Int64
    let attempt: Int
    let result: Result
}

/// Collects outcomes and writes all that have gathered in one statement per kind of
/// outcome: while one batch is being written the next one fills (group commit), so the
/// batch size follows the load with no added delay. A failed write is retried on a new
/// connection with backoff; outcomes are never dropped.
///
/// `@unchecked Sendable`: `buffer`, `stopping` and the counters are under `lock`; the
/// connection is used only by `run()`.
final class Completer: @unchecked Sendable {
    private let url: String
    private let logger: Logger
    private let lock = NSLock()
    private var buffer: [Outcome] = []
    private var stopping = false
    private let wake = WakeSignal()
    private var connection: Connection?
    private let maxBatch = 5000
    private(set) var stats = CompletionStats()

    private let pooling: PoolingMode

    init(url: String, pooling: PoolingMode, logger: Logger) {
        self.url = url
        self.pooling = pooling
        self.logger = logger
    }

    /// Outcomes not yet written.
    var backlog: Int { lock.withLock { buffer.count } }

    func add(_ outcome: Outcome) {
        lock.withLock { buffer.append(outcome) }
        wake.signal()
    }

    var snapshot: CompletionStats { lock.withLock { stats } }

    /// Ends `run()` once everything buffered is written.
    func finish() {
        lock.withLock { stopping = true }
        wake.signal()
    }

    /// Writes until `finish()` has been called and everything buffered is written. Runs
    /// in a task of its own that nobody cancels, so a worker being cancelled still writes
    /// its last outcomes; if it is cancelled anyway and a write fails, it stops and the
    /// leader's rescuer hands the jobs out again.
    func run() async {
        var failures = 0
        while true {
            let (batch, done): ([Outcome], Bool) = lock.withLock {
                let n = min(buffer.count, maxBatch)
                let b = Array(buffer.prefix(n))
                buffer.removeFirst(n)
                return (b, stopping && buffer.isEmpty && n == 0)
            }
            if done { break }
            if batch.isEmpty { await wake.wait(); continue }
            while true {
                do {
                    try await write(batch)
                    failures = 0
                    break
                } catch {
                    failures += 1
                    logger.warning("could not record job outcomes; retrying", metadata: [
                        "error": "\(error)", "outcomes": "\(batch.count)", "try": "\(failures)"])
                    if let c = connection { await c.close() }
                    connection = nil
                    do { try await Task.sleep(for: Backoff(base: .milliseconds(50), cap: .seconds(5)).delay(attempt: failures)) } catch {
                        logger.warning("completer cancelled with outcomes unwritten; the rescuer will release them",
                                       metadata: ["outcomes": "\(batch.count)"])
                        break
                    }
                }
            }
        }
        if let c = connection { await c.close() }
    }

    private func write(_ batch: [Outcome]) async throws {
        let conn: Connection
        if let c = connection { conn = c } else {
            conn = try await Connection.connect(url: url, applicationName: "cs-worker-completer", pooling: pooling, logger: logger)
            try await QueueStatements.prepareHotPathSession(conn)
            connection = conn
        }
        var done = QueueStatements.CompleteMany(ids: [], attempts: [])
        var finished = QueueStatements.FinishMany()
        for o in batch {
            switch o.result {
            case .completed:
                done.ids.append(o.id); done.attempts.append(o.attempt)
            case .retry(let after, let error):
                finished.append(id: o.id, attempt: o.attempt, as: .retry, delaySeconds: after, error: error)
            case .discard(let error):
                finished.append(id: o.id, attempt: o.attempt, as: .discard, delaySeconds: 0, error: error)
            case .cancelled(let error):
                finished.append(id: o.id, attempt: o.attempt, as: .cancel, delaySeconds: 0, error: error)
            case .release(let error):
                finished.append(id: o.id, attempt: o.attempt, as: .release, delaySeconds: 0, error: error)
            case .snooze(let after, _):
                finished.append(id: o.id, attempt: o.attempt, as: .snooze, delaySeconds: after, error: nil)
            }
        }
        if !done.ids.isEmpty {
            try await conn.execute(done)
        }
        if !finished.isEmpty {
            let released = try await conn.rows(finished).filter { $0.state == JobState.available.rawValue }.map(\.queue)
            if !released.isEmpty { try await conn.execute(QueueStatements.NotifyQueues(queues: released)) }
        }
        let doneCount = done.ids.count
        let transitions = finished.transitions
        lock.withLock {
            stats.completed += doneCount
            for t in transitions {
                switch t {
                case .retry: stats.retried += 1
                case .discard: stats.discarded += 1
                case .cancel: stats.cancelled += 1
                case .release: stats.released += 1
                case .snooze: stats.snoozed += 1
                }
            }
            stats.batches += 1
        }
    }
}

/// Counters of what the completer wrote, for logs and the benchmark.
public struct CompletionStats: Sendable {
    public var completed = 0
    public var retried = 0
    public var discarded = 0
    public var cancelled = 0
    public var released = 0
    public var snoozed = 0
    public var batches = 0
}
