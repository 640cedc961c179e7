// OutboundMessage: one delivery as a renderer sees it — what to say, to whom, under which
// idempotency key. Loaded from cs.deliveries; never logged (recipient and body are PII).
import Basics
import Crypto
import Foundation

/// The content of one delivery.
public struct OutboundMessage: Sendable {
    public var id: Int64
    /// Address or phone number(s); comma-separated for several email recipients.
    public var recipient: String?
    public var subject: String?
    public var text: String
    public var html: String?
    /// Channel extras: `blocks`, `severity`, `event_action`, `dedup_key`, `custom_details`…
    public var payload: [String: JSONValue]
    /// Stable across retries: the far end's dedup key, Message-ID and Idempotency-Key derive from it.
    public var idempotencyKey: String
    public var createdAt: Date

    public init(id: Int64, recipient: String?, subject: String?, text: String, html: String?,
                payload: [String: JSONValue], idempotencyKey: String, createdAt: Date) {
        self.id = id
        self.recipient = recipient
        self.subject = subject
        self.text = text
        self.html = html
        self.payload = payload
        self.idempotencyKey = idempotencyKey
        self.createdAt = createdAt
    }

    /// A string from the payload, nil when absent or empty.
    func payloadString(_ key: String) -> String? {
        guard let v = payload[key]?.stringValue, !v.isEmpty else { return nil }
        return v
    }

    /// Hex SHA-256 of the idempotency key: a fixed-length, URL- and header-safe stand-in.
    var keyHash: String {
        SHA256.hash(data: Array(idempotencyKey.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The idempotency key when it fits `limit` bytes of printable ASCII, else its hash.
    func boundedKey(limit: Int) -> String {
        let printable = idempotencyKey.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
        return printable && idempotencyKey.utf8.count <= limit ? idempotencyKey : "sha256-" + keyHash
    }

    /// The email recipients, each checked by `EmailAddress` (RFC 5321/5322). One malformed
    /// entry refuses the delivery as permanent, with a reason that names its position, not
    /// its content: nothing unvalidated ever reaches an SMTP command or a header.
    func emailRecipients(channel: Channel) throws -> [String] {
        do {
            let list = try EmailAddress.list(recipient ?? "")
            guard !list.isEmpty else { throw DeliveryError(.rendering, "email delivery has no recipient", channel: channel.name) }
            return list.map(\.description)
        } catch let invalid as EmailAddress.Invalid {
            throw DeliveryError(.rendering, "email \(invalid.reason); refused, nothing sent", channel: channel.name)
        }
    }

    /// Email or phone recipients, split on commas and trimmed.
    var recipients: [String] {
        (recipient ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
