// DeliveryError: what goes wrong in Delivery before or around a send (configuration,
// rendering, missing rows). Provider answers are not errors: see SendOutcome.

import Basics

/// A failure of the Delivery layer with a code callers switch on. Messages name
/// references (`env:SLACK_WEBHOOK_URL`) and fields, never secret values or message bodies.
public struct DeliveryError: CodedError {
    public typealias Code = ErrorCode<DeliveryError>

    public var code: Code
    public var message: String
    /// The channel concerned, when there is one.
    public var channel: String?

    public init(_ code: Code, _ message: String, channel: String? = nil) {
        self.code = code
        self.message = message
        self.channel = channel
    }

    public var description: String {
        "DeliveryError(\(code)\(channel.map { ", channel \($0)" } ?? "")): \(message)"
    }
}

extension ErrorCode where Domain == DeliveryError {
    /// The channel row is unusable (unknown type, missing option): permanent until fixed.
    public static let configuration = Self("configuration")
    /// A secret reference does not resolve: permanent until the operator provides it.
    public static let missingSecret = Self("missingSecret")
    /// The message cannot be expressed for this channel (no recipient, bad severity).
    public static let rendering = Self("rendering")
    /// No such delivery or channel.
    public static let notFound = Self("notFound")
}
