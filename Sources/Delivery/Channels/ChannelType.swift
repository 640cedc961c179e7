// ChannelType: the kinds of far end a channel can talk to (the `cs.channels.type` check).

/// How a channel delivers: which payload it renders and how it reads the answer.
public enum ChannelType: String, Sendable, CaseIterable, Codable {
    /// Slack incoming webhook; the endpoint URL is the secret.
    case slack
    /// PagerDuty Events API v2; the routing key comes from `secret_ref`.
    case pagerduty
    /// SMTP submission through libcurl; the password comes from `secret_ref`.
    case smtp
    /// An HTTP mail gateway in SendGrid v3 shape; the API key comes from `secret_ref`.
    case emailHTTP = "email_http"
    /// An SMS gateway in Twilio shape; the auth token comes from `secret_ref`.
    case sms
    /// A generic JSON webhook, HMAC-signed when `secret_ref` is set.
    case webhook

    /// Whether a delivery on this channel needs a `recipient` (an address or number).
    public var needsRecipient: Bool { self == .smtp || self == .emailHTTP || self == .sms }
}
