// CircuitBreaker: stops hammering an endpoint that is down. After `failures` consecutive
// endpoint faults (5xx, timeouts, refused connections) it opens for a cool-down and fails
// fast; then one probe goes through (half-open); a success closes it again.
import Foundation

/// Breakers keyed by endpoint (a redacted URL: never a secret).
///
/// `@unchecked Sendable`: `states` is only touched under `lock`.
public final class CircuitBreaker: @unchecked Sendable {
    public enum Decision: Sendable, Equatable {
        /// Call the endpoint. `probe` is true for the single half-open trial.
        case allow(probe: Bool)
        /// Do not call: the circuit is open for this much longer.
        case reject(retryAfter: Duration)
    }

    enum Phase { case closed, open(until: ContinuousClock.Instant), halfOpen(probeStarted: ContinuousClock.Instant) }

    struct State {
        var phase: Phase = .closed
        var consecutiveFailures = 0
    }

    private let lock = NSLock()
    private var states: [String: State] = [:]

    public init() {}

    /// May a request go to `endpoint` now? A probe whose answer never came back (the
    /// worker was cancelled) is forgotten after `coolDown`, and another one is allowed.
    public func check(_ endpoint: String, coolDown: Duration, now: ContinuousClock.Instant = .now) -> Decision {
        lock.withLock {
            var s = states[endpoint] ?? State()
            defer { states[endpoint] = s }
            switch s.phase {
            case .closed:
                return .allow(probe: false)
            case .open(let until):
                if now < until { return .reject(retryAfter: until - now) }
                s.phase = .halfOpen(probeStarted: now)
                return .allow(probe: true)
            case .halfOpen(let started):
                if now - started > coolDown {
                    s.phase = .halfOpen(probeStarted: now)
                    return .allow(probe: true)
                }
                return .reject(retryAfter: max(.milliseconds(100), coolDown - (now - started)))
            }
        }
    }

    /// Records how a call went. `fault` is an endpoint fault; anything else (a 2xx, or a
    /// 4xx, which proves the endpoint is up) closes the circuit. Returns true when this
    /// call opened it.
    @discardableResult
    public func record(_ endpoint: String, fault: Bool, threshold: Int, coolDown: Duration,
                       now: ContinuousClock.Instant = .now) -> Bool {
        lock.withLock {
            var s = states[endpoint] ?? State()
            defer { states[endpoint] = s }
            guard fault else {
                s = State()
                return false
            }
            s.consecutiveFailures += 1
            switch s.phase {
            case .halfOpen:
                s.phase = .open(until: now + coolDown)
                return true
            case .closed where s.consecutiveFailures >= max(1, threshold):
                s.phase = .open(until: now + coolDown)
                return true
            default:
                return false
            }
        }
    }

    /// True while `endpoint`'s circuit is open or half-open (for status displays and tests).
    public func isOpen(_ endpoint: String) -> Bool {
        lock.withLock {
            if case .closed = states[endpoint]?.phase ?? .closed { return false }
            return true
        }
    }
}
