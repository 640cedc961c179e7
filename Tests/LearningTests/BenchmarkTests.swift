// BenchmarkTests: runs the benchmark entry point on a small size and prints timings (no timing assertions).
import Foundation
import Benchmarks
import Learning
import Testing

@Suite struct BenchmarkTests {
    @Test func benchmarkRunsAndLearnsTheSignal() throws {
        let rows = Int(ProcessInfoLite.environment("LEARNING_BENCH_ROWS") ?? "") ?? 20_000
        let result = try LearningBenchmark.run(rows: rows, features: 30, seed: 7)
        print("benchmark \(rows)x30: LR \(result.lrSeconds)s, GBDT \(result.gbdtSeconds)s, predict \(result.predictSeconds)s, "
              + "LR AUC \(result.lrAUC), GBDT AUC \(result.gbdtAUC)")
        #expect(result.lrAUC > 0.7)
        #expect(result.gbdtAUC > result.lrAUC)
    }
}

enum ProcessInfoLite {
    static func environment(_ key: String) -> String? {
        guard let value = getenv(key) else { return nil }
        return String(cString: value)
    }
}
