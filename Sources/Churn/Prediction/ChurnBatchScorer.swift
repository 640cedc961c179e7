// ChurnBatchScorer: probabilities and top factors for many rows, split across cores.
import Basics
import Dispatch
import Foundation
import Learning

/// Scores a whole table with a model. Explaining each row (top factors) costs several times the
/// scoring itself, so rows are cut into one slice per core and the slices run concurrently on
/// Dispatch threads (never the cooperative pool: call this from `ModelCompute`).
public enum ChurnBatchScorer {
    public struct Scores: Sendable {
        public let probabilities: [Double]
        public let factors: [[FeatureContribution]]
    }

    public static func score(_ model: ChurnModel, _ table: RawTable, topK: Int = 3,
                             lanes: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Scores {
        let n = table.rowCount
        let laneCount = max(1, min(lanes, n / 5_000 + 1))
        let slices = (0..<laneCount).map { lane in (n * lane / laneCount)..<(n * (lane + 1) / laneCount) }
        let results = SliceResults(count: laneCount)
        DispatchQueue.concurrentPerform(iterations: laneCount) { lane in
            do {
                let part = laneCount == 1 ? table : try table.rows(Array(slices[lane]))
                results.set(lane, .success(Scores(probabilities: try model.predictProbability(part),
                                                  factors: try model.topFactors(part, k: topK))))
            } catch {
                results.set(lane, .failure(error))
            }
        }
        var probabilities: [Double] = [], factors: [[FeatureContribution]] = []
        probabilities.reserveCapacity(n)
        factors.reserveCapacity(n)
        for lane in 0..<laneCount {
            guard let result = results.get(lane) else { throw ModelError(.learning, "scoring slice \(lane) produced nothing") }
            let scores = try result.get()
            probabilities += scores.probabilities
            factors += scores.factors
        }
        return Scores(probabilities: probabilities, factors: factors)
    }

    /// `[{"name": …, "value": …}, …]` for `churn_predictions.top_factors`, written by hand because a
    /// JSONEncoder per row costs more than scoring the row.
    public static func factorsJSON(_ factors: [FeatureContribution]) -> String {
        var out = "["
        for (i, f) in factors.enumerated() {
            if i > 0 { out += "," }
            out += "{\"name\":"
            JSONValue.writeString(f.name, into: &out)
            out += ",\"value\":\(f.value.isFinite ? "\(f.value)" : "0")}"
        }
        return out + "]"
    }

    /// One slot per lane, written once each from concurrent lanes.
    /// `@unchecked Sendable`: `slots` is only touched under `lock`.
    private final class SliceResults: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Result<Scores, Error>?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: Result<Scores, Error>) { lock.withLock { slots[i] = r } }
        func get(_ i: Int) -> Result<Scores, Error>? { lock.withLock { slots[i] } }
    }
}
