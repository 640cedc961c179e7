// Job and JobState: one row of cs.jobs as a handler sees it.
import Foundation

/// Where a job is in its lifecycle (the `cs.job_state` enum).
public enum JobState: String, Sendable, CaseIterable, Codable {
    case available, scheduled, running, retryable, completed, discarded, cancelled

    /// States from which the job may still run.
    public var isLive: Bool { [.available, .scheduled, .running, .retryable].contains(self) }
}

/// A claimed job: what a handler is given to run.
public struct Job: Sendable {
    public let id: Int64
    public let queue: String
    public let kind: String
    /// The JSON arguments, as stored (an object).
    public let args: [UInt8]
    /// 1 on the first run, 2 on the first retry…
    public let attempt: Int
    public let maxAttempts: Int
    public let priority: Int
    public let createdAt: Date

    public init(id: Int64, queue: String, kind: String, args: [UInt8], attempt: Int, maxAttempts: Int,
                priority: Int, createdAt: Date) {
        self.id = id; self.queue = queue; self.kind = kind; self.args = args
        self.attempt = attempt; self.maxAttempts = maxAttempts; self.priority = priority; self.createdAt = createdAt
    }

    /// True when a failure now would discard the job rather than retry it.
    public var isLastAttempt: Bool { attempt >= maxAttempts }
}
