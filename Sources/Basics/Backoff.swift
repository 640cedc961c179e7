// Backoff: the one exponential backoff with jitter, for reconnects, job retries and polls.

/// Delay before retry `n` (1 for the first retry): a random point in a window ending at
/// `min(cap, base · 2^(n-1))`, so retries of many clients spread apart and a recovering
/// server is not hit by all of them at once.
///
/// - `full` jitter draws from the whole window (AWS's "full jitter"): best for reconnects.
/// - `equal` jitter draws from its upper half: a job's retry is never much sooner than
///   the schedule an operator reads in the README.
public struct Backoff: Sendable {
    public enum Jitter: Sendable { case full, equal }

    public var base: Duration
    public var cap: Duration
    public var jitter: Jitter

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(10), jitter: Jitter = .full) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The window's upper end for retry `attempt` (1-based; 0 counts as 1).
    public func ceiling(attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 40)
        return .seconds(fractional: min(cap.seconds, base.seconds * Double(UInt64(1) << UInt64(exponent))))
    }

    /// The delay before retry `attempt` (1-based).
    public func delay(attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(attempt: attempt, using: &generator)
    }

    /// The same with a caller's generator (tests pass a seeded one).
    public func delay<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Duration {
        let top = ceiling(attempt: attempt).seconds
        let low = jitter == .full ? 0 : top / 2
        return .seconds(fractional: Double.random(in: low...max(low, top), using: &generator))
    }
}
