// MaintenanceService: a periodic chore that only the elected leader performs, and the loop
// every such service runs (River's internal/maintenance, one service a file).
import Foundation
import Logging
import PG

/// One chore: `runOnce` does a bounded amount of work (batches until a short one).
protocol MaintenanceService: Sendable {
    var name: String { get }
    var interval: Duration { get }
    func runOnce(_ db: Database) async throws
}

extension MaintenanceService {
    /// While this process leads, runs the chore at once and then every `interval`; while
    /// it does not, waits for leadership. Ends when cancelled.
    func run(database: Database, elector: Elector, logger: Logger) async {
        while !Task.isCancelled {
            await elector.waitUntilLeader()
            if Task.isCancelled { return }
            do { try await runOnce(database) } catch {
                logger.warning("maintenance service failed", metadata: ["service": "\(name)", "error": "\(error)"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
