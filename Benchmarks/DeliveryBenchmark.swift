// DeliveryBenchmark: deliveries per second through the real deliver job — N outbox rows
// drained by in-process workers to a loopback HTTP sink, then to a loopback SMTP server —
// and p99 enqueue-to-delivered (created_at → sent_at).
import Basics
import Delivery
import Foundation
import Logging
import Loopback
import PG
import Queue
import Transport

public struct DeliveryBenchmarkResult: Sendable {
    public var httpPerSecond: Double = 0
    public var httpP99Ms: Double = 0
    public var smtpPerSecond: Double = 0
    public var smtpP99Ms: Double = 0
    /// Enqueue-to-delivered at a steady 200 messages/s (no backlog): the latency a
    /// message sees when the system keeps up, as opposed to the drain p99 above, which
    /// includes waiting behind thousands of messages enqueued at once.
    public var steadyP50Ms: Double = 0
    public var steadyP99Ms: Double = 0

    /// The machine-readable last line.
    public var summaryLine: String {
        String(format: "delivery: http=%.0f smtp=%.0f p99_ms=%.1f", httpPerSecond, smtpPerSecond, steadyP99Ms)
    }
}

public enum DeliveryBenchmark {
    /// Runs both measurements on a private database of the server at `url`. SMTP is
    /// skipped (rate 0) when no Python with aiosmtpd is found (`CS_VENV` or `./.venv`).
    public static func run(url: String, messages: Int = 5000, smtpMessages: Int = 1000, workers: Int = 8,
                           logger: Logger) async throws -> DeliveryBenchmarkResult {
        let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_delivery", url: url, logger: logger)
        let db = Database(url: dbURL, maxConnections: 4, logger: logger)
        let client = try CurlClient(logger: logger)
        var result = DeliveryBenchmarkResult()

        let sink = try LoopbackHTTPServer(record: false)
        try await ChannelStore.save(Channel(name: "bench-http", type: .webhook, endpoint: sink.url("/hook"),
                                            ratePerSecond: 1e9, burst: 1_000_000), database: db)
        (result.httpPerSecond, result.httpP99Ms, _) = try await measure(channel: "bench-http", count: messages, recipient: nil,
                                                                      dbURL: dbURL, db: db, client: client,
                                                                      workers: workers, logger: logger)
        print(String(format: "http: %d deliveries in %.0f/s, p99 created→sent %.1f ms (sink saw %d)",
                     messages, result.httpPerSecond, result.httpP99Ms, sink.requestCount))
        let steady = try await measure(channel: "bench-http", count: 1000, recipient: nil, dbURL: dbURL, db: db,
                                       client: client, workers: workers, logger: logger, pace: .milliseconds(5))
        (result.steadyP50Ms, result.steadyP99Ms) = (steady.p50, steady.p99)
        print(String(format: "http at a steady 200/s: p50 %.1f ms, p99 %.1f ms created→sent", steady.p50, steady.p99))
        sink.stop()

        if LoopbackSMTPServer.isAvailable() {
            let smtp = try await LoopbackSMTPServer.start(store: false)
            try await ChannelStore.save(Channel(name: "bench-smtp", type: .smtp, endpoint: smtp.url,
                                                options: ["from": "bench@cs.example"], ratePerSecond: 1e9,
                                                burst: 1_000_000), database: db)
            (result.smtpPerSecond, result.smtpP99Ms, _) = try await measure(channel: "bench-smtp", count: smtpMessages,
                                                                          recipient: "sink@cs.example", dbURL: dbURL, db: db,
                                                                          client: client, workers: workers, logger: logger)
            print(String(format: "smtp: %d deliveries in %.0f/s, p99 created→sent %.1f ms",
                         smtpMessages, result.smtpPerSecond, result.smtpP99Ms))
            smtp.stop()
        } else {
            print("smtp: skipped (no .venv with aiosmtpd; set CS_VENV)")
        }
        await client.shutdown()
        await db.close()
        return result
    }

    /// Starts `workers` workers, enqueues `count` deliveries in batches while they run, and
    /// waits until all are sent. Returns (deliveries/s from first enqueue to last sent, p99 ms).
    static func measure(channel: String, count: Int, recipient: String?, dbURL: String, db: Database,
                        client: CurlClient, workers: Int, logger: Logger,
                        pace: Duration? = nil) async throws -> (rate: Double, p99: Double, p50: Double) {
        try await db.execute("TRUNCATE cs.deliveries, cs.jobs")
        var running: [(Worker, Task<Void, Never>)] = []
        for i in 0..<workers {
            let registry = JobRegistry()
            DeliveryJobs.register(in: registry, client: client, logger: logger)
            var cfg = WorkerConfiguration()
            cfg.queues = [DeliveryJobs.queue]
            cfg.concurrency = 64
            cfg.claimBatch = 64
            cfg.poolSize = 4
            cfg.maintenance = i == 0
            cfg.promoteInterval = .milliseconds(100)
            let worker = Worker(url: dbURL, registry: registry, configuration: cfg, logger: logger)
            running.append((worker, Task { _ = try? await worker.run() }))
        }
        for (w, _) in running { await w.waitUntilStarted() }

        let start = ContinuousClock.now
        let batch = pace == nil ? 200 : 1
        var queued = 0
        while queued < count {
            if let pace { try await Task.sleep(for: pace) }
            let n = min(batch, count - queued)
            try await db.execute("""
                SELECT cs.enqueue_delivery($1, $2, 'benchmark', 'message ' || g)
                FROM generate_series(1, $3) AS g
                """, [channel, recipient, n])
            queued += n
        }
        while true {
            let sent = try await db.query("SELECT count(*) FROM cs.deliveries WHERE status = 'sent'").first?
                .decode(Int.self, 0) ?? 0
            if sent >= count { break }
            let failed = try await db.query("SELECT count(*) FROM cs.deliveries WHERE status = 'failed'").first?
                .decode(Int.self, 0) ?? 0
            if failed > 0 { throw BenchError("\(failed) deliveries failed on \(channel)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let pct = try await db.query("""
            SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at) * 1000),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at) * 1000)
            FROM cs.deliveries WHERE status = 'sent'
            """)
        let p99 = try pct.first?.decode(Double.self, 0) ?? 0
        let p50 = try pct.first?.decode(Double.self, 1) ?? 0
        for (w, _) in running { w.shutdown() }
        for (_, t) in running { await t.value }
        return (Double(count) / elapsed, p99, p50)
    }
}
