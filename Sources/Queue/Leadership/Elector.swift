// Elector: one leader at a time across all hosts, through a lease row in cs.leader.
import Basics
import Foundation
import Logging
import PG

/// Takes the lease when it is free or expired and renews it while alive. A leader that
/// dies stops renewing; after `ttl` another worker takes over. On a clean shutdown the
/// leader deletes its lease so the hand-over is immediate.
///
/// `@unchecked Sendable`: `leading` is under `lock`.
final class Elector: @unchecked Sendable {
    let candidateID: String
    let electionName: String
    let ttl: Duration
    let interval: Duration
    private let database: Database
    private let logger: Logger
    private let lock = NSLock()
    private var leading = false

    init(candidateID: String, electionName: String = "default", ttl: Duration, interval: Duration,
         database: Database, logger: Logger) {
        self.candidateID = candidateID; self.electionName = electionName; self.ttl = ttl
        self.interval = interval; self.database = database; self.logger = logger
    }

    var isLeader: Bool { lock.withLock { leading } }

    func run(isStopping: @Sendable () -> Bool) async {
        while !isStopping() && !Task.isCancelled {
            let won: Bool
            do {
                let r = try await database.query(QueueSQL.elect, [electionName, candidateID, ttl.seconds])
                won = r.count == 1
            } catch {
                logger.warning("leader election failed", metadata: ["error": "\(error)"])
                won = false
            }
            let was: Bool = lock.withLock { let w = leading; leading = won; return w }
            if won && !was { logger.notice("elected leader") }
            if !won && was { logger.notice("lost leadership") }
            await pause(interval, unless: isStopping)
        }
    }

    /// Gives the lease up at once (clean shutdown).
    func resign() async {
        let was: Bool = lock.withLock { let w = leading; leading = false; return w }
        guard was else { return }
        _ = try? await database.execute(QueueSQL.resign, [electionName, candidateID])
        logger.notice("resigned leadership")
    }
}
