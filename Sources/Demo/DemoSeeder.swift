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

/// Generates accounts and twelve months of behaviour with a hidden churn process (see
/// `DemoAccountSimulator`). The same seed and end date always give the same rows: every
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

    static let tables: [(name: String, copy: String)] = [
        ("accounts", "COPY cs.accounts (id, name, plan, mrr, currency, signed_up_at, renewal_date, segment, region, status, churned_at, csm) FROM STDIN"),
        ("contacts", "COPY cs.contacts (id, account_id, name, email, phone, role, consent_marketing, consent_product) FROM STDIN"),
        ("activity", "COPY cs.activity (account_id, occurred_at, event, quantity) FROM STDIN"),
        ("tickets", "COPY cs.tickets (account_id, opened_at, closed_at, priority, csat) FROM STDIN"),
        ("surveys", "COPY cs.surveys (account_id, contact_id, kind, score, answered_at) FROM STDIN"),
        ("invoices", "COPY cs.invoices (account_id, due_at, amount, paid_at, failed_at, status) FROM STDIN"),
        ("milestones", "COPY cs.milestones (account_id, milestone, completed_at) FROM STDIN"),
    ]

    /// Adds `accounts` accounts after the highest existing id, with behaviour up to
    /// `endDate` (default: today, midnight UTC). Each chunk commits on its own.
    public func seed(accounts: Int, seed: UInt64, endDate: Date? = nil) async throws -> DemoSeedSummary {
        let started = Date()
        let maxID = try await database.query("SELECT coalesce(max(id), 0) FROM cs.accounts")[0].decode(Int64.self, 0)
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
                            let buffers = [b.accounts, b.contacts, b.activity, b.tickets, b.surveys, b.invoices, b.milestones]
                            try await conn.transaction { tx in
                                try await tx.execute("SET LOCAL synchronous_commit = off")
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
        try await database.execute("SELECT setval(pg_get_serial_sequence('cs.contacts', 'id'), greatest((SELECT max(id) FROM cs.contacts), 1))")
        try await database.withConnection { try await $0.executeScript(
            "ANALYZE cs.accounts, cs.contacts, cs.activity, cs.tickets, cs.surveys, cs.invoices, cs.milestones") }

        let summary = DemoSeedSummary(
            accounts: rows[0], churned: churned,
            rows: Dictionary(uniqueKeysWithValues: zip(Self.tables.map(\.name), rows)),
            seconds: Date().timeIntervalSince(started), firstAccountID: firstID)
        logger.notice("demo data seeded", metadata: [
            "accounts": "\(summary.accounts)", "churned": "\(summary.churned)", "activity_rows": "\(rows[2])",
            "seconds": "\(String(format: "%.2f", summary.seconds))",
        ])
        return summary
    }
}
