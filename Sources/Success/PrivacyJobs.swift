// PrivacyJobs: `retention_purge`, daily.
import Foundation
import PG
import Privacy
import Queue

public enum PrivacyJobs {
    /// Optional `policies` (categories) to purge; all enabled ones by default.
    public struct RetentionPurge: JobArgs {
        public static let kind = "retention_purge"
        public var policies: [String]?
        public init(policies: [String]? = nil) { self.policies = policies }
    }

    public static func register(in registry: JobRegistry, workerID: String) {
        registry.register(RetentionPurge.self, timeout: .seconds(6 * 3600)) { args, ctx in
            let results = try await RetentionPurger(database: ctx.database, actor: workerID, logger: ctx.logger)
                .purge(only: args.policies)
            // The job row says what went, per policy (the audit log has the same).
            try await ctx.recordResult(Dictionary(uniqueKeysWithValues: results.map { ($0.category, $0) }))
        }
    }

    /// Every night at 03:30 UTC, after the scoring run's busy hour.
    public static let defaultSchedules: [Schedule] = [
        Schedule(name: "retention-purge-daily", cron: "30 3 * * *", kind: RetentionPurge.kind, maxAttempts: 3),
    ]

    public static func installDefaultSchedules(_ store: ScheduleStore) async throws {
        for s in defaultSchedules { try await store.addIfMissing(s) }
    }
}
