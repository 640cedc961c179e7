// JobPromoter (leader only): makes due scheduled and retryable jobs available.
import Foundation
import Logging
import PG

/// Promotes due jobs in batches of `batch` until a batch comes back short, and wakes
/// their queues (the statement sends the NOTIFY).
struct JobPromoter: MaintenanceService {
    let name = "promoter"
    let interval: Duration
    var batch = 5000
    let logger: Logger

    func runOnce(_ db: Database) async throws {
        while true {
            let n = try await db.one(QueueStatements.PromoteDue(limit: batch))
            if n > 0 { logger.debug("promoted due jobs", metadata: ["count": "\(n)"]) }
            if n < batch { return }
        }
    }
}
