// ThroughputRecorder (leader only): jobs finished per minute and queue, once each minute has
// passed, into cs.job_throughput — the console's throughput chart reads those rows, not the
// millions of finished jobs behind them.
import Foundation
import Logging
import PG

struct ThroughputRecorder: MaintenanceService {
    let name = "throughput"
    let interval: Duration
    /// Minutes are kept this long.
    var keep: Duration = .seconds(7 * 24 * 3600)

    func runOnce(_ db: Database) async throws {
        try await db.execute(QueueStatements.RecordThroughput())
        try await db.execute(QueueStatements.PruneThroughput(keepSeconds: keep.seconds))
    }
}
