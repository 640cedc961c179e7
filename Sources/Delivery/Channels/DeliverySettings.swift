// DeliverySettings: process-wide knobs of the deliver handler and the in-process state it
// shares between deliveries (rate-limit buckets, circuit breakers).

/// Tuning for `Deliverer`. Channels can override the timeouts and breaker values through
/// their options (`timeout_ms`, `connect_timeout_ms`, `breaker_failures`, `breaker_cooldown_ms`).
public struct DeliverySettings: Sendable {
    /// Whole-transfer timeout for HTTP channels (SMTP gets at least 30 s).
    public var timeout: Duration = .seconds(15)
    public var connectTimeout: Duration = .seconds(5)
    /// Consecutive endpoint faults that open a circuit.
    public var breakerFailures: Int = 5
    /// How long an open circuit fails fast before letting one probe through.
    public var breakerCoolDown: Duration = .seconds(30)
    /// Longest rate-limit wait a delivery sleeps through before it is deferred instead.
    public var maxRateLimitWait: Duration = .seconds(2)
    /// How old a delivery may grow while held back by a rate limit or an open circuit
    /// (which spend no attempts) before it is failed unsent.
    public var maxDeferral: Duration = .seconds(24 * 3600)
    /// The job kind's timeout: must cover the transfer timeout plus the rate-limit wait.
    public var jobTimeout: Duration = .seconds(90)
    /// Where secret references are resolved.
    public var resolver = SecretResolver()

    public init() {}
}
