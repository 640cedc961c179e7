// CronEnqueuer (leader only): enqueues each due cron slot exactly once.
import Basics
import Foundation
import Logging
import PG

/// For every enabled schedule whose `next_slot` has come, enqueues one job for the latest
/// due slot (missed slots while no leader ran are not replayed one by one) and moves
/// `next_slot` on. The move is conditional on `next_slot` being unchanged, in the same
/// transaction as the insert, so two leaders overlapping during a hand-over cannot
/// enqueue one slot twice; the job's unique key `cron:<name>:<slot>` guards it again.
struct CronEnqueuer: MaintenanceService {
    let name = "cron"
    let interval: Duration
    let logger: Logger

    /// One pass over the due schedules. Each is handled alone: one that cannot be used
    /// (bad cron text, unknown time zone, never fires, a job the queue refuses) is set
    /// aside — disabled with its reason in `last_error` — and the others still fire; a
    /// transient failure (the database went away) leaves it for the next pass.
    func runOnce(_ db: Database) async throws {
        var transient: Error?
        for due in try await db.rows(QueueStatements.DueSchedules()) {
            do {
                try await fire(due, db)
            } catch let e as ScheduleProblem {
                logger.error("schedule set aside", metadata: ["schedule": "\(due.name)", "reason": "\(e.reason)"])
                try await db.execute(QueueStatements.SetScheduleAside(name: due.name, reason: e.reason))
            } catch let e as PGError where !e.isConnectionProblem {
                let reason = "the queue refused its job: \(e)"
                logger.error("schedule set aside", metadata: ["schedule": "\(due.name)", "reason": "\(reason)"])
                try await db.execute(QueueStatements.SetScheduleAside(name: due.name, reason: reason.bounded(to: JobExecutor.errorLimit)))
            } catch {
                transient = error
            }
        }
        if let transient { throw transient }
    }

    private struct ScheduleProblem: Error { let reason: String }

    private func fire(_ due: QueueStatements.DueSchedules.Due, _ db: Database) async throws {
        let name = due.name
        let cron: CronExpression
        do { cron = try CronExpression(due.cron) } catch { throw ScheduleProblem(reason: "\(error)") }
        guard let tz = TimeZone(identifier: due.timeZone) else {
            throw ScheduleProblem(reason: "unknown time zone '\(due.timeZone)'")
        }
        guard let slot = due.nextSlot else {
            guard let first = cron.next(after: due.now, in: tz) else {
                throw ScheduleProblem(reason: "cron expression '\(due.cron)' never fires")
            }
            try await db.execute(QueueStatements.SetFirstSlot(name: name, slot: first))
            return
        }
        var latest = slot
        for _ in 0..<100_000 {
            guard let n = cron.next(after: latest, in: tz), n <= due.now else { break }
            latest = n
        }
        let following = cron.next(after: latest, in: tz)
        let options = JobOptions(queue: due.queue, priority: due.priority, maxAttempts: due.maxAttempts,
                                 uniqueKey: "cron:\(name):\(PGTime.format(latest))")
        let enqueued: Int64? = try await db.transaction { conn in
            let moved = try await conn.execute(QueueStatements.AdvanceSchedule(name: name, expected: slot, last: latest, next: following))
            guard moved == 1 else { return nil }
            return try await Enqueuer.enqueue(on: conn, kind: due.kind, argsJSON: due.argsJSON, options: options)
        }
        if let id = enqueued {
            logger.info("cron slot enqueued", metadata: ["schedule": "\(name)", "slot": "\(PGTime.format(latest))", "job_id": "\(id)"])
        }
    }
}
