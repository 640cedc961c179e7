// ClaimIndexKeeper (leader only): rebuilds the claim index when it has bloated.
import Basics
import Foundation
import Logging
import PG

/// What a check of the claim index found and did.
public struct ClaimIndexCheck: Sendable {
    public let pagesBefore: Int
    public let liveEntries: Int
    /// Pages after a rebuild; nil when none was needed.
    public let pagesAfter: Int?
    /// Invalid copies left by interrupted rebuilds, dropped first.
    public let droppedLeftovers: [String]
}

/// While the MVCC horizon is held back, every claimed job leaves its entry in the claim
/// index; vacuum removes them once the horizon moves, but the pages stay (measured: 11 MB
/// after a 120 s pin at 2,000 jobs/s, for a few dozen ready jobs). When the index is much
/// larger than its live entries need, it is rebuilt with `REINDEX INDEX CONCURRENTLY`,
/// which takes no lock that blocks claims or inserts. A rebuild that was interrupted leaves
/// an invalid copy, which the next check drops first.
public struct ClaimIndexKeeper: MaintenanceService {
    let name = "claim-index-keeper"
    let interval: Duration
    /// Rebuild only an index larger than this many 8 kB pages…
    public var minPages = 2048
    /// …and this many times what its live entries need.
    public var bloatFactor = 8.0
    let logger: Logger

    public init(interval: Duration = .seconds(300), logger: Logger) { self.interval = interval; self.logger = logger }

    func runOnce(_ db: Database) async throws { _ = try await check(db) }

    /// Drops leftovers, and rebuilds the claim index if it has bloated.
    @discardableResult
    public func check(_ db: Database) async throws -> ClaimIndexCheck? {
        try await db.withConnection { conn -> ClaimIndexCheck? in
            var dropped: [String] = []
            for leftover in try await conn.rows(QueueStatements.InvalidJobIndexes()) {
                logger.notice("dropping an invalid index left by an interrupted rebuild", metadata: ["index": "\(leftover)"])
                try await conn.executeScript("DROP INDEX CONCURRENTLY IF EXISTS \(DatabaseURL.quoteQualified(leftover))")
                dropped.append(leftover)
            }
            guard let size = try await conn.first(QueueStatements.ClaimIndexSize()) else { return nil }
            // About 48 bytes an entry, with half again for the upper levels and slack.
            let needed = Double(size.entries) * 48 / 8192 * 1.5 + 16
            guard size.pages >= minPages, Double(size.pages) > needed * bloatFactor else {
                return ClaimIndexCheck(pagesBefore: size.pages, liveEntries: size.entries, pagesAfter: nil, droppedLeftovers: dropped)
            }
            let started = ContinuousClock.now
            try await conn.executeScript("REINDEX INDEX CONCURRENTLY cs.jobs_claim")
            let after = try await conn.first(QueueStatements.ClaimIndexSize())?.pages
            logger.notice("rebuilt the bloated claim index", metadata: [
                "pages_before": "\(size.pages)", "pages_after": "\(after ?? -1)", "live_entries": "\(size.entries)",
                "seconds": "\(String(format: "%.2f", (ContinuousClock.now - started).seconds))",
            ])
            return ClaimIndexCheck(pagesBefore: size.pages, liveEntries: size.entries, pagesAfter: after, droppedLeftovers: dropped)
        }
    }
}
