// Timing probe for seeding and scoring at scale. Runs only with SUCCESS_BENCH_ACCOUNTS set;
// prints figures and asserts only that everything was scored (no timing assertions).
import Benchmarks
import Foundation
import Churn
import Demo
import Health
import Interventions
import Success
import Testing
import TestSupport

@Suite struct ScoringBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SUCCESS_BENCH_ACCOUNTS"] != nil))
    func seedAndScoreAtScale() async throws {
        let n = Int(ProcessInfo.processInfo.environment["SUCCESS_BENCH_ACCOUNTS"] ?? "") ?? 100_000
        try await TestDatabase.with { db in
            // SUCCESS_BENCH_URL keeps the data in a migrated database of your own for EXPLAIN.
            let url = ProcessInfo.processInfo.environment["SUCCESS_BENCH_URL"] ?? db.url
            let r = try await ScoringBenchmark.run(url: url, accounts: n, logger: TestEnvironment.logger)
            print("seeding: accounts=\(n) seconds=\(String(format: "%.2f", r.seedSeconds)) activity_rows=\(r.activityRows)")
            print(r.line, "accounts_per_s=\(Int(r.accountsPerSecond))",
                  String(format: "measure_s=%.2f compute_s=%.2f write_s=%.2f (summed over lanes)", r.measureSeconds, r.computeSeconds, r.writeSeconds))
            #expect(r.accounts > n / 2)
        }
    }
}
