// StateSampler: the gauges that describe the database rather than this process — queue
// depth and age, paused queues, open breakers, the champion's AUC, alerts by state — read by
// the leader only (one process pays for them), every `interval`.
import Foundation
import Logging
import Monitoring
import PG
import Prometheus

public struct StateSampler: Sendable {
    public let database: Database
    public let metrics: PrometheusMetrics
    public var interval: Duration = .seconds(15)
    /// Sample only while this says so (the worker's leadership; always true for `serve`).
    let shouldSample: @Sendable () -> Bool
    let logger: Logger

    public init(database: Database, metrics: PrometheusMetrics, shouldSample: @escaping @Sendable () -> Bool, logger: Logger) {
        self.database = database
        self.metrics = metrics
        self.shouldSample = shouldSample
        self.logger = logger
    }

    /// Samples until cancelled. A failed sample is logged and tried again next time.
    public func run() async {
        var seen: Set<Series> = []
        while !Task.isCancelled {
            metrics.gauge("cs_worker_leader", []).set(to: shouldSample() ? 1.0 : 0.0)
            if shouldSample() {
                do { seen = try await sampleOnce(previously: seen) } catch {
                    logger.warning("metrics sample failed", metadata: ["error": "\(error)"])
                }
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// One gauge series: a name and its label values.
    struct Series: Hashable {
        let name: String
        let labels: [String]
        let values: [String]
    }

    /// Reads everything once and sets the gauges; series seen last time and absent now go to 0.
    @discardableResult
    public func sampleOnce() async throws -> Int { try await sampleOnce(previously: []).count }

    func sampleOnce(previously: Set<Series>) async throws -> Set<Series> {
        var now: [Series: Double] = [:]
        for r in try await database.rows(Statements.Queues()) {
            now[Series(name: "cs_queue_jobs", labels: ["queue", "state"], values: [r.queue, r.state])] = r.count
            if let age = r.oldestSeconds {
                now[Series(name: "cs_queue_oldest_ready_seconds", labels: ["queue"], values: [r.queue])] = age
            }
        }
        for (queue, paused) in try await database.rows(Statements.Paused()) {
            now[Series(name: "cs_queue_paused", labels: ["queue"], values: [queue])] = paused ? 1 : 0
        }
        for (channel, open) in try await database.rows(Statements.Breakers()) {
            now[Series(name: "cs_breaker_open", labels: ["channel"], values: [channel])] = open ? 1 : 0
        }
        if let auc = try await database.first(Statements.ChampionAUC()) ?? nil {
            now[Series(name: "cs_model_champion_roc_auc", labels: [], values: [])] = auc
        }
        for (state, n) in try await AlertBook(database: database).counts() {
            now[Series(name: "cs_alerts", labels: ["state"], values: [state])] = Double(n)
        }
        for gone in previously where now[gone] == nil { now[gone] = 0 }
        for (series, value) in now {
            metrics.gauge(series.name, Array(zip(series.labels, series.values))).set(to: value)
        }
        return Set(now.keys)
    }

    enum Statements {
        /// Each part walks the partial index of its state (the claim, due and running
        /// indexes), never the completed rows.
        struct Queues: Statement {
            var sql: String {
                """
                SELECT queue, 'available', count(*)::float8, extract(epoch FROM now() - min(run_at))::float8
                FROM cs.jobs WHERE state = 'available' GROUP BY queue
                UNION ALL
                SELECT queue, 'running', count(*)::float8, NULL FROM cs.jobs
                WHERE worker_id IS NOT NULL AND state = 'running' GROUP BY queue
                UNION ALL
                SELECT queue, state::text, count(*)::float8, NULL FROM cs.jobs
                WHERE state IN ('scheduled', 'retryable') GROUP BY queue, state
                """
            }
            func decode(_ r: Row) throws -> (queue: String, state: String, count: Double, oldestSeconds: Double?) {
                (try r.decode(String.self, 0), try r.decode(String.self, 1), try r.decode(Double.self, 2), try r.decodeIfPresent(Double.self, 3))
            }
        }
        struct Paused: Statement {
            var sql: String { "SELECT name, paused FROM cs.queues" }
            func decode(_ r: Row) throws -> (String, Bool) { (try r.decode(String.self, 0), try r.decode(Bool.self, 1)) }
        }
        struct Breakers: Statement {
            var sql: String { "SELECT channel, open_until > now() FROM cs.channel_breakers" }
            func decode(_ r: Row) throws -> (String, Bool) { (try r.decode(String.self, 0), try r.decode(Bool.self, 1)) }
        }
        struct ChampionAUC: Statement {
            var sql: String { "SELECT (metrics ->> 'roc_auc')::float8 FROM cs.models WHERE status = 'champion'" }
            func decode(_ r: Row) throws -> Double? { try r.decodeIfPresent(Double.self, 0) }
        }
    }
}

extension PrometheusMetrics {
    /// A gauge of the catalogue by name and labels (the registry returns the same one each time).
    func gauge(_ name: String, _ labels: [(String, String)]) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: MetricsCatalogue.help[name] ?? name),
                           labels: labels)
    }
}
