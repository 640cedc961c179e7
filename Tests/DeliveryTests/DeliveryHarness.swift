// DeliveryHarness: a private database, a transport client and a real Queue.Worker running the
// deliver handler in-process, plus polling helpers — the way the tests drive deliveries.
import Basics
import Delivery
import Foundation
import Logging
import PG
import Queue
import TestSupport
import Testing
import Transport

/// One delivery row as the tests read it back.
struct DeliveryState: Sendable {
    let status: String
    let attempts: [DeliveryAttempt]
    let lastError: String?
    let providerID: String?
}

final class DeliveryHarness: Sendable {
    let db: TestDatabase
    let client: CurlClient
    let deliverer: Deliverer
    let logger: Logger
    let logs: CapturingLogHandler.Sink
    let settings: DeliverySettings
    private let running = Locked<(Worker, Task<Void, Never>)?>(nil)

    private init(db: TestDatabase, settings: DeliverySettings) throws {
        let (logger, logs) = CapturingLogHandler.logger()
        self.db = db
        self.logger = logger
        self.logs = logs
        self.settings = settings
        client = try CurlClient(logger: logger)
        deliverer = Deliverer(client: client, settings: settings, logger: logger)
    }

    /// Runs `body` with a fresh database and, unless `startWorker` is false, a running worker.
    static func with<T: Sendable>(settings: DeliverySettings = DeliverySettings(), startWorker: Bool = true,
                                  _ body: (DeliveryHarness) async throws -> T) async throws -> T {
        try await TestDatabase.with { db in
            let h = try DeliveryHarness(db: db, settings: settings)
            if startWorker { await h.startWorker() }
            do {
                let v = try await body(h)
                await h.stop()
                return v
            } catch {
                await h.stop()
                throw error
            }
        }
    }

    /// Starts a worker on the `delivery` queue with quick retries and promotion. Rescue is
    /// slow unless a test asks otherwise: on a loaded machine a 1 s rescue window can take
    /// a live worker's jobs.
    func startWorker(rescueAfter: Duration = .seconds(10)) async {
        let registry = JobRegistry()
        DeliveryJobs.register(in: registry, client: client, settings: settings, logger: logger)
        var cfg = WorkerConfiguration()
        cfg.queues = [DeliveryJobs.queue]
        cfg.concurrency = 16
        cfg.pollInterval = .milliseconds(100)
        cfg.heartbeatInterval = .milliseconds(200)
        cfg.rescueAfter = rescueAfter
        cfg.rescueInterval = .milliseconds(200)
        cfg.promoteInterval = .milliseconds(50)
        cfg.electionInterval = .milliseconds(100)
        cfg.shutdownGrace = .seconds(2)
        cfg.retry = RetryPolicy(base: .milliseconds(50), cap: .seconds(2))
        cfg.poolSize = 6
        let worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: logger)
        let task = Task<Void, Never> { _ = try? await worker.run() }
        running.withLock { $0 = (worker, task) }
        await worker.waitUntilStarted()
    }

    func stop() async {
        if let (worker, task) = running.withLock({ $0 }) {
            worker.shutdown()
            await task.value
        }
        await client.shutdown()
    }

    func save(_ channel: Channel) async throws {
        try await ChannelStore.save(channel, database: db.database)
    }

    @discardableResult
    func enqueue(_ channel: String, recipient: String? = nil, subject: String? = nil, text: String = "hello",
                 html: String? = nil, payload: [String: JSONValue] = [:], key: String? = nil) async throws -> Int64 {
        try await Outbox.enqueue(database: db.database, channel: channel, recipient: recipient, subject: subject,
                                 text: text, html: html, payload: payload, idempotencyKey: key)
    }

    func state(_ id: Int64) async throws -> DeliveryState {
        let d = try #require(try await Outbox.detail(id: id, database: db.database))
        return DeliveryState(status: d.summary.status.rawValue, attempts: d.attempts, lastError: d.summary.lastError,
                             providerID: d.summary.providerID)
    }

    /// Polls the delivery until `done` holds; fails the test after `timeout`.
    @discardableResult
    func waitFor(_ id: Int64, timeout: Duration = .seconds(15), _ done: (DeliveryState) -> Bool) async throws -> DeliveryState {
        let end = ContinuousClock.now + timeout
        while true {
            let s = try await state(id)
            if done(s) { return s }
            if ContinuousClock.now > end {
                Issue.record("delivery \(id) did not reach the expected state; last: \(s.status) \(s.attempts.map(\.outcome))")
                return s
            }
            try await Task.sleep(for: .milliseconds(40))
        }
    }

    /// The state of delivery `id`'s job.
    func jobState(_ id: Int64) async throws -> String? {
        try await db.database.query(
            "SELECT j.state::text FROM cs.jobs j JOIN cs.deliveries d ON d.job_id = j.id WHERE d.id = $1", [id]
        ).first?.decode(String.self, 0)
    }
}

/// Polls `check` until it returns true or `timeout` passes; returns the last answer.
@discardableResult
func eventually(timeout: Duration = .seconds(10), _ check: () async throws -> Bool) async throws -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if try await check() { return true }
        try await Task.sleep(for: .milliseconds(40))
    }
    return try await check()
}

/// A secret in a temporary file, referenced as `file:/path` (no process-wide setenv in
/// parallel tests).
func secretFile(_ value: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cs-secret-\(UUID().uuidString)")
    try Data((value + "\n").utf8).write(to: url)
    return "file:" + url.path
}

/// Decodes a JSON object body.
func jsonObject(_ bytes: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
}
