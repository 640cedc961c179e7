// Channel: one row of cs.channels — where messages go and how, secrets by reference only.
import Basics
import Foundation

/// A configured destination. `endpoint` and `secretRef` may be references
/// (`env:NAME`, `file:/path`) that `SecretResolver` resolves at send time, so a Slack
/// webhook URL or an API key never sits in the database.
public struct Channel: Sendable, Hashable {
    public var name: String
    public var type: ChannelType
    /// URL, `smtp(s)://host:port`, or a reference to one.
    public var endpoint: String
    /// `env:NAME` or `file:/path` naming the token, key or password; nil when none is needed.
    public var secretRef: String?
    /// Per-type settings (see `validate()`), plus the optional tuning keys `timeout_ms`,
    /// `connect_timeout_ms`, `breaker_failures` and `breaker_cooldown_ms`.
    public var options: [String: JSONValue]
    /// Token-bucket rate and burst, shared by every delivery on this channel in a process.
    public var ratePerSecond: Double
    public var burst: Int
    public var enabled: Bool

    public init(name: String, type: ChannelType, endpoint: String, secretRef: String? = nil,
                options: [String: JSONValue] = [:], ratePerSecond: Double = 10, burst: Int = 5, enabled: Bool = true) {
        self.name = name
        self.type = type
        self.endpoint = endpoint
        self.secretRef = secretRef
        self.options = options
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.enabled = enabled
    }

    /// A string option, nil when absent or empty.
    public func option(_ key: String) -> String? {
        guard let v = options[key]?.stringValue, !v.isEmpty else { return nil }
        return v
    }

    /// A duration option given in milliseconds.
    func milliseconds(_ key: String) -> Duration? {
        guard let v = options[key]?.doubleValue, v > 0 else { return nil }
        return .milliseconds(Int64(v))
    }

    /// Checks that the options this channel's type needs are present, so a bad row is
    /// refused when it is saved and reported clearly (as permanent) when it is used.
    /// The `from` option as a checked address (email channels).
    func fromAddress() throws -> String {
        guard let from = option("from") else {
            throw DeliveryError(.configuration, "\(type.rawValue) channel needs option 'from'", channel: name)
        }
        do { return try EmailAddress(from).description } catch {
            throw DeliveryError(.configuration, "option 'from' \(error.reason)", channel: name)
        }
    }

    /// SMTP channels with credentials send them only over TLS (`smtps://`, or STARTTLS
    /// demanded), unless `allow_insecure_auth: true` says otherwise explicitly.
    var smtpRequiresTLS: Bool {
        let asked = options["require_tls"]?.boolValue ?? false
        let hasCredentials = option("username") != nil || secretRef != nil
        let insecureAllowed = options["allow_insecure_auth"]?.boolValue ?? false
        let implicitTLS = endpoint.lowercased().hasPrefix("smtps://")
        return asked || (hasCredentials && !insecureAllowed && !implicitTLS)
    }

    /// What is allowed but unwise (shown when the channel is saved).
    public var warnings: [String] {
        var out: [String] = []
        if type == .smtp, options["allow_insecure_auth"]?.boolValue == true, option("username") != nil || secretRef != nil {
            out.append("allow_insecure_auth: the SMTP password may be sent without TLS")
        }
        return out
    }

    /// `"delivery": "at_most_once"`: a send whose outcome is unknown (the worker died after
    /// sending) is not repeated. Default at-least-once: sent again with the same keys.
    public var isAtMostOnce: Bool { option("delivery") == "at_most_once" }

    public func validate() throws {
        func need(_ key: String) throws {
            if option(key) == nil {
                throw DeliveryError(.configuration, "\(type.rawValue) channel needs option '\(key)'", channel: name)
            }
        }
        func needSecret(_ what: String) throws {
            if secretRef == nil {
                throw DeliveryError(.configuration, "\(type.rawValue) channel needs secret_ref (\(what))", channel: name)
            }
        }
        if let ref = secretRef, !SecretResolver.isReference(ref) {
            throw DeliveryError(.configuration, "secret_ref must be env:NAME or file:/path", channel: name)
        }
        if endpoint.isEmpty { throw DeliveryError(.configuration, "endpoint is empty", channel: name) }
        if let ca = option("ca_file"), !FileManager.default.isReadableFile(atPath: ca) {
            throw DeliveryError(.configuration, "ca_file \(ca) is not a readable file", channel: name)
        }
        if let g = option("delivery"), g != "at_least_once", g != "at_most_once" {
            throw DeliveryError(.configuration, "option delivery must be at_least_once or at_most_once, not '\(g)'", channel: name)
        }
        if !(ratePerSecond > 0) || burst < 1 {
            throw DeliveryError(.configuration, "rate_per_second and burst must be positive", channel: name)
        }
        switch type {
        case .slack, .webhook:
            break
        case .pagerduty:
            try needSecret("routing key")
        case .smtp:
            _ = try fromAddress()
        case .emailHTTP:
            _ = try fromAddress()
            try needSecret("API key")
        case .sms:
            try need("account_sid")
            if option("from") == nil && option("messaging_service_sid") == nil {
                throw DeliveryError(.configuration, "sms channel needs option 'from' or 'messaging_service_sid'", channel: name)
            }
            try needSecret("auth token")
        }
    }
}
