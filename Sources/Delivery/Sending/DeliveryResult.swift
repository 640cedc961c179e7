// DeliveryResult: what one run of the deliver handler did, for the queue and for callers
// of `Deliverer.deliver` and `DeliveryTest.send`.

/// The end of one handler run.
public struct DeliveryResult: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Accepted by the far end now.
        case sent
        /// Nothing to do: already sent, failed or cancelled (a re-run of a finished job).
        case alreadyFinished
        /// Recorded as `retrying`; the job should run again after `retryAfter` at the earliest.
        case retrying
        /// Recorded as `failed`; the job should be discarded.
        case failed
        /// Not attempted: held back by the channel's rate limit or an open circuit. The
        /// delivery keeps its status and attempt count; the job should be snoozed for
        /// `retryAfter`, which spends no attempt.
        case deferred
        /// Not sent again: an `at_most_once` channel's earlier attempt ended unrecorded;
        /// the delivery is now `unknown` and the job should be discarded with the reason.
        case unknown
    }

    public var deliveryID: Int64
    public var status: Status
    /// The attempt's outcome as recorded (nil for `alreadyFinished`).
    public var outcome: SendOutcome?
    /// The far end's requested wait, or our own (rate limit, open circuit), when there is one.
    public var retryAfter: Duration?

    public init(deliveryID: Int64, status: Status, outcome: SendOutcome?, retryAfter: Duration? = nil) {
        self.deliveryID = deliveryID
        self.status = status
        self.outcome = outcome
        self.retryAfter = retryAfter
    }
}
