// DemoSeeder: realistic, deterministic demo data — accounts and a year of behaviour — loaded with COPY.
import Basics
import Foundation
import Logging
import PG

/// What a seeding produced.
public struct DemoSeedSummary: Sendable {
    public var accounts: Int
    public var churned: Int
    /// Rows loaded per table (`accounts`, `contacts`, `activity`, …).
    public var rows: [String: Int]
    public var seconds: Double
    /// The first account id used (ids are consecutive from it).
    public var firstAccountID: Int64
}

/// Generates accounts, twelve months of behaviour with a hidden churn process (see
/// `DemoAccountSimulator`) and 24 months of MRR history (`MRRPath`). The same seed and end date always give the same rows: every
/// account draws from its own SplitMix64 stream, so chunking and concurrency do not matter.
/// Activity is stored as daily counts per event.
public struct DemoSeeder: Sendable {
    public let database: Database
    public let logger: Logger
    /// Accounts generated and copied per transaction.
    public var chunkSize = 2_000
    /// Chunks in flight at once, each on its own connection.
    public var concurrency = 2

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    static let tables = DemoStatements.copies

    /// Adds `accounts` accounts after the highest existing id, with behaviour up to
    /// `endDate` (default: today, midnight UTC). Each chunk commits on its own.
    public func seed(accounts: Int, seed: UInt64, endDate: Date? = nil) async throws -> DemoSeedSummary {
        let started = Date()
        let maxID = try await database.one(DemoStatements.MaxAccountID())
        let firstID = maxID + 1
        let endDay = Int(((endDate ?? started).timeIntervalSince1970 / 86_400).rounded(.down))
        let world = DemoWorld(seed: seed, endDay: endDay, days: DayTable(first: endDay - 365 * 4 - 31, last: endDay + 800))
        let chunk = max(1, chunkSize)
        let chunks = stride(from: 0, to: accounts, by: chunk).map { ($0, min($0 + chunk, accounts)) }
        let lanes = max(1, min(concurrency, chunks.count))

        let (rows, churned) = try await withThrowingTaskGroup(of: ([Int], Int).self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    try await database.withConnection { conn in
                        var counts = Array(repeating: 0, count: Self.tables.count)
                        var churned = 0
                        for c in stride(from: lane, to: chunks.count, by: lanes) {
                            var b = DemoBuffers()
                            for i in chunks[c].0..<chunks[c].1 {
                                DemoAccountSimulator.simulate(id: firstID + Int64(i), world: world, into: &b)
                            }
                            churned += b.churned
                            let buffers = [b.accounts, b.contacts, b.activity, b.tickets, b.surveys, b.invoices, b.milestones, b.mrrChanges]
                            try await conn.transaction { tx in
                                try await tx.execute(DemoStatements.AsyncCommit())
                                try await tx.execute(DemoStatements.ManualMRRHistory())
                                try await tx.execute(DemoStatements.HistoryRaisesNoSignals())
                                for (k, table) in Self.tables.enumerated() where !buffers[k].bytes.isEmpty {
                                    counts[k] += try await tx.copyIn(table.copy, data: buffers[k].bytes)
                                }
                            }
                        }
                        return (counts, churned)
                    }
                }
            }
            var total = Array(repeating: 0, count: Self.tables.count)
            var churned = 0
            for try await (counts, c) in group {
                for k in total.indices { total[k] += counts[k] }
                churned += c
            }
            return (total, churned)
        }
        // Keep the identity ahead of the ids we chose, and give the planner fresh statistics.
        try await database.execute(DemoStatements.ResyncContactIDs())
        try await database.execute(DemoStatements.DemoCurrencyRates())
        try await database.withConnection { try await $0.executeScript(DemoStatements.analyzeInputs) }

        let summary = DemoSeedSummary(
            accounts: rows[0], churned: churned,
            rows: Dictionary(uniqueKeysWithValues: zip(Self.tables.map(\.table), rows)),
            seconds: Date().timeIntervalSince(started), firstAccountID: firstID)
        logger.notice("demo data seeded", metadata: [
            "accounts": "\(summary.accounts)", "churned": "\(summary.churned)", "activity_rows": "\(rows[2])",
            "seconds": "\(String(format: "%.2f", summary.seconds))",
        ])
        return summary
    }
}
