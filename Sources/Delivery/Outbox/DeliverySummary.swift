// DeliverySummary: one delivery as operators list it — no bodies, no recipients.
import Foundation
import PG

/// A delivery's state for `cs-worker deliveries` and status pages.
public struct DeliverySummary: Sendable {
    public var id: Int64
    public var channel: String
    public var channelType: String
    public var status: String
    public var attempts: Int
    /// The provider's reason for the last failure (truncated, scrubbed of secrets).
    public var lastError: String?
    public var providerID: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var updatedAt: Date

    init(row: Row) throws {
        id = try row.decode(Int64.self, 0)
        channel = try row.decode(String.self, 1)
        channelType = try row.decode(String.self, 2)
        status = try row.decode(String.self, 3)
        attempts = try row.decode(Int.self, 4)
        lastError = try row.decodeIfPresent(String.self, 5)
        providerID = try row.decodeIfPresent(String.self, 6)
        createdAt = try row.decode(Date.self, 7)
        sentAt = try row.decodeIfPresent(Date.self, 8)
        updatedAt = try row.decode(Date.self, 9)
    }
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
