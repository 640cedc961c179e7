// ModelDriftProfile: what the training data looked like, stored with a model so drift can be measured later.
import Foundation
import Learning

/// Per numeric input column: decile edges of the training values and the share of rows in each bin
/// (plus the share missing). Stored as JSON in `cs.models.drift_profile`; the live data is binned on
/// the same edges, so the PSI needs no copy of the training rows.
public struct ModelDriftProfile: Sendable, Codable, Equatable {
    public struct Feature: Sendable, Codable, Equatable {
        /// Ascending, de-duplicated cut points; bin k holds (edges[k-1], edges[k]] like `Metrics.psi`.
        public let edges: [Double]
        /// Share of non-missing training values per bin (`edges.count + 1` entries).
        public let shares: [Double]
        /// Share of training rows where the value was missing.
        public let missingShare: Double
    }

    public let features: [String: Feature]
    /// Share of positive labels in the training rows.
    public let labelRate: Double

    /// Small shares are floored at this value so an empty bin does not make the PSI infinite (as `Metrics.psi`).
    public static let epsilon = 1e-4

    public init(features: [String: Feature], labelRate: Double) {
        self.features = features
        self.labelRate = labelRate
    }

    /// Profiles every numeric column of `table`.
    public static func make(_ table: RawTable, labels: [Double], bins: Int = 10) -> ModelDriftProfile {
        var out: [String: Feature] = [:]
        for (name, column) in zip(table.names, table.columns) {
            guard case .numeric(let values) = column else { continue }
            let present = values.filter { !$0.isNaN }.sorted()
            guard !present.isEmpty else { continue }
            let edges = Metrics.quantileEdges(sorted: present, bins: bins)
            let counts = Metrics.binCounts(present, edges: edges)
            out[name] = Feature(edges: edges, shares: counts.map { $0 / Double(present.count) },
                                missingShare: Double(values.count - present.count) / Double(max(values.count, 1)))
        }
        let rate = labels.isEmpty ? 0 : labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) } / Double(labels.count)
        return ModelDriftProfile(features: out, labelRate: rate)
    }

    /// Population stability index of `live` values against the training profile of `feature`:
    /// Σ (live − train) · ln(live / train) over the bins and the missing bin (when either side has missing values).
    public static func psi(_ feature: Feature, live: [Double]) -> Double {
        guard !live.isEmpty else { return 0 }
        let present = live.filter { !$0.isNaN }
        let liveMissing = Double(live.count - present.count) / Double(live.count)
        var train = feature.shares.map { $0 * (1 - feature.missingShare) }
        var now = Metrics.binCounts(present, edges: feature.edges).map { $0 / Double(live.count) }
        if feature.missingShare > 0 || liveMissing > 0 {
            train.append(feature.missingShare)
            now.append(liveMissing)
        }
        return Metrics.psi(expectedShares: train, actualShares: now, epsilon: epsilon)
    }
}
