// JobRescuer (leader only): gives the jobs of workers that stopped heartbeating back.
import Basics
import Foundation
import Logging
import PG

/// Rescues running jobs whose worker has been silent for `rescueAfter`, promotes them at
/// once, and forgets workers silent for four times as long (at least a minute).
struct JobRescuer: MaintenanceService {
    let name = "rescuer"
    let interval: Duration
    let rescueAfter: Duration
    var batch = 1000
    let logger: Logger

    func runOnce(_ db: Database) async throws {
        let secs = rescueAfter.seconds
        let rescued = try await db.rows(QueueStatements.RescueStale(afterSeconds: secs, limit: batch))
        if !rescued.isEmpty {
            logger.warning("rescued jobs of a dead worker", metadata: ["count": "\(rescued.count)"])
            _ = try await db.one(QueueStatements.PromoteDue(limit: 5000))
        }
        try await db.execute(QueueStatements.ForgetDeadWorkers(silentSeconds: max(secs * 4, 60)))
    }
}
