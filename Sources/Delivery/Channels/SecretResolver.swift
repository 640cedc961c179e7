// SecretResolver: turns `env:NAME` / `file:/path` references into values at send time,
// so secrets live in the environment or a mounted file and never in the database.
import Foundation

/// Resolves secret references. Values are trimmed of surrounding whitespace (files end
/// with a newline). A value that is not a reference is returned as is, which lets an
/// endpoint column hold either a plain URL or `env:SLACK_WEBHOOK_URL`.
public struct SecretResolver: Sendable {
    /// Where `env:` references are looked up; the process environment by default.
    private let environment: @Sendable (String) -> String?

    public init(environment: @escaping @Sendable (String) -> String? = { ProcessInfo.processInfo.environment[$0] }) {
        self.environment = environment
    }

    /// True when `value` is a reference rather than a literal.
    public static func isReference(_ value: String) -> Bool {
        value.hasPrefix("env:") || value.hasPrefix("file:")
    }

    /// The value behind `reference`, or `reference` itself when it is a literal.
    /// Throws `.missingSecret` naming the reference (never a value) when it does not resolve.
    public func resolve(_ reference: String, channel: String? = nil) throws -> String {
        if reference.hasPrefix("env:") {
            let name = String(reference.dropFirst(4))
            guard !name.isEmpty, let v = environment(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else {
                throw DeliveryError(.missingSecret, "secret \(reference) is not set in the environment", channel: channel)
            }
            return v
        }
        if reference.hasPrefix("file:") {
            let path = String(reference.dropFirst(5))
            guard let data = FileManager.default.contents(atPath: path) else {
                throw DeliveryError(.missingSecret, "secret \(reference) cannot be read", channel: channel)
            }
            let v = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !v.isEmpty else { throw DeliveryError(.missingSecret, "secret \(reference) is empty", channel: channel) }
            return v
        }
        return reference
    }
}
