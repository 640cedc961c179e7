// CronEnqueuer (leader only): enqueues each due cron slot exactly once.
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

    func runOnce(_ db: Database) async throws {
        for due in try await db.rows(QueueStatements.DueSchedules()) {
            let name = due.name
            let cron: CronExpression
            do { cron = try CronExpression(due.cron) } catch {
                logger.error("schedule has an invalid cron expression; skipped", metadata: ["schedule": "\(name)", "error": "\(error)"])
                continue
            }
            guard let tz = TimeZone(identifier: due.timeZone) else {
                logger.error("schedule has an unknown time zone; skipped", metadata: ["schedule": "\(name)"])
                continue
            }
            guard let slot = due.nextSlot else {
                try await db.execute(QueueStatements.SetFirstSlot(name: name, slot: cron.next(after: due.now, in: tz)))
                continue
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
}
