// DeliverySummary: one delivery as operators list it — no bodies, no recipients.
import Foundation

/// A delivery's state for `cs-worker deliveries` and status pages.
public struct DeliverySummary: Sendable {
    public var id: Int64
    public var channel: String
    public var channelType: String
    public var status: DeliveryStatus
    public var attempts: Int
    /// The provider's reason for the last failure (truncated, scrubbed of secrets).
    public var lastError: String?
    public var providerID: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var updatedAt: Date
}

/// Where a message is in the outbox (`cs.deliveries.status`).
public enum DeliveryStatus: String, Sendable, CaseIterable, Codable {
    /// Queued; its `deliver` job has not run yet.
    case pending
    /// An attempt is under way (or its worker died mid-attempt: the next one says so).
    case sending
    /// Accepted by the far end.
    case sent
    /// Failed transiently; the job runs again after a backoff or the provider's Retry-After.
    case retrying
    /// Failed permanently or out of attempts.
    case failed
    case cancelled
    /// An attempt on an `at_most_once` channel ended without a recorded outcome (the worker
    /// died after sending): the provider may or may not have it, and it is not sent again.
    case unknown
    /// Not sent: the contact has not consented to messages of its purpose (the reason is in
    /// `last_error`), checked when queued and again before sending.
    case suppressed
}

/// One attempt from a delivery's `attempt_log`.
public struct DeliveryAttempt: Sendable, Decodable {
    public var attempt: Int?
    public var at: String?
    /// `sent`, `retry`, `deferred` (not called: rate limit or open circuit), `failed`, `interrupted`.
    public var outcome: String
    public var httpStatus: Int?
    public var smtpCode: Int?
    public var curlCode: Int?
    public var reason: String?
    public var ms: Int?

    enum CodingKeys: String, CodingKey {
        case attempt, at, outcome, reason, ms
        case httpStatus = "http_status", smtpCode = "smtp_code", curlCode = "curl_code"
    }
}
