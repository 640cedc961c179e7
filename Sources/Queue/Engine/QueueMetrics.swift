// QueueMetrics: what the engine reports through swift-metrics. Labels are queue, kind and
// outcome only (never job ids, account ids or arguments), so the series stay few.
import Basics
import CoreMetrics
import Foundation

/// Counters and timers of the engine, created once per label set and cached: a job start
/// costs one dictionary lookup, not a metrics-factory call. Without a metrics backend
/// (no `work --http`) they are swift-metrics' no-op handlers.
enum QueueMetrics {
    /// False while swift-metrics has no backend (no `work --http`): then nothing is counted at
    /// all — a lookup per job under one lock cost the bulk drain several per cent. Read once,
    /// at the first job (the backend is bootstrapped before any worker starts).
    static let enabled: Bool = !(MetricsSystem.factory is NOOPMetricsHandler)

    private struct Key: Hashable { let name: String; let a: String; let b: String; let c: String }
    private static let counters = Locked([Key: Counter]())
    private static let timers = Locked([Key: CoreMetrics.Timer]())
    private static let recorders = Locked([Key: Recorder]())

    private static func counter(_ name: String, _ labels: [(String, String)]) -> Counter {
        let key = Key(name: name, a: labels.count > 0 ? labels[0].1 : "", b: labels.count > 1 ? labels[1].1 : "",
                      c: labels.count > 2 ? labels[2].1 : "")
        return counters.withLock { cache in
            if let c = cache[key] { return c }
            let c = Counter(label: name, dimensions: labels)
            cache[key] = c
            return c
        }
    }

    /// Jobs a claim took, by queue and kind, and the claim's batch size.
    static func claimed(_ jobs: [Job], queue: String) {
        guard enabled else { return }
        var byKind: [String: Int] = [:]
        for j in jobs { byKind[j.kind, default: 0] += 1 }
        for (kind, n) in byKind { counter("cs_jobs_claimed_total", [("queue", queue), ("kind", kind)]).increment(by: n) }
        let key = Key(name: "cs_claim_batch_size", a: queue, b: "", c: "")
        recorders.withLock { cache in
            if let r = cache[key] { return r }
            let r = Recorder(label: "cs_claim_batch_size", dimensions: [("queue", queue)], aggregate: true)
            cache[key] = r
            return r
        }.record(jobs.count)
    }

    /// One job finished running (or was handed back without running): its outcome by queue
    /// and kind, and for jobs that ran, how long.
    static func finished(queue: String, kind: String, outcome: Outcome.Result, seconds: Double?) {
        guard enabled else { return }
        counter("cs_jobs_finished_total", [("queue", queue), ("kind", kind), ("outcome", outcome.metricLabel)]).increment()
        guard let seconds else { return }
        let key = Key(name: "cs_job_duration_seconds", a: kind, b: "", c: "")
        timers.withLock { cache in
            if let t = cache[key] { return t }
            let t = CoreMetrics.Timer(label: "cs_job_duration_seconds", dimensions: [("kind", kind)])
            cache[key] = t
            return t
        }.recordNanoseconds(Int64(seconds * 1e9))
    }
}

extension Outcome.Result {
    /// completed, retried, discarded, cancelled, released, snoozed.
    var metricLabel: String {
        switch self {
        case .completed: return "completed"
        case .retry: return "retried"
        case .discard: return "discarded"
        case .cancelled: return "cancelled"
        case .release: return "released"
        case .snooze: return "snoozed"
        }
    }
}
