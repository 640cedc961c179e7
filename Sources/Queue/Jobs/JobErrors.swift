// Errors a handler throws to steer what happens to its job.
import Foundation

/// The job can never succeed (bad input, a 4xx the far end will repeat): discard it now
/// and record `reason`, without spending the remaining attempts.
public struct PermanentJobError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Try again after at least `after` (for example a provider's `Retry-After`). Counts as
/// an attempt; with no attempts left the job is discarded.
public struct RetryJobError: Error, CustomStringConvertible, Sendable {
    public let after: Duration
    public let reason: String
    public init(after: Duration, _ reason: String) { self.after = after; self.reason = reason }
    public var description: String { reason }
}

/// Not now, through no fault of the job (a local rate limit, an open circuit breaker):
/// run it again after `after` without spending an attempt. The job goes back to
/// `scheduled`, its `snoozes` count grows and nothing is added to its errors; whatever
/// snoozes must bound the total wait itself (for example by the job's age).
public struct SnoozeJobError: Error, CustomStringConvertible, Sendable {
    public let after: Duration
    public let reason: String
    public init(after: Duration, _ reason: String) { self.after = after; self.reason = reason }
    public var description: String { reason }
}

/// The job's arguments did not decode into the handler's type: discarded, never retried.
public struct JobArgumentsError: Error, CustomStringConvertible, Sendable {
    public let kind: String
    public let message: String
    public var description: String { "args of \(kind) do not decode: \(message)" }
}
