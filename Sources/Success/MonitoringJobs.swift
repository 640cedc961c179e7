// MonitoringJobs: the self-monitor as a job — `health_check` every minute.
import Foundation
import Monitoring
import PG
import Queue

public enum MonitoringJobs {
    /// No arguments: the monitor checks everything `cs.health_checks` enables.
    public struct HealthCheckArgs: JobArgs {
        public static let kind = "health_check"
        public init() {}
    }

    /// What the job row's `result` holds: the run's verdict, without the full observations
    /// (those are in `cs.health_check_runs`).
    struct Summary: Encodable {
        let runId: Int64
        let worst: String
        let failing: [String]
        let liveAlerts: Int
        let messagesQueued: Int
    }

    public static func register(in registry: JobRegistry) {
        registry.register(HealthCheckArgs.self, timeout: .seconds(50)) { _, ctx in
            let run = try await HealthMonitor(database: ctx.database, logger: ctx.logger).run(at: Date(), jobID: ctx.job.id)
            try await ctx.recordResult(Summary(runId: run.runID, worst: run.worst.rawValue,
                                               failing: run.observations.filter { $0.severity != .ok }.map { "\($0.check):\($0.subject)" },
                                               liveAlerts: run.liveAlerts, messagesQueued: run.messagesQueued))
        }
    }

    /// Every minute, one attempt (the next minute is the retry), on its own queue so a
    /// backlog in `default` cannot delay the monitor that reports it.
    public static let defaultSchedules: [Schedule] = [
        Schedule(name: "health-check", cron: "* * * * *", kind: HealthCheckArgs.kind, queue: "monitor", maxAttempts: 1),
    ]

    public static func installDefaultSchedules(_ store: ScheduleStore) async throws {
        for s in defaultSchedules { try await store.addIfMissing(s) }
    }
}
