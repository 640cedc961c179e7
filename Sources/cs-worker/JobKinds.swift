// JobKinds: every job kind this executable can run, registered in one place.
import Delivery
import Foundation
import Logging
import PG
import Privacy
import Queue
import Success
import Transport

enum JobKinds {
    /// Registers every kind. The returned client must be shut down when the worker stops.
    static func registerAll(in registry: JobRegistry, workerID: String, logger: Logger) throws -> CurlClient {
        DiagnosticJobs.register(in: registry, workerID: workerID)
        let client = try CurlClient(logger: logger)
        DeliveryJobs.register(in: registry, client: client, logger: logger)
        SuccessJobs.register(in: registry)
        ChurnJobs.register(in: registry, logger: logger)
        ReportJobs.register(in: registry, replica: replicaDatabase(logger: logger))
        MonitoringJobs.register(in: registry)
        PrivacyJobs.register(in: registry, workerID: workerID, piiKey: try piiKey())
        return client
    }

    /// The private PII key, from the reference in `CS_PII_PRIVATE_KEY` (and its passphrase from
    /// `CS_PII_PASSPHRASE`), or nil when contacts are not encrypted.
    static func piiKey() throws -> PIIKey? {
        let env = ProcessInfo.processInfo.environment
        guard let ref = env["CS_PII_PRIVATE_KEY"], !ref.isEmpty else { return nil }
        let resolver = SecretResolver()
        guard SecretResolver.isReference(ref) else {
            throw CommandFailure(description: "CS_PII_PRIVATE_KEY must be a reference (env:NAME or file:/path), not the key itself")
        }
        let passphrase = try env["CS_PII_PASSPHRASE"].flatMap { $0.isEmpty ? nil : try resolver.resolve($0) } ?? ""
        return PIIKey(armored: try resolver.resolve(ref), passphrase: passphrase)
    }

    /// Reports read from `CS_REPLICA_URL` when it is set (a hot standby: the report
    /// functions only read); everything else uses the primary.
    static func replicaDatabase(logger: Logger) -> Database? {
        guard let url = ProcessInfo.processInfo.environment["CS_REPLICA_URL"], !url.isEmpty else { return nil }
        return Database(url: url, maxConnections: 2, applicationName: "cs-worker-reports", logger: logger)
    }

    /// The schedules a fresh installation wants (scoring, outcomes, retraining, drift, reports, the monitor);
    /// existing rows of the same names are left as the operator made them.
    static func installDefaultSchedules(database: Database) async throws {
        try await SuccessJobs.installDefaultSchedules(ScheduleStore(database: database))
        try await ChurnJobs.installDefaultSchedules(database: database)
        try await ReportJobs.installDefaultSchedules(ScheduleStore(database: database))
        try await MonitoringJobs.installDefaultSchedules(ScheduleStore(database: database))
        try await PrivacyJobs.installDefaultSchedules(ScheduleStore(database: database))
    }
}

/// Waits until the worker's queues are drained and nothing runs in it.
enum UntilEmpty {
    static func wait(worker: Worker, queues: [String], logger: Logger) async {
        let admin = QueueAdmin(database: worker.database)
        repeat {
            try? await admin.waitUntilDrained(queues: queues)
        } while worker.stats.running > 0
        logger.notice("queues drained; stopping")
    }
}
