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

    func run(_ db: Database) async throws {
        let due = try await db.query("""
            SELECT name, cron, timezone, kind, args::text, queue, priority, max_attempts, next_slot, now()
            FROM cs.schedules WHERE enabled AND (next_slot IS NULL OR next_slot <= now())
            """)
        for row in due {
            let name = try row.decode(String.self, 0)
            let now = try row.decode(Date.self, 9)
            let cron: CronExpression
            do { cron = try CronExpression(try row.decode(String.self, 1)) } catch {
                logger.error("schedule has an invalid cron expression; skipped", metadata: ["schedule": "\(name)", "error": "\(error)"])
                continue
            }
            guard let tz = TimeZone(identifier: try row.decode(String.self, 2)) else {
                logger.error("schedule has an unknown time zone; skipped", metadata: ["schedule": "\(name)"])
                continue
            }
            guard let slot = try row.decodeIfPresent(Date.self, 8) else {
                try await db.execute("UPDATE cs.schedules SET next_slot = $2 WHERE name = $1 AND next_slot IS NULL",
                                     [name, cron.next(after: now, in: tz)])
                continue
            }
            var latest = slot
            for _ in 0..<100_000 {
                guard let n = cron.next(after: latest, in: tz), n <= now else { break }
                latest = n
            }
            let following = cron.next(after: latest, in: tz)
            let kind = try row.decode(String.self, 3)
            let args = try row.decode(String.self, 4)
            let options = JobOptions(queue: try row.decode(String.self, 5), priority: try row.decode(Int.self, 6),
                                     maxAttempts: try row.decode(Int.self, 7),
                                     uniqueKey: "cron:\(name):\(PGTime.format(latest))")
            let enqueued: Int64? = try await db.transaction { conn in
                let moved = try await conn.execute("""
                    UPDATE cs.schedules SET last_slot = $3, next_slot = $4, updated_at = now()
                    WHERE name = $1 AND next_slot = $2
                    """, [name, slot, latest, following])
                guard moved == 1 else { return nil }
                return try await Enqueuer.enqueue(on: conn, kind, argsJSON: args, options: options)
            }
            if let id = enqueued {
                logger.info("cron slot enqueued", metadata: ["schedule": "\(name)", "slot": "\(PGTime.format(latest))", "job_id": "\(id)"])
            }
        }
    }
}
