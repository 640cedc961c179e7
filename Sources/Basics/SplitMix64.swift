// SplitMix64: the one seeded random generator, so splits, subsamples, synthetic and demo
// data are reproducible across runs and platforms.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic 64-bit generator (Steele, Lea & Flood). Used instead of the system
/// generator wherever a seed must always give the same numbers; never for secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream per (seed, key), e.g. one per account, so chunking work
    /// differently cannot change the numbers drawn for one key.
    public init(seed: UInt64, stream: UInt64) {
        var s = SplitMix64(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
        state = s.next() ^ stream
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in 0..<bound (Lemire's multiply-shift; the tiny bias is irrelevant
    /// here and keeps results stable across Swift versions). 0 when `bound` ≤ 1.
    public mutating func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let product = next().multipliedFullWidth(by: UInt64(bound))
        return Int(product.high)
    }

    /// Uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { nextUnit() < p }

    /// Standard normal variate (Box–Muller).
    public mutating func nextGaussian() -> Double {
        let u1 = max(nextUnit(), 1e-300)
        let u2 = nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Poisson variate with a small mean (Knuth's method, capped at 49).
    public mutating func nextPoisson(mean: Double) -> Int {
        let l = exp(-mean)
        var k = 0, p = 1.0
        repeat { k += 1; p *= nextUnit() } while p > l && k < 50
        return k - 1
    }

    /// Fisher–Yates shuffle that depends only on this generator's stream.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }
}
