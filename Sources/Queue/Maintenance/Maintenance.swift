// Maintenance: the leader's periodic services, each in its own file, run on one loop.
import Basics
import Foundation
import Logging
import PG

/// A periodic chore that only the elected leader performs.
protocol MaintenanceService: Sendable {
    var name: String { get }
    var interval: Duration { get }
    func run(_ db: Database) async throws
}

/// Promotes due scheduled and retryable jobs to available (and wakes their queues).
struct JobPromoter: MaintenanceService {
    let name = "promoter"
    let interval: Duration
    let logger: Logger
    func run(_ db: Database) async throws {
        while true {
            let r = try await db.query(QueueSQL.promoteDue, [5000])
            let n = try r.first?.decode(Int.self, 0) ?? 0
            if n > 0 { logger.debug("promoted due jobs", metadata: ["count": "\(n)"]) }
            if n < 5000 { return }
        }
    }
}

/// Gives the jobs of workers that stopped heartbeating back to the queue.
struct JobRescuer: MaintenanceService {
    let name = "rescuer"
    let interval: Duration
    let rescueAfter: Duration
    let logger: Logger
    func run(_ db: Database) async throws {
        let secs = rescueAfter.seconds
        let r = try await db.query(QueueSQL.rescueStale, [secs, 1000])
        if r.count > 0 {
            logger.warning("rescued jobs of a dead worker", metadata: ["count": "\(r.count)"])
            _ = try await db.query(QueueSQL.promoteDue, [5000])
        }
        try await db.execute(QueueSQL.forgetDeadWorkers, [max(secs * 4, 60)])
    }
}

/// Deletes finished jobs past their retention, in bounded batches.
struct JobPruner: MaintenanceService {
    let name = "pruner"
    let interval: Duration
    let keepCompleted: Duration
    let keepDiscarded: Duration
    let logger: Logger
    func run(_ db: Database) async throws {
        var total = 0
        while true {
            let n = try await db.execute(QueueSQL.pruneFinished,
                                         [keepCompleted.seconds, keepDiscarded.seconds, 10_000])
            total += n
            if n < 10_000 { break }
        }
        if total > 0 { logger.info("pruned finished jobs", metadata: ["count": "\(total)"]) }
    }
}

/// Runs each service at its interval while this process leads.
struct MaintenanceLoop: Sendable {
    let services: [any MaintenanceService]
    let database: Database
    let logger: Logger

    func run(isLeader: @Sendable () -> Bool, isStopping: @Sendable () -> Bool) async {
        var lastRun: [String: ContinuousClock.Instant] = [:]
        while !isStopping() && !Task.isCancelled {
            if isLeader() {
                for s in services {
                    if let last = lastRun[s.name], ContinuousClock.now - last < s.interval { continue }
                    lastRun[s.name] = .now
                    do { try await s.run(database) } catch {
                        logger.warning("maintenance service failed", metadata: ["service": "\(s.name)", "error": "\(error)"])
                    }
                }
            } else {
                lastRun.removeAll()
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}
