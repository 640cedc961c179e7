// ScoringBenchmark: seed N demo accounts, then time one scoring run of all of them.
import Basics
import Foundation
import Logging
import PG
import Demo
import Health

/// What `cs-worker bench scoring` prints.
public struct ScoringBenchmarkResult: Sendable {
    public var accounts: Int
    public var seedSeconds: Double
    /// The scoring run alone (measures, scores, writes).
    public var seconds: Double
    public var accountsPerSecond: Double
    /// Peak resident set of this process, in MiB (0 where /proc is unavailable).
    public var rssMB: Double
    public var activityRows: Int
    /// The run's own breakdown (summed over concurrent batches).
    public var measureSeconds: Double
    public var computeSeconds: Double
    public var writeSeconds: Double

    /// `scoring: accounts=<n> seconds=<s> rss_mb=<m>`.
    public var line: String {
        "scoring: accounts=\(accounts) seconds=\(String(format: "%.3f", seconds)) rss_mb=\(String(format: "%.1f", rssMB))"
    }
}

/// Seeds and scores on the database at `url`, which must be migrated and should be empty
/// (seeded accounts are added after any existing ones; exactly those are scored).
public enum ScoringBenchmark {
    public static func run(url: String, accounts: Int, seed: UInt64 = 1, logger: Logger) async throws -> ScoringBenchmarkResult {
        let database = Database(url: url, maxConnections: 4, logger: logger)
        do {
            let seeded = try await DemoSeeder(database: database, logger: logger).seed(accounts: accounts, seed: seed)
            try await database.withConnection { try await $0.executeScript("VACUUM ANALYZE cs.activity") }
            // Every seeded account, churned ones too, so the run covers exactly `accounts`.
            let ids = (0..<Int64(seeded.accounts)).map { seeded.firstAccountID + $0 }
            let scored = try await HealthScorer(database: database, logger: logger).score(ScoringOptions(accountIDs: ids))
            await database.close()
            return ScoringBenchmarkResult(
                accounts: scored.accounts, seedSeconds: seeded.seconds, seconds: scored.seconds,
                accountsPerSecond: Double(scored.accounts) / max(scored.seconds, 1e-9), rssMB: BenchSupport.memoryMiB().peak,
                activityRows: seeded.rows["activity", default: 0], measureSeconds: scored.measureSeconds,
                computeSeconds: scored.computeSeconds, writeSeconds: scored.writeSeconds)
        } catch {
            await database.close()
            throw error
        }
    }
}
