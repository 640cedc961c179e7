// PrometheusMetrics: the swift-metrics backend of `work --http` — swift-prometheus's
// registry, with a help line for every metric the worker emits (promtool asks for one).
import CoreMetrics
import Foundation
import Prometheus

/// Every metric name the worker emits and what it means. The modules emit through
/// swift-metrics by these names; labels are queue, kind, state, outcome, channel type or
/// channel name only — never ids, arguments or secrets.
public enum MetricsCatalogue {
    public static let help: [String: String] = [
        "cs_jobs_claimed_total": "Jobs claimed by this process, by queue and kind.",
        "cs_jobs_finished_total": "Jobs that left this process by outcome (completed, retried, discarded, cancelled, released, snoozed).",
        "cs_job_duration_seconds": "How long jobs ran, by kind.",
        "cs_claim_batch_size": "Jobs returned by one claim statement, by queue.",
        "cs_delivery_attempts_total": "Delivery attempts by channel type and outcome (sent, retry, deferred, failed).",
        "cs_scoring_run_seconds": "Duration of health-scoring runs.",
        "cs_accounts_scored_total": "Health scores written.",
        "cs_queue_jobs": "Jobs in the queue by state (available, scheduled, running, retryable), sampled by the leader.",
        "cs_queue_oldest_ready_seconds": "Age of the oldest ready job per queue, sampled by the leader.",
        "cs_queue_paused": "1 while an operator has paused the queue.",
        "cs_breaker_open": "1 while the channel's circuit breaker is open.",
        "cs_model_champion_roc_auc": "Hold-out ROC AUC of the champion churn model.",
        "cs_alerts": "Self-monitor alerts by state.",
        "cs_worker_leader": "1 while this process holds the leader lease.",
    ]

    /// Job and scoring durations: 1 ms to 10 minutes.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500),
        .seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600),
    ]
    static let batchBuckets: [Double] = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000]
}

/// A swift-metrics factory over a Prometheus registry that names each metric's help text
/// (the registry refuses two different help texts for one name, so it comes from one place).
public struct PrometheusMetrics: MetricsFactory {
    public let registry: PrometheusCollectorRegistry

    /// The process's registry, bootstrapped into swift-metrics on first use.
    public static let shared: PrometheusMetrics = {
        let m = PrometheusMetrics(registry: PrometheusCollectorRegistry())
        MetricsSystem.bootstrap(m)
        return m
    }()

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: MetricsCatalogue.help[label] ?? label)
    }

    /// The text format, for `/metrics`.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }
    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }
    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: MetricsCatalogue.batchBuckets)
    }
    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }
    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: MetricsCatalogue.durationBuckets)
    }
    public func destroyCounter(_ handler: any CounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }
    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
        if let h = handler as? ValueHistogram { registry.unregisterValueHistogram(h) }
    }
    public func destroyMeter(_ handler: any MeterHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
    }
    public func destroyTimer(_ handler: any TimerHandler) {
        if let h = handler as? DurationHistogram { registry.unregisterDurationHistogram(h) }
    }
}
