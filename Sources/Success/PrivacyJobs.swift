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

    /// `{"request_id": 12}` — filed by cs.request_erasure / cs-worker privacy erase.
    public struct EraseSubject: JobArgs {
        public static let kind = "erase_subject"
        public var requestId: Int64
    }

    /// `{"request_id": 12, "path": "/exports/12.json"}`; without a path, `$CS_EXPORT_DIR/request-<id>.json`.
    public struct ExportSubject: JobArgs {
        public static let kind = "export_subject"
        public var requestId: Int64
        public var path: String?
    }

    /// `piiKey`: the private PII key when contacts are encrypted (`CS_PII_PRIVATE_KEY`).
    public static func register(in registry: JobRegistry, workerID: String, piiKey: PIIKey? = nil) {
        registry.register(EraseSubject.self, timeout: .seconds(3600)) { args, ctx in
            do {
                let counts = try await PrivacyRequests(database: ctx.database, logger: ctx.logger).erase(request: args.requestId, actor: workerID, key: piiKey)
                try await ctx.recordResult(["request_id": "\(args.requestId)", "counts": counts])
            } catch let e as PrivacyRequestError {
                throw PermanentJobError(e.description)
            }
        }
        registry.register(ExportSubject.self, timeout: .seconds(600)) { args, ctx in
            guard let path = args.path ?? ProcessInfo.processInfo.environment["CS_EXPORT_DIR"].map({ "\($0)/request-\(args.requestId).json" }) else {
                throw PermanentJobError("export_subject needs a path, or CS_EXPORT_DIR set on the worker")
            }
            do {
                let bytes = try await PrivacyRequests(database: ctx.database, logger: ctx.logger).export(request: args.requestId, to: path, actor: workerID, key: piiKey)
                try await ctx.recordResult(["request_id": args.requestId, "bytes": Int64(bytes)])
            } catch let e as PrivacyRequestError {
                throw PermanentJobError(e.description)
            }
        }
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
