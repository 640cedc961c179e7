// BinMapper: maps each feature to at most 255 quantile bins (plus a missing bin) so boosted trees split on byte-sized histograms.
import Basics

/// Per-feature bin edges learned from training data, following scikit-learn's HistGradientBoosting binning:
/// midpoints between distinct values when there are few, otherwise de-duplicated percentiles.
/// Bin `b` holds `thresholds[b-1] < x <= thresholds[b]`; bin 255 holds missing values.
/// Categorical features use their code (0...254) as the bin.
struct BinMapper: Sendable {
    static let missingBin: UInt8 = 255

    let thresholds: [[Double]]
    let isCategorical: [Bool]
    /// Number of non-missing bins per feature.
    let binCounts: [Int]

    static func fit(_ data: Dataset, maxBins: Int = 255, subsample: Int = 200_000, seed: UInt64 = 0) -> BinMapper {
        let n = data.rowCount
        var rows: [Int]? = nil
        if n > subsample {
            var rng = SplitMix64(seed: seed)
            var all = Array(0..<n)
            rng.shuffle(&all)
            rows = Array(all.prefix(subsample))
        }
        var thresholds: [[Double]] = []
        var binCounts: [Int] = []
        for j in 0..<data.featureCount {
            let column = data.column(j)
            if data.categoricalMask[j] {
                var maxCode = -1
                for v in column where !v.isNaN { maxCode = max(maxCode, Int(min(max(v, 0), 254))) }
                thresholds.append([])
                binCounts.append(maxCode + 1)
                continue
            }
            var present: [Double]
            if let rows {
                let base = column.startIndex
                present = rows.map { column[base + $0] }.filter { !$0.isNaN }
            } else {
                present = column.filter { !$0.isNaN }
            }
            present.sort()
            var distinct: [Double] = []
            for v in present where distinct.last != v { distinct.append(v) }
            var edges: [Double] = []
            if distinct.count <= maxBins {
                for k in 0..<max(distinct.count - 1, 0) { edges.append((distinct[k] + distinct[k + 1]) * 0.5) }
            } else {
                // numpy's "averaged_inverted_cdf" percentiles, with the same floating-point steps, then de-duplicated
                // (scikit-learn >= 1.6).
                let count = Double(present.count)
                let step = 100.0 / Double(maxBins)
                for k in 1..<maxBins {
                    let q = (Double(k) * step) / 100
                    let virtualIndex = count * q - 1
                    let previous = virtualIndex.rounded(.down)
                    let lower = min(max(Int(previous), 0), present.count - 1)
                    let upper = min(max(Int(previous) + 1, 0), present.count - 1)
                    let value = virtualIndex - previous == 0 ? (present[lower] + present[upper]) * 0.5 : present[upper]
                    if edges.last != value { edges.append(value) }
                }
            }
            thresholds.append(edges)
            binCounts.append(edges.count + 1)
        }
        return BinMapper(thresholds: thresholds, isCategorical: data.categoricalMask, binCounts: binCounts)
    }

    @inline(__always)
    func bin(_ value: Double, feature: Int) -> UInt8 {
        if value.isNaN { return Self.missingBin }
        if isCategorical[feature] {
            guard value >= 0, value < 255, value == value.rounded(.down) else { return Self.missingBin }
            return UInt8(value)
        }
        let edges = thresholds[feature]
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if value <= edges[mid] { hi = mid } else { lo = mid + 1 }
        }
        return UInt8(lo)
    }

    /// Column-major bins for the whole dataset.
    func transform(_ data: Dataset) -> [UInt8] {
        let n = data.rowCount
        var out = [UInt8](repeating: 0, count: n * data.featureCount)
        data.values.withUnsafeBufferPointer { v in
            for j in 0..<data.featureCount {
                for i in 0..<n { out[j * n + i] = bin(v[j * n + i], feature: j) }
            }
        }
        return out
    }

    /// Raw threshold for a numeric split at `bin` (x <= threshold goes left).
    func threshold(feature: Int, bin: Int) -> Double {
        let edges = thresholds[feature]
        return bin < edges.count ? edges[bin] : .infinity
    }
}
