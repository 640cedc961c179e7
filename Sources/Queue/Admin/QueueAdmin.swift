// QueueAdmin: what operators ask of the queue — status, and retry / cancel / discard.
import Basics
import Foundation
import PG

/// One line of `cs.queue_overview`.
public struct QueueOverviewRow: Sendable, Codable, Equatable {
    public let queue: String
    public let kind: String
    public let available: Int, scheduled: Int, running: Int, retryable: Int
    public let completed: Int, discarded: Int, cancelled: Int
    /// Seconds the oldest ready job has waited, nil when none is ready.
    public let oldestAvailableAgeSeconds: Double?
}

/// A worker process as `cs.workers` knows it.
public struct WorkerRow: Sendable, Codable, Equatable {
    public let id: String
    public let host: String
    public let pid: Int
    public let queues: [String]
    public let concurrency: Int
    public let heartbeatAgeSeconds: Double
    public let isLeader: Bool
    public let running: Int
}

/// The whole picture `cs-worker status` prints.
public struct QueueStatus: Sendable, Codable {
    public let overview: [QueueOverviewRow]
    public let workers: [WorkerRow]
    public let failing: Int
    public let stuck: Int
    /// Queues an operator paused (`cs-worker queue resume Q`).
    public let paused: [String]
}

/// The result of an operator's action on one job.
public enum JobActionResult: Sendable, Equatable, CustomStringConvertible {
    case done(JobState)
    case unchanged(JobState)
    case notFound
    public var description: String {
        switch self {
        case .done(let s): return "now \(s.rawValue)"
        case .unchanged(let s): return "left as \(s.rawValue)"
        case .notFound: return "no such job"
        }
    }
}

public struct QueueAdmin: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    public func status() async throws -> QueueStatus {
        let overview = try await database.rows(QueueStatements.QueueOverview())
        let workers = try await database.rows(QueueStatements.Workers())
        let counts = try await database.one(QueueStatements.ProblemCounts())
        let paused = try await database.rows(QueueStatements.PausedQueues())
        return QueueStatus(overview: overview, workers: workers, failing: counts.failing, stuck: counts.stuck, paused: paused)
    }

    /// Runs a job again now, with its attempts reset.
    public func retry(id: Int64) async throws -> JobActionResult { try await act(.retry, id, expect: .available) }
    /// Cancels a job; a running one is asked to stop and reads `running` until it has.
    public func cancel(id: Int64) async throws -> JobActionResult {
        let r = try await act(.cancel, id, expect: .cancelled)
        if case .unchanged(.running) = r { return .done(.running) }
        return r
    }
    /// Discards a job that has not run to the end.
    public func discard(id: Int64) async throws -> JobActionResult { try await act(.discard, id, expect: .discarded) }

    private func act(_ action: QueueStatements.JobAction.Action, _ id: Int64, expect: JobState) async throws -> JobActionResult {
        guard let found = try await database.first(QueueStatements.JobAction(action: action, id: id)), let state = found else {
            return .notFound
        }
        return state == expect ? .done(state) : .unchanged(state)
    }
}

extension QueueAdmin {
    /// True when `queues` hold no job that is ready, running, or due within `horizon`.
    public func isDrained(queues: [String], horizon: Duration = .seconds(5)) async throws -> Bool {
        try await database.one(QueueStatements.IsDrained(queues: queues, horizonSeconds: horizon.seconds))
    }
}

extension QueueAdmin {
    /// Returns once `queues` have been drained (see `isDrained`) at two checks in a row,
    /// `every` apart, so a job enqueued by the last one to finish is not missed. For batch
    /// runs and demos; a failed check counts as "not yet".
    public func waitUntilDrained(queues: [String], horizon: Duration = .seconds(5),
                                 every: Duration = .milliseconds(500)) async throws {
        var quiet = 0
        while quiet < 2 {
            try await Task.sleep(for: every)
            quiet = (try? await isDrained(queues: queues, horizon: horizon)) == true ? quiet + 1 : 0
        }
    }
}
