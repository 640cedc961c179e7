// JobKinds: every job kind this executable can run, registered in one place.
import Delivery
import Logging
import PG
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
        return client
    }

    /// The schedules a fresh installation wants (scoring, outcomes, retraining, drift);
    /// existing rows of the same names are left as the operator made them.
    static func installDefaultSchedules(database: Database) async throws {
        try await SuccessJobs.installDefaultSchedules(ScheduleStore(database: database))
        try await ChurnJobs.installDefaultSchedules(database: database)
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
