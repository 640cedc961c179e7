// JobExecutor: runs one claimed job and turns how it ended into an Outcome.
import Basics
import Foundation
import Logging
import PG

/// Runs handlers. Knows nothing of batching or SQL: it maps success, typed errors,
/// timeouts and cancellations to the state the job should take next.
struct JobExecutor: Sendable {
    let registry: JobRegistry
    let database: Database
    let enqueuer: Enqueuer
    let retryPolicy: RetryPolicy
    let logger: Logger

    func execute(_ job: Job, handler: JobHandler?, tracker: JobTracker) async -> Outcome {
        var log = logger
        log[metadataKey: "job_id"] = "\(job.id)"
        log[metadataKey: "job_kind"] = "\(job.kind)"
        log[metadataKey: "attempt"] = "\(job.attempt)"
        guard let handler else {
            _ = tracker.end(job.id)
            log.warning("no handler for job kind; discarding")
            return Outcome(id: job.id, attempt: job.attempt, result: .discard(error: "no handler registered for kind '\(job.kind)'"))
        }
        let ctx = JobContext(job: job, database: database, enqueuer: enqueuer, logger: log)
        var thrown: Error?
        do {
            try await handler.run(job, ctx)
        } catch {
            thrown = error
        }
        let stop = tracker.end(job.id)
        let result = classify(job: job, error: thrown, stop: stop)
        switch result {
        case .completed: log.debug("job completed")
        case .retry(let after, let e): log.info("job failed; will retry", metadata: ["error": "\(e)", "retry_in_s": "\(after)"])
        case .discard(let e): log.warning("job discarded", metadata: ["error": "\(e)"])
        case .cancelled: log.notice("job cancelled")
        case .release: log.notice("job released at shutdown")
        case .snooze(let after, let reason): log.debug("job snoozed", metadata: ["reason": "\(reason)", "run_in_s": "\(after)"])
        }
        return Outcome(id: job.id, attempt: job.attempt, result: result)
    }

    func classify(job: Job, error: Error?, stop: StopReason?) -> Outcome.Result {
        switch stop {
        case .cancelRequested?:
            return error == nil ? .completed : .cancelled(error: "cancelled by request")
        case .shutdown?:
            return error == nil ? .completed : .release(error: "worker shut down before the job finished; released")
        case .timeout(let d)?:
            if error == nil { return .completed }
            return failure(job, message: "timed out after \(d)", retryAfter: nil)
        case nil:
            break
        }
        guard let error else { return .completed }
        switch error {
        case let e as PermanentJobError: return .discard(error: Self.bounded(e.reason))
        case let e as JobArgumentsError: return .discard(error: Self.bounded(e.description))
        case let e as PGError where e.isPermanent:
            return .discard(error: Self.bounded("permanent database error (SQLSTATE \(e.sqlState ?? "")): \(e)"))
        case let e as RetryJobError: return failure(job, message: e.reason, retryAfter: e.after)
        case let e as SnoozeJobError: return .snooze(afterSeconds: max(0, e.after.seconds), reason: e.reason)
        default: return failure(job, message: String(describing: error), retryAfter: nil)
        }
    }

    /// Longest error text stored on a job, whatever produced it.
    static let errorLimit = 2000

    static func bounded(_ text: String) -> String { text.bounded(to: errorLimit) }

    private func failure(_ job: Job, message: String, retryAfter: Duration?) -> Outcome.Result {
        let text = Self.bounded(message)
        if job.attempt >= job.maxAttempts { return .discard(error: text) }
        var delay = retryPolicy.delaySeconds(attempt: job.attempt)
        if let retryAfter { delay = max(delay, retryAfter.seconds) }
        return .retry(afterSeconds: delay, error: text)
    }
}

/// When a failed job runs again: `Backoff` with equal jitter, so attempt n waits between
/// half and all of `min(cap, base · 2^(n-1))` and retries of many jobs spread out.
public struct RetryPolicy: Sendable {
    public var base: Duration
    public var cap: Duration
    public init(base: Duration = .seconds(1), cap: Duration = .seconds(3600)) { self.base = base; self.cap = cap }

    public func delaySeconds(attempt: Int) -> Double {
        Backoff(base: base, cap: cap, jitter: .equal).delay(attempt: attempt).seconds
    }
}
