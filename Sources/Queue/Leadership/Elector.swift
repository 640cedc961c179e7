// Elector: one leader at a time across all hosts, through a lease row in cs.leader.
import Basics
import Foundation
import Logging
import PG

/// Takes the lease when it is free or expired and renews it while alive. A leader that
/// dies stops renewing; after `ttl` another worker takes over. On a clean shutdown the
/// leader deletes its lease so the hand-over is immediate.
///
/// `@unchecked Sendable`: `leading` and `waiters` are under `lock`.
final class Elector: @unchecked Sendable {
    let candidateID: String
    let electionName: String
    let ttl: Duration
    let interval: Duration
    private let database: Database
    private let logger: Logger
    private let lock = NSLock()
    private var leading = false
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    init(candidateID: String, electionName: String = "default", ttl: Duration, interval: Duration,
         database: Database, logger: Logger) {
        self.candidateID = candidateID; self.electionName = electionName; self.ttl = ttl
        self.interval = interval; self.database = database; self.logger = logger
    }

    var isLeader: Bool { lock.withLock { leading } }

    /// Campaigns every `interval` until cancelled.
    func run() async {
        while !Task.isCancelled {
            let won: Bool
            do {
                won = try await database.rows(QueueStatements.Elect(election: electionName, candidateID: candidateID,
                                                                   leaseSeconds: ttl.seconds)).count == 1
            } catch {
                logger.warning("leader election failed", metadata: ["error": "\(error)"])
                won = false
            }
            set(leading: won)
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// Returns once this process leads (at once if it does), or when the caller is cancelled.
    func waitUntilLeader() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now: Bool = lock.withLock {
                    if leading || Task.isCancelled { return true }
                    waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            lock.withLock { waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Gives the lease up at once (clean shutdown).
    func resign() async {
        let was: Bool = lock.withLock { let w = leading; leading = false; return w }
        guard was else { return }
        _ = try? await database.execute(QueueStatements.Resign(election: electionName, candidateID: candidateID))
        logger.notice("resigned leadership")
    }

    private func set(leading won: Bool) {
        let (was, woken): (Bool, [CheckedContinuation<Void, Never>]) = lock.withLock {
            let w = leading
            leading = won
            guard won else { return (w, []) }
            let all = Array(waiters.values)
            waiters.removeAll()
            return (w, all)
        }
        woken.forEach { $0.resume() }
        if won && !was { logger.notice("elected leader") }
        if !won && was { logger.notice("lost leadership") }
    }
}
