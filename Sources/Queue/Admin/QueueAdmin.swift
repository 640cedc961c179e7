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
        let o = try await database.query("""
            SELECT queue, kind, available, scheduled, running, retryable, completed, discarded, cancelled,
                   oldest_available_age_s::float8
            FROM cs.queue_overview ORDER BY queue, kind
            """)
        let overview = try o.map { r in
            QueueOverviewRow(queue: try r.decode(String.self, 0), kind: try r.decode(String.self, 1),
                             available: try r.decode(Int.self, 2), scheduled: try r.decode(Int.self, 3),
                             running: try r.decode(Int.self, 4), retryable: try r.decode(Int.self, 5),
                             completed: try r.decode(Int.self, 6), discarded: try r.decode(Int.self, 7),
                             cancelled: try r.decode(Int.self, 8), oldestAvailableAgeSeconds: try r.decodeIfPresent(Double.self, 9))
        }
        let w = try await database.query("""
            SELECT w.id, w.host, w.pid, w.queues, w.concurrency,
                   extract(epoch FROM now() - w.heartbeat_at)::float8,
                   EXISTS (SELECT 1 FROM cs.leader l WHERE l.leader_id = w.id AND l.expires_at > now()),
                   (SELECT count(*) FROM cs.jobs j WHERE j.state = 'running' AND j.worker_id = w.id)
            FROM cs.workers w ORDER BY w.started_at
            """)
        let workers = try w.map { r in
            WorkerRow(id: try r.decode(String.self, 0), host: try r.decode(String.self, 1), pid: try r.decode(Int.self, 2),
                      queues: try r.decode([String].self, 3), concurrency: try r.decode(Int.self, 4),
                      heartbeatAgeSeconds: try r.decode(Double.self, 5), isLeader: try r.decode(Bool.self, 6),
                      running: try r.decode(Int.self, 7))
        }
        let counts = try await database.query("SELECT (SELECT count(*) FROM cs.failing_jobs), (SELECT count(*) FROM cs.stuck_jobs)")
        return QueueStatus(overview: overview, workers: workers,
                           failing: try counts[0].decode(Int.self, 0), stuck: try counts[0].decode(Int.self, 1))
    }

    /// Runs a job again now, with its attempts reset.
    public func retry(id: Int64) async throws -> JobActionResult { try await act("SELECT cs.retry_job($1)", id, expect: .available) }
    /// Cancels a job; a running one is asked to stop and reads `running` until it has.
    public func cancel(id: Int64) async throws -> JobActionResult {
        let r = try await act("SELECT cs.cancel_job($1)", id, expect: .cancelled)
        if case .unchanged(.running) = r { return .done(.running) }
        return r
    }
    /// Discards a job that has not run to the end.
    public func discard(id: Int64) async throws -> JobActionResult { try await act("SELECT cs.discard_job($1)", id, expect: .discarded) }

    private func act(_ sql: String, _ id: Int64, expect: JobState) async throws -> JobActionResult {
        let r = try await database.query(sql, [id])
        guard let text = try r.first?.decodeIfPresent(String.self, 0), let state = JobState(rawValue: text) else { return .notFound }
        return state == expect ? .done(state) : .unchanged(state)
    }
}

extension QueueAdmin {
    /// True when `queues` hold no job that is ready, running, or due within `horizon`.
    public func isDrained(queues: [String], horizon: Duration = .seconds(5)) async throws -> Bool {
        let r = try await database.query("""
            SELECT NOT EXISTS (
                SELECT 1 FROM cs.jobs
                WHERE queue = ANY($1::text[])
                  AND (state IN ('available', 'running')
                       OR (state IN ('scheduled', 'retryable') AND run_at < now() + make_interval(secs => $2))))
            """, [queues, horizon.seconds])
        return try r.first?.decode(Bool.self, 0) ?? false
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
