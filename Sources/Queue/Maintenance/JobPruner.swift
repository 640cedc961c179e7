// JobPruner (leader only): deletes finished jobs past their retention.
import Basics
import Foundation
import Logging
import PG

/// Deletes completed jobs older than `keepCompleted` and discarded or cancelled ones
/// older than `keepDiscarded`, `batch` rows per statement until a batch comes back short.
struct JobPruner: MaintenanceService {
    let name = "pruner"
    let interval: Duration
    let keepCompleted: Duration
    let keepDiscarded: Duration
    var batch = 10_000
    let logger: Logger

    func runOnce(_ db: Database) async throws {
        var total = 0
        while true {
            let n = try await db.execute(QueueStatements.PruneFinished(keepCompletedSeconds: keepCompleted.seconds,
                                                                       keepDiscardedSeconds: keepDiscarded.seconds, limit: batch))
            total += n
            if n < batch { break }
        }
        if total > 0 { logger.info("pruned finished jobs", metadata: ["count": "\(total)"]) }
    }
}
