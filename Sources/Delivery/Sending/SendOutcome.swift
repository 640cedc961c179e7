// SendOutcome: how one attempt ended, in the three shapes the outbox and the queue act on,
// plus what is recorded about it (status, reply code, curl code, reason, time).

/// The verdict on one attempt.
public enum SendVerdict: Sendable, Equatable {
    /// The far end accepted the message; `providerID` is its id when it gives one.
    case sent(providerID: String?)
    /// Try again later, no sooner than `after` when the far end said so (Retry-After).
    case retry(after: Duration?)
    /// The far end (or our configuration) will refuse this message every time.
    case failed
}

/// One attempt's result. `reason` is the provider's own words, truncated and scrubbed of
/// secrets; it is stored in `attempt_log` and `last_error` and may be logged.
public struct SendOutcome: Sendable, Equatable {
    public var verdict: SendVerdict
    public var reason: String?
    public var httpStatus: Int?
    public var smtpCode: Int?
    public var curlCode: Int?
    /// True when the endpoint itself misbehaved (5xx, timeout, refused): counts toward
    /// opening its circuit breaker.
    public var endpointFault: Bool
    /// True when no request was made (rate limit, open circuit): the attempt was deferred.
    public var deferred: Bool

    public init(verdict: SendVerdict, reason: String? = nil, httpStatus: Int? = nil, smtpCode: Int? = nil,
                curlCode: Int? = nil, endpointFault: Bool = false, deferred: Bool = false) {
        self.verdict = verdict
        self.reason = reason
        self.httpStatus = httpStatus
        self.smtpCode = smtpCode
        self.curlCode = curlCode
        self.endpointFault = endpointFault
        self.deferred = deferred
    }

    /// The `outcome` word written to `attempt_log`.
    public var label: String {
        switch verdict {
        case .sent: return "sent"
        case .retry: return deferred ? "deferred" : "retry"
        case .failed: return "failed"
        }
    }

    static func failed(_ reason: String) -> SendOutcome { SendOutcome(verdict: .failed, reason: reason) }
}
