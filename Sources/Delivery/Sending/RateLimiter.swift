// RateLimiter: a token bucket per channel, shared by every delivery in this process, so a
// burst of alerts does not trip the provider's own limit (Slack: ~1 message/s per hook).
import Basics
import Foundation

/// Token buckets keyed by channel name. A caller asks for one token: it gets it now,
/// or a reservation to wait for (when the wait is at most `maxWait`), or the wait it would
/// need, to retry later without holding a slot.
///
/// `@unchecked Sendable`: `buckets` is only touched under `lock`.
public final class RateLimiter: @unchecked Sendable {
    public enum Decision: Sendable, Equatable {
        /// Go after sleeping this long (zero: at once). The slot is reserved.
        case proceed(after: Duration)
        /// Too far ahead: nothing reserved; try again after this long.
        case deferred(Duration)
    }

    struct Bucket {
        var rate: Double
        var burst: Double
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    /// Longest wait a delivery sleeps through instead of being deferred.
    public let maxWait: Duration

    public init(maxWait: Duration = .seconds(2)) { self.maxWait = maxWait }

    /// Takes (or reserves) one token from `key`'s bucket. Rate and burst come from the
    /// channel each time, so edits to `cs.channels` apply without a restart.
    public func acquire(_ key: String, rate: Double, burst: Int, now: ContinuousClock.Instant = .now) -> Decision {
        lock.withLock {
            let cap = Double(max(1, burst))
            var b = buckets[key] ?? Bucket(rate: rate, burst: cap, tokens: cap, updated: now)
            b.rate = rate
            b.burst = cap
            let elapsed = now - b.updated
            let seconds = elapsed.seconds
            b.tokens = min(cap, b.tokens + max(0, seconds) * rate)
            b.updated = now
            if b.tokens >= 1 {
                b.tokens -= 1
                buckets[key] = b
                return .proceed(after: .zero)
            }
            let wait = Duration.milliseconds(Int64(((1 - b.tokens) / rate * 1000).rounded(.up)))
            if wait <= maxWait {
                b.tokens -= 1 // a reservation: later callers queue behind it
                buckets[key] = b
                return .proceed(after: wait)
            }
            buckets[key] = b
            return .deferred(wait)
        }
    }
}
